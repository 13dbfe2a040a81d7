"""A chat's own watch and mute terms: which terms may be stored, and how a term is found in an item.

A term is found by the lexicon's own term matcher (``bot.match.terms``), so a watch term and the lexicon
never disagree on the same text: on the normalizer's matching view (alef and hamza forms, ta marbuta and
alif maqsura folded, diacritics and tatweel gone, Latin casefolded), as whole tokens, with Arabic proclitics
(و ب ل ال …) allowed on its left. A term that names a lexicon entity also finds that
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
from typing import Any, NamedTuple

from bot.match import terms as matcher
from bot.match.builder import no_article_keys
from bot.match.normalizer import normalize_text
from bot.match.terms import arabic_key, arabic_start

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
    return arabic_key(term) if arabic_start(key) else key


class _Spellings(NamedTuple):
    lexicon: Any  # the lexicon they were gathered from (a reload brings another)
    by_entity: dict[str, frozenset[str]]  # entity id -> its unambiguous keys
    no_article: frozenset[str]  # keys the lexicon gives no article (a head with a pronoun: قائمتها)


_spellings: _Spellings | None = None


def _entity_spellings() -> _Spellings:
    """The lexicon, each entity's unambiguous keys and the keys that take no article, gathered in one pass
    over its patterns (once per lexicon)."""
    global _spellings
    from bot.match import load_lexicon

    lex = load_lexicon()
    if _spellings is None or _spellings.lexicon is not lex:
        by_entity: dict[str, set[str]] = {}
        for p in lex.patterns:
            if not p.ambiguous:
                by_entity.setdefault(p.entry, set()).add(p.key)
        spellings = {e: frozenset(keys) for e, keys in by_entity.items()}
        _spellings = _Spellings(lex, spellings, no_article_keys(lex.patterns))
    return _spellings


@lru_cache(maxsize=4096)
def term_keys(term: str) -> frozenset[str]:
    """Every normalized key that counts as ``term`` occurring (empty when the term has no word in it): the term
    itself and, when it names a lexicon entity (the shipped lexicon), that entity's unambiguous spellings."""
    from bot.match import entity_lookup

    key = term_key(term)
    if not key:
        return frozenset()
    known = _entity_spellings()
    entity = entity_lookup(term, known.lexicon)
    return frozenset({key, *(known.by_entity.get(entity, ()) if entity else ())} - {""})


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


def _build(lists: tuple[str, ...]) -> Any:
    """One automaton for the term lists: each key carries, for each list holding it, the list's position and
    the term as the chat typed it (so an alert can say which term it was)."""
    values: dict[str, dict[int, str]] = {}
    for pos, terms_json in enumerate(lists):
        for term in parse_terms(terms_json):
            for key in sorted(term_keys(term)):
                values.setdefault(key, {}).setdefault(pos, term)
    if not values:
        return None
    # A key the lexicon gives no article takes none here either: the same text, the same verdict.
    return matcher.build_automaton(
        {key: (tuple(owners.items()),) for key, owners in values.items()}, _entity_spellings().no_article
    )


@lru_cache(maxsize=1024)
def _automaton(terms_json: str) -> Any:
    """One chat's list (chats share lists, and a list changes rarely)."""
    return _build((terms_json,))


@lru_cache(maxsize=8)
def _index(lists: tuple[str, ...]) -> Any:
    """Every watching chat's list in one automaton: an off-topic item is scanned once, however many chats watch
    (rebuilt only when a chat's terms change: the cache key is the lists themselves)."""
    return _build(lists)


def _found(a: Any, normalized: str) -> dict[int, str]:
    out: dict[int, str] = {}
    if a is None:
        return out
    for _start, _end, owners in matcher.find(a, normalized):
        for pos, term in owners:
            out.setdefault(pos, term)
    return out


def matched_term(terms_json: str | None, normalized: str) -> str | None:
    """The first of a chat's terms (as typed) that occurs in ``normalized`` text, else None."""
    return _found(_automaton(terms_json or "[]"), normalized).get(0)


def contains_term(terms_json: str | None, normalized: str) -> bool:
    return matched_term(terms_json, normalized) is not None


def matched_lists(lists: tuple[str, ...], normalized: str) -> dict[int, str]:
    """Position in ``lists`` -> the first of that list's terms occurring in ``normalized`` text (lists with none
    are absent): many chats' lists matched in one pass."""
    return _found(_index(lists), normalized)


def has_terms(values: Iterable[str | None]) -> bool:
    """Any of these columns holds a term (cheap: no JSON parsing for the usual empty list)."""
    return any(v and v.strip() not in ("", "[]") for v in values)
