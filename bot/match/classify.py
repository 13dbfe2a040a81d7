"""Relevance, score, severity, topics and reasons for one item.

Relevance policy (the product's; the evaluation corpora are labeled by it)
-------------------------------------------------------------------------
Relevant: export controls, sanctions, licences and bans on chips, chipmaking equipment and critical
minerals, in either direction (US, allies, China); Entity List and similar list actions; AI-chip
industry news (makers, supply, capacity, market moves of AI-chip companies, domestic substitutes);
trade talks and deals where chips or minerals are at stake; the wider US–China AI rivalry when it
concerns chips, models or the people who build them.

Not relevant: consumer product news and reviews (gaming graphics cards, phones) unless they are about
controls; export bans on other goods (rice, oil); the named people's unrelated diplomacy; the non-chip
senses of the words.

How an item is classified
-------------------------
Four stages, each a small module over one typed record:

1. ``bot.match.evidence.gather`` — scan title and body, set vetoed senses and off-topic context aside,
   confirm ambiguous aliases, index the hits and compute the facts the later stages read (:class:`Evidence`).
2. ``bot.match.relevance.weigh`` — what the evidence is worth; ``evidence >= THRESHOLD`` is relevant.
3. ``bot.match.topics.assign`` — every topic the item is about (relevant items only).
4. ``bot.match.severity.grade`` — critical / high / normal, from the title (relevant items only).

Entity properties the rules read (whose side an entity is on, a leader, a negotiator, a control, a
tariff) are lexicon attributes, so a user's lexicon extension works the same way as the shipped data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.domain import Severity
from bot.match.evidence import DOMAIN_KINDS, Evidence, gather, headline
from bot.match.lexicon import Lexicon, load_lexicon
from bot.match.relevance import THRESHOLD, weigh
from bot.match.severity import grade
from bot.match.topics import assign

__all__ = ["DOMAIN_KINDS", "THRESHOLD", "Classification", "EntityHit", "classify", "headline"]


@dataclass(frozen=True, slots=True)
class EntityHit:
    id: str
    kind: str
    text: str  # the matched text as it appears in the original field
    start: int  # offsets in the ORIGINAL field string, end exclusive
    end: int
    field: str  # 'title' | 'text'

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as a constructor call: a frozen slotted dataclass otherwise unpickles through a Python loop of
        # setattr calls, which the main process pays for every hit of every verdict a parse worker sends back.
        return (EntityHit, (self.id, self.kind, self.text, self.start, self.end, self.field))


@dataclass(frozen=True, slots=True)
class Classification:
    relevant: bool
    score: float
    severity: Severity | None  # None when not relevant
    topics: tuple[str, ...]
    entities: tuple[EntityHit, ...]
    reasons: tuple[str, ...]
    evidence: float
    # ``entities`` and ``reasons`` as the store writes them (``stored_json``), made with the verdict: in the
    # parse workers, once per distinct text, not in the single writer (issue 14). None: made by the writer.
    stored: tuple[str, str] | None = field(default=None, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:  # as ``EntityHit.__reduce__``
        fields = (self.relevant, self.score, self.severity, self.topics, self.entities, self.reasons, self.evidence)
        return (Classification, (*fields, self.stored))


def stored_json(entities: tuple[EntityHit, ...], reasons: tuple[str, ...]) -> tuple[str, str]:
    """A verdict's entities (id, kind, matched text, offsets, field) and reasons as stored (JSON)."""
    hits = [
        {"id": e.id, "kind": e.kind, "text": e.text, "start": e.start, "end": e.end, "field": e.field} for e in entities
    ]
    return json.dumps(hits, ensure_ascii=False), json.dumps(list(reasons), ensure_ascii=False)


def classify(title: str, text: str = "", lang: str | None = None, lexicon: Lexicon | None = None) -> Classification:
    """Classify one item (title and body) by the relevance policy in this module's docstring.

    ``lang`` is accepted for the record; matching is language-independent (both lexicons apply).
    """
    lex = lexicon or load_lexicon()
    ev = gather(lex, _clean(title), _clean(text))
    w = weigh(ev)
    reasons = [*ev.notes, *w.reasons]
    topics: tuple[str, ...] = ()
    severity = None
    if w.relevant:
        topics = assign(ev, w, reasons, lex.topics)
        severity = grade(ev, w.list_action, reasons)
    reasons.append(f"{'relevant' if w.relevant else 'not relevant'}: evidence {w.evidence:.2f} (threshold {THRESHOLD})")
    entities, why = _entities(ev), tuple(reasons)
    return Classification(w.relevant, w.score, severity, topics, entities, why, w.evidence, stored_json(entities, why))


def _entities(ev: Evidence) -> tuple[EntityHit, ...]:
    return tuple(
        EntityHit(fh.entry.id, fh.entry.kind, fh.text, *fh.span, fh.field)
        for fh in sorted(ev.hits, key=lambda f: (f.field != "title", f.hit.start))
        if fh.entry is not None and fh.entry.kind != "term"
    )


def _clean(value: object) -> str:
    return value if isinstance(value, str) else ""
