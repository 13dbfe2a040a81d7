"""Concepts and actors of a report, from the bilingual term map ``terms.yaml`` (data, not code).

* ``terms(text)`` → the concept ids a report names in either language (``graphite``, ``stake``, ``ipo``...):
  an Arabic and an English report of one event share them where they share no word.
* ``actor(lead)`` → who acts in a report's lead (headline, else first sentence): the first government or
  agency named in its main clause (``us``, ``cn``, ``jp``, ``nl``...). A US rule and China's reaction to it
  name the same chips and companies; their actors differ.

Matching rules (why they look like this):

* English patterns of three letters or fewer ("US", "EU", "BIS", "IPO") match only in capitals, so the
  pronoun "us" is never the United States.
* Arabic patterns match on ``bot.stories.text.normalize`` output with the proclitics و ف ب ل ال before and
  pronoun/plural suffixes after: «بالصين»، «وللصين»، «حصتها».
* An actor directly followed by a company noun ("US chipmaker", "China's top chipmaker") is an adjective,
  not an actor; a dateline ("WASHINGTON, Dec 15 (Reuters) -", «بكين -») names where, not who, and is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.stories.text import normalize

TERMS_FILE = Path(__file__).with_name("terms.yaml")
# libyaml's loader when PyYAML has it: 3 ms instead of 0.1 s for the term map, in every process that clusters
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}  # noqa: S506 (a safe loader)


DEFAULT_WEIGHT = 0.6

_AR_CHAR = re.compile(r"[\u0600-\u06ff]")
_AR_PREFIX = r"(?<!\w)(?P<pre>[وف]?(?:[بلك]|لل)?)"
_AR_SUFFIX = r"(?:ها|هم|ه|ات|ين|ون|ان|يه|يا|ا)?(?!\w)"
_EN_SUFFIX = r"(?:'s|’s|s|es)?(?![\w])"
_DATELINE = re.compile(
    r"^\s*(?:\([^)]{1,40}\)\s*)?[^\n!?]{0,60}?(?:\([^)]{1,40}\)\s*)?(?:--|[—–]|\s-\s|-(?=\S)|:\s)\s*"
)
_DATELINE_HINT = re.compile(r"\(|\d|^[^a-z\u0600-\u06ff]*[A-Z]{3}")
_SENTENCE_END = re.compile(r"[.!?؟](?=\s+\S)|\n")
# a period after these ends an abbreviation, not a sentence ("U.S. chipmaker", "Corp. said", "Dec. 15")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Za-z]|\b(?:Corp|Inc|Co|Ltd|Mr|Ms|Dr|St|No|vs|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec))$"
)
# an actor right after these is an object or a place ("in China", "between Washington and Beijing")
_PREPOSITION_BEFORE = re.compile(
    r"(?:\b(?:in|into|from|to|for|between|against|with|on|at|of|across|over|toward|towards|and)\s+(?:the\s+)?"
    r"|(?<!\w)(?:في|من|الى|علي|مع|بين|ضد|عن|حول|تجاه)\s+)$"
)


@dataclass(frozen=True, slots=True)
class _Pattern:
    concept: str
    regex: re.Pattern[str]
    on_original: bool  # English capitals-only patterns match the original text, the rest normalized text
    literal: str = ""  # a piece every match contains: a cheap ``in`` test before the regex runs


def _compile(word: str, *, suffixes: bool = True) -> tuple[re.Pattern[str], bool]:
    if _AR_CHAR.search(word):
        body = r"\s+".join(re.escape(w) for w in normalize(word).split())
        if body.startswith("ال"):
            body = r"(?:ال|ل)" + body[2:]
        if suffixes and body.endswith("ه"):  # ta marbuta before a pronoun suffix: «حصة» → «حصتها»
            body = body[:-1] + "(?:ه|ت)"
        # actors take no suffix: «الصين» + «ية» is the adjective «الصينية»
        return re.compile(_AR_PREFIX + r"(?:ال)?" + body + (_AR_SUFFIX if suffixes else r"(?!\w)")), False
    letters = re.sub(r"[^a-z]", "", word.lower())
    star = word.endswith("*")
    core = word.rstrip("*")
    body = r"[\s-]+".join(re.escape(w) for w in core.split())
    tail = r"[\w-]*" if star else _EN_SUFFIX
    if len(letters) <= 3:  # "US", "EU", "IPO": capitals only
        return re.compile(r"(?<![\w.])" + body.upper() + tail), True
    return re.compile(r"(?<![\w-])" + body.lower() + tail), False


@cache
def _load(path: Path = TERMS_FILE) -> tuple[tuple[_Pattern, ...], dict[str, float], tuple[_Pattern, ...]]:
    data = _read_yaml(path)
    governing = "|".join(re.escape(str(n)) for n in data.get("governing_nouns", ()))
    ar_governing = "|".join(re.escape(normalize(str(n))) for n in data.get("ar_governing_nouns", ()))
    patterns: list[_Pattern] = []
    weights: dict[str, float] = {}
    for concept, spec in (data.get("terms") or {}).items():
        weights[concept] = float(spec.get("weight", DEFAULT_WEIGHT))
        for word in (*spec.get("en", ()), *spec.get("ar", ())):
            rx, orig = _compile(str(word))
            patterns.append(_Pattern(concept, rx, orig, _literal(str(word), orig)))
    actors: list[_Pattern] = []
    for who, spec in (data.get("actors") or {}).items():
        for word in (*spec.get("en", ()), *spec.get("ar", ())):
            rx, orig = _compile(str(word), suffixes=False)
            actors.append(_Pattern(who, rx, orig, _literal(str(word), orig)))
        for adj in spec.get("adjectives", ()):
            rx = re.compile(rf"(?<![\w-]){re.escape(str(adj).lower())}\s+(?:{governing})s?\b")
            actors.append(_Pattern(who, rx, False, _literal(str(adj), False)))
        # Arabic adjectives follow their noun: «قاعدة أمريكية»، «السلطات الصينية»
        for adj in spec.get("ar_adjectives", ()):
            rx = re.compile(_AR_PREFIX + rf"(?:{ar_governing})\s+{re.escape(normalize(str(adj)))}(?!\w)")
            actors.append(_Pattern(who, rx, False, _literal(str(adj), False)))
    return tuple(patterns), weights, tuple(actors)


def _literal(word: str, on_original: bool) -> str:
    """The longest word of a pattern as it must appear in the (normalized or original) text."""
    if on_original:
        return max(word.rstrip("*").upper().split(), key=len)
    pieces = [w.rstrip("*") for w in (normalize(word) if _AR_CHAR.search(word) else word.lower()).split()]
    longest = max(pieces, key=len)
    # «ال» may be written «ل» after a proclitic, a final «ه» (ta marbuta) «ت» before a suffix
    if longest.startswith("ال"):
        longest = longest[2:]
    return longest[:-1] if longest.endswith("ه") and len(longest) > 2 else longest  # «حصه» in «حصتها»


def term_weight(concept: str) -> float:
    return _load()[1].get(concept, DEFAULT_WEIGHT)


def terms(text: str) -> frozenset[str]:
    """Concept ids named anywhere in ``text``."""
    patterns = _load()[0]
    norm = normalize(text)
    found: set[str] = set()
    for p in patterns:
        if p.concept in found:
            continue
        hay = text if p.on_original else norm
        if p.literal in hay and p.regex.search(hay):
            found.add(p.concept)
    return frozenset(found)


def lead_sentence(title: str, text: str) -> str:
    """The report's lead: its headline, else the first sentence of its text without a dateline."""
    if (title or "").strip():
        return title.strip()
    body = (text or "").strip()
    m = _DATELINE.match(body)
    if m and _DATELINE_HINT.search(m.group(0)) and len(m.group(0).split()) <= 10:
        body = body[m.end() :]
    for m in _SENTENCE_END.finditer(body):
        if m.group(0) == "\n" or not _ABBREVIATION.search(body[: m.start()]):
            return body[: m.start() + 1].strip()[:400]
    return body[:400]


