"""A chat's own watch and mute terms: which terms may be stored, and how a term is found in an item.

A term is found the way the lexicon finds its aliases: on the normalizer's matching view (alef and hamza
forms, ta marbuta and alif maqsura folded, diacritics and tatweel gone, Latin casefolded), as whole tokens,
with Arabic proclitics (و ب ل ال …) allowed on its left. A term that names a lexicon entity also finds that
entity's other spellings in both scripts (``/watch ترامب`` finds ترمب and Trump); the entity's ambiguous
aliases are left out (SMIC's سميك is also "thick"), the term as typed never is.

Terms are words, never patterns: one that looks like a regular expression is refused when typed
(``looks_like_pattern``), and stored terms are only ever searched as literal keys of an Aho–Corasick
automaton, so a term stored before this check existed is matched literally too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache

import ahocorasick

from bot.match.lexicon import arabic_key
from bot.match.normalizer import normalize_text
from bot.match.scanner import PROCLITICS

# Characters that only a regular expression (or a glob) would hold; "." and "+" alone are kept ("U.S.", "C++").
PATTERN_CHARS = frozenset("*?|()[]{}^$\\")
PATTERN_PAIRS = (".+", ".*")


def looks_like_pattern(term: str) -> bool:
    """``nvid(ia|ea)``, ``.*``, ``[a-z]+``, ``^foo``: a pattern, which a chat's term must not be."""
    return any(c in PATTERN_CHARS for c in term) or any(p in term for p in PATTERN_PAIRS)


def term_key(term: str) -> str:
    """The term's normalized form ("" when nothing of it is a word); Arabic loses a leading article, which the
    proclitics put back at match time (الصين finds بالصين and صين), as the lexicon's aliases do."""
    key = normalize_text(term)
    return arabic_key(term) if key and _is_arabic(key[0]) else key


def _lexicon_keys(term: str) -> set[str]:
    """The other unambiguous spellings of the entity ``term`` names, if it names one."""
    from bot.match import entity_lookup, load_lexicon

    lex = load_lexicon()
    entity = entity_lookup(term, lex)
    if entity is None:
        return set()
    return {p.key for p in lex.patterns if p.entry == entity and not p.ambiguous}


def term_keys(term: str) -> frozenset[str]:
    """Every normalized key that counts as ``term`` occurring (empty when the term has no word in it)."""
    key = term_key(term)
    if not key:
        return frozenset()
    return frozenset({key, *_lexicon_keys(term)} - {""})


def same_term(a: str, b: str) -> bool:
    """Two spellings of one term as a chat would mean them ("Nvidia" and "NVIDIA", "إنفيديا" and "انفيديا")."""
    return term_key(a) == term_key(b)


def parse_terms(terms_json: str | None) -> list[str]:
    """The terms of a ``watch_terms``/``mute_terms`` column (a JSON list); [] for anything else."""
    try:
        value = json.loads(terms_json or "[]")
    except ValueError:
        return []
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


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
    """One automaton per distinct term list (chats share lists, and a list changes rarely); each key carries
    its length and the term as the chat typed it, so an alert can say which term it was."""
    keys: dict[str, str] = {}
    for term in parse_terms(terms_json):
        for key in sorted(term_keys(term)):
            keys.setdefault(key, term)
    if not keys:
        return None
    a = ahocorasick.Automaton()
    for key, term in keys.items():
        a.add_word(key, (len(key), term))
    a.make_automaton()
    return a


def matched_term(terms_json: str | None, normalized: str) -> str | None:
    """The first of a chat's terms (as typed) that occurs in ``normalized`` text, else None."""
    a = _automaton(terms_json or "[]")
    if a is None:
        return None
    for end, (length, term) in a.iter(normalized):
        if _bounded(normalized, end - length + 1, end + 1):
            return str(term)
    return None


def contains_term(terms_json: str | None, normalized: str) -> bool:
    return matched_term(terms_json, normalized) is not None


def has_terms(values: Iterable[str | None]) -> bool:
    """Any of these columns holds a term (cheap: no JSON parsing for the usual empty list)."""
    return any(v and v.strip() not in ("", "[]") for v in values)
