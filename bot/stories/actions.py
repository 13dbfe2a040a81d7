"""What happened: the event type of a report ("licence granted", "ban", "earnings", "visit" ...), from its headline.

Two reports can name the same companies, chips and countries and still be two events: Nvidia's quarterly
earnings and the US granting Nvidia H20 licences share Nvidia, H20 and China. The headline's *action* is
what tells them apart, in both languages. ``actions(title)`` returns the action classes of a headline's
main clause; the fingerprint carries them as ``act:<class>`` tokens and clustering penalises two items
whose action sets are both non-empty and disjoint.

Rules (general, not per item):

* Only the **main clause** counts. Background after a subordinator ("after", "amid", "despite", "ahead
  of"; «بعد»، «وسط»، «رغم»، «قبل»، «إثر») is another event: "Huang visits Beijing days after H20 curbs" is a
  visit, not a curb.
* A **response verb** (vow, retaliate, condemn, question; «تتوعد»، «تندد»، «ترد») makes the rest of its
  clause the *object* of the response: "China vows response to Entity List additions" is a response, not an
  addition. An action introduced as the response's instrument ("with a ban", «بحظر») still counts.
* ``guidance`` (a government telling buyers to avoid a product) is not a rule (``restrict``) and not the
  licence it may answer (``ease``): the same chip, a different act.
* Classes are coarse and a word may belong to two (Arabic «توافق» is both "approve" and "agree"): a missed
  distinction costs less than a false conflict, which splits one event in two.
* No action found → no ``act:`` token → no conflict (most feature-poor titles stay neutral).

The table is data: patterns are regular expressions over ``bot.stories.text.normalize`` output (lower case,
Arabic alef/ya/ta-marbuta/hamza folded, so «أضافت» is matched as ``اضافت``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from bot.stories.text import _ARABIC_FOLD, normalize


def _fold(pattern: str) -> str:
    """Write patterns in plain Arabic spelling; match them on normalized text (alef, ya, ta marbuta)."""
    return pattern.translate(_ARABIC_FOLD)


# Arabic words take proclitics (و، ف، ب، ل، ال) and verb prefixes (ت، ي، س): "وتمنح", "ستسمح", "بحظر".
_AR = r"(?<!\w)(?:[وف]?(?:[بل]|لل)?(?:ال)?)"
_AR_VERB = r"(?<!\w)(?:[وف]?س?[تين]?)"
_END = r"\w*"

# class → patterns (English with word boundaries; Arabic with the proclitic prefixes above)
ACTION_PATTERNS: Mapping[str, tuple[str, ...]] = {
    # new or tighter controls: bans, curbs, licence requirements
    "restrict": (
        r"\b(?:bans?|banned|banning|bars?|barred|barring|blocks?|blocked|blocking|curb(?:s|ed|ing)?)\b",
        r"\b(?:restrict\w*|tighten\w*|prohibit\w*|crack(?:s|ed|ing)? down|clamp\w* down|stop buying|halt\w*)\b",
        r"\b(?:limits?|limiting|caps? on)\b",
        r"\b(?:requires?|required|requiring|need|needs|now need)\b (?:\w+ ){0,3}(?:licen[cs]e|permit)s?\b",
        r"\blicen[cs]e requirements?\b",
        r"\b(?:expand|expands|expanded|extend|extends|extended|widen|widens|widened|broaden\w*)\b"
        r" (?:\w+ ){0,4}(?:controls?|curbs|rules|restrictions|requirements|list|blacklist)\b",
        r"\b(?:unveil\w*|issu(?:e|es|ed)|publish\w*|new)\b (?:[\w'-]+ ){0,4}?(?:rules?|regulations?)\b",
        _AR + r"حظر" + _END,
        _AR_VERB + r"حظر" + _END,
        _AR_VERB + r"منع" + _END,
        _AR + r"(?:قيود|تقييد)" + _END,
        _AR_VERB + r"قيد" + r"(?:ت|ون|ان)?(?!\w)",
        _AR_VERB + r"(?:وسع|وسّع)" + r"\w* (?:[\w«»\"]+ ){0,3}?\W*(?:ضوابط|قيود|شروط|قواعد|القائمة|قائمة)",
        _AR + r"(?:التوقف عن|وقف)(?!\w)",
        r"(?<!\w)(?:[تي]كشف|كشفت|[تي]صدر|أصدرت|[تي]نشر|نشرت)\w* (?:\w+ ){0,3}?\w*قاعدة",
        _AR + r"قاعدة (?:[\w«»\"]+ ){0,4}?\w*جديدة",
        _AR_VERB + r"شدد" + _END,
        _AR + r"تشديد" + _END,
        _AR_VERB + r"شترط" + _END,
        _AR + r"اشتراط" + _END,
        _AR_VERB + r"فرض" + r"\w* (?:\w+ ){0,2}(?:تراخيص|ترخيص|تصاريح|تصريح|قيود|شرط)",
        _AR_VERB + r"خضع" + _END,
        r"(?<!\w)(?:ت|ي|س)?حتاج\w* (?:\w+ ){0,2}(?:ترخيص|تراخيص|تصريح)",
        r"(?<!\w)الخناق(?!\w)",
    ),
    # controls eased: licences granted, approvals, sales resumed, rules suspended or rescinded
    "ease": (
        r"\b(?:grant\w*|approv\w*|allow\w*|clear(?:s|ed)?|green[- ]light\w*|lift\w*|eas(?:e|es|ed|ing)|loosen\w*)\b",
        r"\b(?:relax\w*|resum\w*|reopen\w*|restart\w*|waiver\w*|exempt\w*|suspend\w*|rescind\w*|revers\w*)\b",
        r"\b(?:scrap\w*|lets?|letting)\b",
        _AR + r"منح" + _END,
        _AR_VERB + r"منح" + _END,
        _AR_VERB + r"سمح" + _END,
        _AR + r"سماح" + _END,
        r"(?<!\w)ضوء اخضر(?!\w)",
        _AR + r"(?:استيناف|استئناف)" + _END,
        _AR_VERB + r"ستانف" + _END,
        _AR + r"موافق" + _END,
        _AR_VERB + r"وافق" + _END,
        _AR + r"تخفيف" + _END,
        _AR_VERB + r"خفف" + _END,
        _AR + r"تعليق" + _END,
        _AR_VERB + r"علق" + r"(?:ت|ون|ان)?(?!\w)",
        _AR + r"الغاء" + _END,
        r"(?<!\w)[وف]?(?:[تي]لغي|ألغت|ألغى)(?!\w)",
        r"\b(?:free(?:ze|zes|zing)|froze|frozen)\b",
        _AR_VERB + r"جمد" + _END,
        r"(?<!\w)[وف]?جمدت(?!\w)",
        _AR + r"(?:اعفاء|استثناء)" + _END,
        r"(?<!\w)\w*فتح باب(?!\w)",
    ),
    # companies or goods put on a list (Entity List, blacklist, control list)
    "list-add": (
        r"\badd(?:s|ed|ing)?\b (?:\w+ ){0,8}?(?:to|on) (?:\w+ ){0,3}?(?:list|blacklist)\b",
        r"\bblacklist(?:s|ed|ing)?\b",
        r"\badditions? to\b",
        r"\bput(?:s|ting)?\b (?:\w+ ){0,6}?on (?:\w+ ){0,3}?list\b",
        r"(?<!\w)[وف]?(?:س?[تين]ضيف|أضاف|أضافت|أضيفت|إضافة)\w* (?:[\w«»\"]+ ){0,6}?\W*(?:إلى|على|ب)\W*\w*قائم",
        _AR_VERB + r"درج" + _END,
        _AR + r"ادراج" + _END,
    ),
    "list-remove": (
        r"\bremov(?:e|es|ed|ing)\b (?:\w+ ){0,6}?from (?:\w+ ){0,3}?list\b",
        r"\bdelist\w*\b",
        r"\boff (?:the |its )?(?:entity |trade )?(?:list|blacklist)\b",
        _AR + r"شطب" + _END,
        _AR_VERB + r"شطب" + _END,
        _AR_VERB + r"(?:رفع|زيل|حذف)" + r"\w* (?:\w+ ){0,6}?من \w*قائم",
    ),
    # company results: earnings, revenue, forecasts, charges and losses
    "earnings": (
        r"\b(?:earnings|revenues?|quarter(?:ly)?|profits?|forecasts?|guidance|write-?downs?)\b",
        r"\b(?:beats?|tops?|misses|missed) (?:\w+ ){0,2}(?:estimates|expectations|forecasts?|view)\b",
        r"\b(?:results)\b",
        r"\bcharge\b",
        r"\b\d[\d.,]*\s?(?:bn|billion|m|mn|million) hit\b",
        _AR + r"(?:أرباح|إيرادات|نتائج|خسائر|أعباء)" + _END,
        _AR + r"(?:الربع|فصلي)" + _END,
        r"(?<!\w)توقعات المحللين(?!\w)",
        _AR_VERB + r"خسر" + _END,
    ),
    # agreements, deals, truces
    "deal": (
        r"\b(?:agree(?:s|d|ment|ments)?|deals?|pact|truce|accord)\b",
        _AR + r"(?:صفقة|اتفاق|اتفاقية|هدنة|تفاهم)" + _END,
        _AR_VERB + r"(?:وافق|توافق)" + r"(?:ان|ون|ت)?(?!\w)",
    ),
    # visits, meetings, summits and talks
    "meeting": (
        r"\b(?:visit\w*|meets?|met with|meeting|summit\w*|trip|tour\w*|talks)\b",
        _AR + r"(?:زياره|لقاء|قمه|محادثات|جوله)" + _END,
        _AR_VERB + r"(?:زور|زار|لتقي|لتقى|التقى)" + _END,
    ),
    # money put in: investment, funds, acquisitions
    "investment": (
        r"\b(?:invest\w*|fund(?:s|ing)?|raises? \$|stake|acqui(?:re|res|red|sition)\w*|buyout|takeover)\b",
        _AR + r"(?:استثمار|صندوق|تمويل|استحواذ)" + _END,
        _AR_VERB + r"ستثمر" + _END,
    ),
    # probes, lawsuits, violations, smuggling cases
    "probe": (
        r"\b(?:prob(?:e|es|ed|ing)|investigat\w*|sues?|sued|lawsuits?|indict\w*|fined|fines|penalt\w*)\b",
        r"\b(?:violat\w*|breach\w*|smuggl\w*|arrest\w*|accus\w*|charged with|anti-?monopoly|antitrust)\b",
        _AR + r"(?:تحقيق|دعوى|غرامه|انتهاك|مخالفه|تهريب|اعتقال|اتهام|تهمه|احتكار)" + _END,
        _AR_VERB + r"(?:حقق|قاضي|نتهك|نتهكت|خالف|هرب|تهم)" + r"(?:ت|ون|ان)?(?!\w)",
    ),
    # a government steering buyers without a rule: "urges firms to avoid", «تحث الشركات على تجنب»
    "guidance": (
        r"\b(?:urg\w*|tell\w*|told|ask\w*|advis\w*|instruct\w*|discourag\w*|summon\w*)\b (?:[\w'-]+ ){0,4}?"
        r"(?:companies|firms|businesses|buyers|operators|tech firms|tech companies|banks|carmakers|customers)\b",
        r"\b(?:avoid\w*|shun\w*|not to (?:buy|use|purchase))\b",
        r"\bwindow guidance\b",
        _AR_VERB + r"(?:حث|طلب|نصح|دعت|استدع)" + r"\w* (?:\w+ ){0,2}?\w*(?:شركات|الشركات|المشترين|المشغلين)",
        _AR + r"(?:تجنب|عدم شراء|عدم استخدام)" + _END,
    ),
    # a government taking over or seizing a company
    "intervention": (
        r"\b(?:take|takes|took|taken|taking|seiz\w*|assum\w*) (?:\w+ ){0,2}?control\b",
        r"\b(?:nationali[sz]\w*|intervene\w*|intervention)\b",
        _AR_VERB + r"(?:سيطر|تولى|تتولى|ستتولى)" + _END,
        _AR + r"(?:السيطره|التدخل)" + _END,
    ),
    # statements about another event: vows, retaliation, condemnation, demands, threats, warnings
    "response": (
        r"\b(?:vow\w*|respond\w*|response|retaliat\w*|condemn\w*|critici[sz]\w*|slam\w*|denounc\w*)\b",
        r"\b(?:hits? back|protest\w*|warn\w*|urg(?:e|es|ed|ing)|question\w*|welcom\w*|reject\w*)\b",
        r"\b(?:threat\w*|countermeasures?|necessary measures|seeks?|sought|press(?:es|ed)?|calls? for)\b",
        r"\bdemand(?:s|ed|ing)? (?:that|the|an?|to)\b",  # the verb; "AI demand" is not a response
        _AR_VERB + r"(?:توعد|تعهد|ندد|دين|نتقد|حذر|رفض|طالب|ضغط|هدد|دعو|دعا|شكك)" + _END,
        _AR + r"(?:رد|ردا|ردود|تهديد|تنديد|ادانه)(?!\w)",
        _AR_VERB + r"رد(?:ت|ون|ان)?(?!\w)",
        _AR + r"(?:اجراءات حازمه|الاجراءات اللازمه)",
    ),
}

# Background starts here: what follows is another (earlier or surrounding) event.
_SUBORDINATORS = re.compile(
    _fold(
        r"\b(?:after|amid|despite|following|ahead of|before|while|since|in the wake of|in response to)\b"
        r"|(?<!such )(?<!well )\bas (?!well\b|much\b|many\b|part\b|of\b)"
        r"|(?<!\w)[وف]?(?:بعد|عقب|وسط|رغم|برغم|قبل|اثر|بسبب|بينما|فيما|حيث)(?!\w)"
        r"|(?<!\w)(?:على الرغم|في ظل|على خلفية|في أعقاب|إثر)(?!\w)"
    )
)
# An action right after these is the instrument of a response ("hits back with a ban", «ترد بحظر»).
_INSTRUMENT_BEFORE = re.compile(r"\b(?:with|by) (?:a |an |new )?$")

# A class implies others: putting companies on a list is a restriction.
IMPLIES: Mapping[str, tuple[str, ...]] = {"list-add": ("restrict",)}


_ARABIC_CHAR = re.compile(r"[\u0600-\u06ff]")
_LATIN_CHAR = re.compile(r"[a-z]")


@cache
def _compiled(arabic: bool) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """One alternation per class and script (a headline is scanned a few times, not once per pattern), compiled
    on first use: ~20 ms that a process with no headline to read (``raqib match``, a poll answered 304) skips."""
    out = []
    for cls, pats in ACTION_PATTERNS.items():
        mine = [_fold(p) for p in pats if bool(_ARABIC_CHAR.search(p)) == arabic]
        if mine:
            out.append((cls, re.compile("|".join(f"(?:{p})" for p in mine))))
    return tuple(out)


_MAX_TITLE = 400


def main_clause(title: str) -> str:
    """The normalized headline up to the first subordinator (the rest is background)."""
    s = normalize(title or "")[:_MAX_TITLE]
    m = _SUBORDINATORS.search(s)
    return s[: m.start()] if m and m.start() > 0 else s


def actions(title: str) -> frozenset[str]:
    """Action classes of a headline's main clause (empty when none is recognised). Never raises."""
    clause = main_clause(title)
    if not clause.strip():
        return frozenset()
    hits: list[tuple[int, str, str]] = []
    compiled = (_compiled(True) if _ARABIC_CHAR.search(clause) else ()) + (
        _compiled(False) if _LATIN_CHAR.search(clause) else ()
    )
    for cls, pat in compiled:
        hits.extend((m.start(), cls, m.group(0)) for m in pat.finditer(clause))
    if not hits:
        return frozenset()
    hits.sort()
    first_response = next((pos for pos, cls, _ in hits if cls == "response"), None)
    out: set[str] = set()
    for pos, cls, text in hits:
        if (
            first_response is not None
            and pos > first_response
            and cls != "response"
            and not _instrument(clause, pos, text)
        ):
            continue  # the object of a response is another event
        out.add(cls)
        out.update(IMPLIES.get(cls, ()))
    return frozenset(out)