def actor(lead: str, clause_end: int | None = None) -> str | None:
    """The first government actor named in ``lead[:clause_end]`` (None when none is named)."""
    clause = lead if clause_end is None else lead[:clause_end]
    norm = normalize(clause)
    best: tuple[int, str] | None = None
    for p in _load()[2]:
        hay = clause if p.on_original else norm
        if p.literal not in hay:
            continue
        for m in p.regex.finditer(hay):
            if _adjective(hay, m.end()) or _PREPOSITION_BEFORE.search(hay[max(0, m.start() - 20) : m.start()].lower()):
                continue
            if "pre" in p.regex.groupindex and m.group("pre"):
                continue  # «بالصين»، «وبكين»، «لواشنطن»: a place or a second party, not the subject
            # positions in the normalized and the original text differ by removed diacritics only: close enough
            if best is None or m.start() < best[0]:
                best = (m.start(), p.concept)
            break
    return best[1] if best else None


@cache
def _company_nouns(path: Path = TERMS_FILE) -> frozenset[str]:
    data = _read_yaml(path)
    return frozenset(str(w).lower() for w in data.get("company_nouns", ()))


def _adjective(hay: str, end: int) -> bool:
    rest = hay[end : end + 40].lower()
    if rest.startswith("-"):  # "U.S.-based", "China-made"
        return True
    nxt = re.match(r"\s*([\w-]+)", rest)
    return bool(nxt and nxt.group(1) in _company_nouns())
