"""A language-independent event fingerprint: the facts an Arabic and an English report share.

Words differ across languages; numbers, model codes and dates do not. From title and text we
extract, after folding Arabic-Indic digits:

* ``code:`` — Latin letter+digit tokens, which Arabic text keeps in Latin script: ``code:h20``,
  ``code:h200``, ``code:mi308``, ``code:910b``. H20 and H200 are different codes, on purpose.
* ``num:`` — quantities scaled to units, currency dropped (Arabic often omits it):
  "$5.5 billion", "5.5bn", "5.5 مليار دولار" → ``num:5500000000``; "50,000", "50 ألف" → ``num:50000``;
  other numbers of two or more digits (counts: 140 entities, 24 tools) the same way.
* ``pct:`` — percentages: "25%", "25 percent", "25 بالمئة", "٪25" → ``pct:25``.
* ``date:`` — day and month: "August 12", "12 Aug", "12 أغسطس", "12 آب" → ``date:08-12``.
* ``year:`` — 1900-2100 standing alone (weak: background years recur). Clock times are ignored.
* ``dow:`` — weekday named in the report ("on Tuesday" / "يوم الثلاثاء", "، السبت،"), weak but it
  separates two developments of the same week.
* ``act:`` — the event type of the lead's main clause (``bot.stories.actions``; the lead is the headline,
  else the first sentence): ``act:ease`` (licences granted), ``act:restrict``, ``act:earnings``,
  ``act:meeting``, ``act:response`` ... Two reports with the same entities and different actions are
  different events.
* ``stage:`` — ``plan`` (announced as intended: "China to exempt", «تعتزم») or ``done`` (carried out:
  "began granting", "took effect", «بدأت») in the lead's main clause: a pledge and its implementation
  are two events.
* ``qty:`` — capacities and nodes with their unit: "10 GW", "10 gigawatts", «10 غيغاواط» → ``qty:10gw``;
  "7nm", "7-nanometer", «7 نانومتر» → ``qty:7nm``.
* ``term:`` — concepts of the bilingual term map (``bot.stories.terms``, data in ``terms.yaml``): the
  material, instrument or venue of the event (graphite, a stake, a stock debut, a letter of intent).
* ``actor:`` — the government that acts in the lead's main clause (``us``, ``cn``, ``jp``, ``nl``...).
* ``when:<n>:`` — the first day references of the lead and text, in order, unresolved: a weekday
  (``when:0:dow:mon``), a date (``when:1:date:12-15``), yesterday (``when:0:rel:-1``). A bare "today"
  is not one: republishers keep the wire's "today" days later.
  Clustering resolves them against the item's published time into the event's day (``cluster``);
  the fingerprint itself never depends on when it is computed.

Canonical entity ids come from the matcher and are passed in separately (see ``cluster``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.stories.actions import actions, main_clause, stage
from bot.stories.terms import actor, lead_sentence, terms
from bot.stories.text import normalize

_MONTHS_EN = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
# Arabic month names after ``normalize`` (alef/ya/ta-marbuta folded): Egyptian/Gulf and Levantine.
_MONTHS_AR = {
    "يناير": 1, "فبراير": 2, "مارس": 3, "ابريل": 4, "مايو": 5, "يونيو": 6, "يوليو": 7, "اغسطس": 8,
    "سبتمبر": 9, "اكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12, "كانون الثاني": 1, "شباط": 2, "اذار": 3,
    "نيسان": 4, "ايار": 5, "حزيران": 6, "تموز": 7, "اب": 8, "ايلول": 9, "تشرين الاول": 10,
    "تشرين الثاني": 11, "كانون الاول": 12,
}  # fmt: skip
_WEEKDAYS = {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
    "saturday": "sat", "sunday": "sun", "الاثنين": "mon", "الثلاثاء": "tue", "الاربعاء": "wed",
    "الخميس": "thu", "الجمعه": "fri", "السبت": "sat", "الاحد": "sun",
}  # fmt: skip
_SCALE = {
    "thousand": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
    "trillion": 1e12, "tn": 1e12, "الف": 1e3, "الاف": 1e3, "مليون": 1e6, "ملايين": 1e6,
    "مليار": 1e9, "مليارات": 1e9, "بليون": 1e9, "تريليون": 1e12,
}  # fmt: skip

_NUM = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
# Arabic words may carry proclitics (و, ب, ل, ال): "وبنسبة", "بقيمة"; match scale words loosely.
_AMOUNT_RE = re.compile(
    r"(\$|us\$|usd\s?)?" + _NUM + r"\s?(thousand|million|billion|trillion|mn|bn|tn|m|b|"
    r"الف|الاف|مليون|ملايين|مليار|مليارات|بليون|تريليون)(?![a-z])",
)
_DUAL = {"ملياري": "مليار", "مليارا": "مليار", "مليوني": "مليون", "مليونا": "مليون", "الفي": "الف", "الفا": "الف"}
_DUAL_RE = re.compile(r"(?<![\w\d])[وب]?(ملياري|مليارا|مليوني|مليونا|الفي|الفا)(?:ن)?(?!\w)")
_DOLLAR_RE = re.compile(r"(?:\$|us\$|usd\s?)" + _NUM + r"(?![\d.])")
_PCT_RE = re.compile(
    r"%\s?"
    + _NUM
    + r"(?![\d.])|"
    + _NUM
    + r"\s?(?:%|percent|per\s+cent|pct|بالميه|بالمايه|في\s+الميه|في\s+المايه|بالماءه)"
)
_CODE_RE = re.compile(r"(?<![a-z0-9])(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{2,10}(?![a-z0-9])")
_ORDINAL_RE = re.compile(r"^\d+(?:st|nd|rd|th|s)$")
_UNIT_SUFFIX_RE = re.compile(r"^\d+(?:\.\d+)?(?:bn|mn|tn|k)$")
_PLAIN_NUM_RE = re.compile(r"(?<![\w.,:])" + _NUM + r"(?![\w.,:]\d|\w)")
_MONTH_EN_ALT = "|".join(sorted(_MONTHS_EN, key=len, reverse=True))
_MONTH_AR_ALT = "|".join(sorted(_MONTHS_AR, key=len, reverse=True))
_DATE_EN_RE = re.compile(
    rf"\b({_MONTH_EN_ALT})\.?\s+(\d{{1,2}})(?!\d)|(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_EN_ALT})\b"
)
# "12 أغسطس", "12 أغسطس/آب", "أغسطس 12"; proclitics (في، من) are separate words here.
_DATE_AR_RE = re.compile(
    rf"(?<!\d)(\d{{1,2}})\s+(?:من\s+)?(?:شهر\s+)?({_MONTH_AR_ALT})(?!\w)|(?<!\w)({_MONTH_AR_ALT})\s+(\d{{1,2}})(?!\d)"
)
_WEEKDAY_RE = re.compile(r"(?:(?<!\w)(?:يوم|on|مساء|صباح|ليل)\s+|[،,]\s*)(" + "|".join(_WEEKDAYS) + r")(?!\w)")
# Day references for the event's day: English weekdays anywhere ("said Monday", "Monday's trading"); Arabic
# ones after a day word or in brackets («اليوم الأحد»، «أمس الخميس»، «(الخميس)»), since «الأحد» and «الاثنين»
# are also "the one" and "the two".
_EN_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_AR_DAYS = "الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه|السبت|الاحد"
_DAY_REF_RE = re.compile(
    rf"(?<![a-z])({_EN_DAYS})(?![a-z])"
    rf"|(?:(?<!\w)(?:يوم|اليوم|امس|مساء|صباح|فجر|ليله)\s*|[،,(]\s*)({_AR_DAYS})(?!\w)"
    rf"|(?<![a-z])(yesterday)(?![a-z])|(?<!\w)(امس)(?!\s*\(?(?:{_AR_DAYS}))(?!\w)"
    rf"|(?<!\w)({_AR_DAYS})\s+الماضي(?!\w)"  # «الخميس الماضي»: last Thursday
)
_QTY_RE = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s?-?\s?(gw|gigawatts?|giga-watts?|جيجاوات|غيغاواط|جيغاواط|جيجا\s?وات|غيغا\s?واط"
    r"|nm|nanometers?|nanometres?|نانومتر|نانو\s?متر)(?![a-z])"
)
_QTY_UNIT = {"g": "gw", "ج": "gw", "غ": "gw", "n": "nm", "ن": "nm"}
_MAX_WHEN = 3


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The language-independent facts of one report, as prefixed tokens."""

    tokens: frozenset[str]

    def __reduce__(self) -> tuple[object, ...]:  # as ``bot.normalize.item.Item.__reduce__``
        return (Fingerprint, (self.tokens,))

    def of_kind(self, kind: str) -> frozenset[str]:
        return frozenset(t for t in self.tokens if t.startswith(kind + ":"))

    def __len__(self) -> int:
        return len(self.tokens)


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def _fmt(v: float) -> str:
    return str(int(v)) if v == int(v) else f"{v:g}"