def _instrument(clause: str, pos: int, text: str) -> bool:
    """True when the action is introduced as a means ("with a ban", "by curbing", «بحظر»)."""
    return bool(_INSTRUMENT_BEFORE.search(clause[max(0, pos - 12) : pos])) or text.lstrip().startswith(("ب", "وب"))


# Stage of an act: announced as intended ("China to exempt", «تعتزم»، «ستعفي») or carried out ("began granting",
# "took effect", «بدأت»، «دخلت حيز التنفيذ»). A pledge and its implementation days later are two events.
# "Chips will be exempt" describes what a decision does, not an intention: "will be" is no plan.
_PLAN = re.compile(
    _fold(
        # "China to exempt": a subject of one to three words (no finite verb: "grants", "added") and "to"
        r"^\W*(?:(?!\w*[a-z]{3}(?:s|ed)\b)[\w'’.-]+\s+){1,3}to (?!be\b)\w+"
        r"|\b(?:will (?!be\b)|would (?!be\b)|plans? to|planning to|intends? to|aims? to|considering|"
        r"consider(?:s|ed)? (?:\w+ing)|set to|poised to|mulls?|weighs?|propos\w+)\b"
        r"|(?<!\w)[وف]?(?:تعتزم|يعتزم|تخطط|يخطط|تدرس|يدرس|تنوي|ينوي|ستدرس|سوف)(?!\w)|(?<!\w)[وف]?س[تي](?!كون)\w{3,}"
    )
)
_DONE = re.compile(
    _fold(
        r"\b(?:began|begins|begun|started|starts|has granted|have granted|took effect|takes effect|went into effect|"
        r"came into (?:force|effect)|comes into (?:force|effect)|now in force|implemented|implements)\b"
        r"|(?<!\w)[وف]?(?:بدأت|بدأ|تبدأ|يبدأ|شرعت|دخلت حيز|دخل حيز|بدء)(?!\w)"
    )
)


def stage(title: str) -> str | None:
    """``plan`` or ``done`` for the lead's main clause; None when it says neither (most headlines)."""
    clause = main_clause(title)
    done, plan = _DONE.search(clause), _PLAN.search(clause)
    if done and not (plan and plan.start() < done.start()):
        return "done"
    return "plan" if plan else None
