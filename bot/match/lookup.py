"""Resolving user queries to topics and entities, and the second-look decision."""

from __future__ import annotations

import difflib

from bot.match.classify import Classification
from bot.match.evidence import DOMAIN_KINDS
from bot.match.lexicon import Lexicon, load_lexicon
from bot.match.normalizer import normalize_text
from bot.match.terms import arabic_key

# Below this much evidence there is nothing worth fetching the article for.
SECOND_LOOK_MIN = 0.5


def needs_second_look(c: Classification) -> bool:
    """True exactly when the item shows some evidence but not enough (a thin title worth fetching).

    Some evidence: a positive evidence score that is either at least ``SECOND_LOOK_MIN`` or comes
    with a named watched entity of the chip domain (a company, chip, agency, list, material) — a
    Google News title such as "هواوي تكشف عن خطتها" scores little because it is short, not because it
    is off-topic. False when the item is already relevant, and False when there is no evidence at all
    (only people or countries, vetoed senses), so pages are never fetched for those.
    """
    if c.relevant or c.evidence <= 0:
        return False
    return c.evidence >= SECOND_LOOK_MIN or any(e.kind in DOMAIN_KINDS for e in c.entities)


def _keys(query: str) -> list[str]:
    q = normalize_text(query)
    return [q, arabic_key(query), q.replace(" ", "-")]


def topic_lookup(query: str, lexicon: Lexicon | None = None) -> str | None:
    """Topic id for an id, an Arabic or English name, or an alias (``hbm``, ``الذاكرة عالية النطاق``)."""
    lex = lexicon or load_lexicon()
    if query in lex.topics:
        return query
    for key in _keys(query):
        if key in lex.topics:
            return key
        if key in lex._topic_index:
            return lex._topic_index[key]
    return None


def suggest_topic(query: str, lexicon: Lexicon | None = None) -> str | None:
    """The closest topic for a misspelt query (``export-contrls`` -> ``export-controls``), or None."""
    lex = lexicon or load_lexicon()
    exact = topic_lookup(query, lex)
    if exact:
        return exact
    q = normalize_text(query)
    if not q:
        return None
    names = list(lex._topic_index)
    best = difflib.get_close_matches(q, names, n=1, cutoff=0.6)
    return lex._topic_index[best[0]] if best else None


def entity_lookup(query: str, lexicon: Lexicon | None = None) -> str | None:
    """Entity id for an id, a display name or a curated alias, in either language."""
    lex = lexicon or load_lexicon()
    if query in lex.entries and lex.entries[query].kind != "term":
        return query
    for key in _keys(query):
        eid = lex._entity_index.get(key)
        if eid is not None and lex.entries[eid].kind != "term":
            return eid
    return None