def fingerprint(title: str, text: str = "") -> Fingerprint:
    """Extract the fingerprint of a report (title weighs the same as body here). Never raises."""
    try:
        full = f"{title or ''}\n{text or ''}"
        norm = normalize(full)
        toks = _extract(norm)
        # the headline states the event; a title-less item falls back to its first sentence
        head = lead_sentence(title, text)
        toks.update("act:" + a for a in actions(head))
        step = stage(head)
        if step:
            toks.add("stage:" + step)
        toks.update("term:" + c for c in terms(full))
        who = actor(head, _clause_end(head))
        if who:
            toks.add("actor:" + who)
        toks.update(_when(norm))
        return Fingerprint(frozenset(toks))
    except (ValueError, OverflowError):  # pragma: no cover - defensive: regexes bound the input
        return Fingerprint(frozenset())


def _extract(s: str) -> set[str]:
    toks: set[str] = set()
    consumed: list[tuple[int, int]] = []

    def take(m: re.Match[str]) -> None:
        consumed.append(m.span())

    for m in _PCT_RE.finditer(s):
        toks.add("pct:" + _fmt(_num(m.group(1) or m.group(2))))
        take(m)
    for m in _AMOUNT_RE.finditer(s):
        unit = m.group(3)
        # "m"/"b" alone are units only after a currency sign ("$300m"); "910B" is a model code
        if unit in ("m", "b") and not m.group(1):
            continue
        toks.add("num:" + _fmt(round(_num(m.group(2)) * _SCALE.get(unit, 1.0), 3)))
        take(m)
    for m in _DUAL_RE.finditer(s):  # «ملياري دولار»: the Arabic dual is a number word (two billion)
        if not _overlaps(m.span(), consumed):
            toks.add("num:" + _fmt(2 * _SCALE[_DUAL[m.group(1)]]))
            take(m)
    for m in _DOLLAR_RE.finditer(s):
        if not _overlaps(m.span(), consumed):
            toks.add("num:" + _fmt(_num(m.group(1))))
            take(m)
    for m in _DATE_EN_RE.finditer(s):
        month = _MONTHS_EN[m.group(1) or m.group(4)]
        day = int(m.group(2) or m.group(3))
        if 1 <= day <= 31 and not (m.group(1) == "may" and m.group(2) is None):
            toks.add(f"date:{month:02d}-{day:02d}")
            take(m)
    for m in _DATE_AR_RE.finditer(s):
        month = _MONTHS_AR[m.group(2) or m.group(3)]
        day = int(m.group(1) or m.group(4))
        if 1 <= day <= 31:
            toks.add(f"date:{month:02d}-{day:02d}")
            take(m)
    for m in _QTY_RE.finditer(s):
        toks.add(f"qty:{_fmt(_num(m.group(1)))}{_QTY_UNIT[m.group(2)[0]]}")
        take(m)
    for m in _WEEKDAY_RE.finditer(s):
        toks.add("dow:" + _WEEKDAYS[m.group(1)])
    for m in _CODE_RE.finditer(s):
        code = m.group(0)
        if _ORDINAL_RE.match(code) or _UNIT_SUFFIX_RE.match(code) or _overlaps(m.span(), consumed):
            continue
        toks.add("code:" + code)
        take(m)
    for m in _PLAIN_NUM_RE.finditer(s):
        if _overlaps(m.span(), consumed):
            continue
        v = _num(m.group(1))
        if 1900 <= v <= 2100 and v == int(v):
            toks.add(f"year:{int(v)}")
        elif v >= 10 or "." in m.group(1):
            toks.add("num:" + _fmt(v))
    return toks


