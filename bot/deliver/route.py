"""Which subscriptions want a story: topics, item languages, minimum score, and the chat's own watch and
mute terms — matched with the lexicon's normalizer and an Aho–Corasick automaton, never as user regexes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick

from bot.match.normalizer import normalize_text
from bot.match.scanner import PROCLITICS
from storage.tables import Subscription


def _is_arabic(c: str) -> bool:
    return ("\u0620" <= c <= "\u064a") or ("\u066e" <= c <= "\u06d3")


def _word(c: str) -> bool:
    return c.isalnum() or _is_arabic(c)


def _bounded(text: str, start: int, end: int) -> bool:
    """A hit must be a whole token; Arabic proclitics (و ب ل ال …) may be glued on its left."""
    if end < len(text) and _word(text[end]) and _word(text[end - 1]):
        return False
    if start == 0 or not _word(text[start - 1]):
        return True
    j = start
    while j > 0 and _is_arabic(text[j - 1]):
        j -= 1
    return _is_arabic(text[start]) and text[j:start] in PROCLITICS and (j == 0 or not _word(text[j - 1]))


@lru_cache(maxsize=1024)
def _automaton(terms_json: str) -> ahocorasick.Automaton | None:
    try:
        terms = [t for t in json.loads(terms_json) if isinstance(t, str)]
    except ValueError:
        return None
    keys = {normalize_text(t) for t in terms} - {""}
    if not keys:
        return None
    a = ahocorasick.Automaton()
    for key in keys:
        a.add_word(key, len(key))
    a.make_automaton()
    return a


def contains_term(terms_json: str, normalized: str) -> bool:
    a = _automaton(terms_json)
    if a is None:
        return False
    return any(_bounded(normalized, end - length + 1, end + 1) for end, length in a.iter(normalized))


SEVERITIES = ("normal", "high", "critical")  # in rising order; a chat's ``min_severity`` is one of them


def severity_rank(severity: str | None) -> int:
    """0 normal, 1 high, 2 critical; an unknown value counts as normal."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def below_minimum(sub: Subscription, severity: str | None) -> bool:
    """An alert of ``severity`` is below what the chat asked for (``/settings severity high``)."""
    return severity_rank(severity) < severity_rank(getattr(sub, "min_severity", None))


@dataclass(frozen=True)
class StoryFacts:
    topics: frozenset[str]
    language: str
    score: float
    text: str  # title and body of the item, for watch and mute terms
    severity: str | None = None  # None: not known here (the dispatcher checks the story's severity when sending)


def wants(sub: Subscription, facts: StoryFacts, normalized: str | None = None) -> bool:
    if sub.paused or facts.language not in sub.languages.split() or facts.score < sub.min_score:
        return False
    if facts.severity is not None and below_minimum(sub, facts.severity):
        return False
    norm = normalized if normalized is not None else normalize_text(facts.text)
    if contains_term(sub.mute_terms, norm):
        return False
    topics = set(sub.topics.split())
    return not topics or bool(topics & facts.topics) or contains_term(sub.watch_terms, norm)


def route(subscriptions: Iterable[Subscription], facts: StoryFacts) -> Sequence[int]:
    norm = normalize_text(facts.text)
    return [s.id for s in subscriptions if s.id is not None and wants(s, facts, norm)]