def _clause_end(lead: str) -> int | None:
    """Where the lead's main clause ends (its background starts), in ``lead``'s own positions."""
    clause = main_clause(lead)
    norm = normalize(lead)
    return len(lead) if len(clause) >= len(norm) else max(len(clause), 1)


def _when(s: str) -> set[str]:
    """The first ``_MAX_WHEN`` day references of normalized text, numbered in order of appearance."""
    refs: list[tuple[int, str]] = []
    for m in _DAY_REF_RE.finditer(s):
        day = m.group(1) or m.group(2) or m.group(5)
        if day:
            refs.append((m.start(), "dow:" + _WEEKDAYS[day]))
        else:
            refs.append((m.start(), "rel:-1"))
    for rx, month_of in ((_DATE_EN_RE, _MONTHS_EN), (_DATE_AR_RE, _MONTHS_AR)):
        for m in rx.finditer(s):
            g = m.groups()
            month = month_of[g[0] or g[3]] if rx is _DATE_EN_RE else month_of[g[1] or g[2]]
            day = int(g[1] or g[2]) if rx is _DATE_EN_RE else int(g[0] or g[3])
            if 1 <= day <= 31 and not (rx is _DATE_EN_RE and g[0] == "may" and g[1] is None):
                refs.append((m.start(), f"date:{month:02d}-{day:02d}"))
    refs.sort()
    out: list[str] = []
    for _pos, ref in refs:
        if ref not in out:
            out.append(ref)
    return {f"when:{n}:{ref}" for n, ref in enumerate(out[:_MAX_WHEN])}


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    a, b = span
    return any(a < y and x < b for x, y in taken)
