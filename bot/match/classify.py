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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from bot.domain import Severity
from bot.match.evidence import DOMAIN_KINDS, Evidence, gather, headline
from bot.match.lexicon import Lexicon, load_lexicon
from bot.match.relevance import THRESHOLD, weigh
from bot.match.severity import grade
from bot.match.topics import assign

__all__ = ["DOMAIN_KINDS", "THRESHOLD", "Classification", "EntityHit", "classify", "entity_ids", "headline"]

T = TypeVar("T")


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
    entities: Sequence[EntityHit]  # a tuple; ``StoredHits`` in a verdict a parse worker sent
    reasons: Sequence[str]  # a tuple; ``StoredReasons`` in a verdict a parse worker sent
    evidence: float
    # ``entities`` and ``reasons`` as the store writes them (``stored_json``), made with the verdict: in the
    # parse workers, once per distinct text, not in the single writer (issue 14). None: made by the writer.
    stored: tuple[str, str] | None = field(default=None, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as a constructor call (as ``EntityHit``). A verdict with its stored JSON travels without its
        hits and reasons as objects: the single writer needs only their ids and that JSON, and unpickling
        nine hits and a dozen reasons per verdict was most of what the service process paid to receive a
        parse worker's analysis (0.9 of 1.2 ms a feed). They are read back from the JSON when asked for."""
        severity = None if self.severity is None else str(self.severity)
        if self.stored is None:
            fields = (self.relevant, self.score, severity, self.topics, tuple(self.entities), tuple(self.reasons))
            return (_verdict, (*fields, self.evidence, None))
        hits = StoredHits(self.stored[0], entity_ids(self.entities))
        lazy = (self.relevant, self.score, severity, self.topics, hits, StoredReasons(self.stored[1]))
        return (_verdict, (*lazy, self.evidence, self.stored))


_SEVERITIES = {str(s): s for s in Severity}


def _verdict(
    relevant: bool,
    score: float,
    severity: str | None,
    topics: tuple[str, ...],
    entities: Sequence[EntityHit],
    reasons: Sequence[str],
    evidence: float,
    stored: tuple[str, str] | None,
) -> Classification:
    # the severity by lookup: calling the enum class costs more than the rest of the verdict
    level = None if severity is None else _SEVERITIES[severity]
    return Classification(relevant, score, level, topics, entities, reasons, evidence, stored)


class _Stored(Sequence[T]):
    """A verdict's hits or reasons as their stored JSON, read into objects on first use: equal to (and
    hashing as) the tuple it stands for."""

    __slots__ = ("_items", "_json")
    _items: tuple[T, ...] | None

    def __init__(self, text: str) -> None:
        self._json, self._items = text, None

    def _read(self) -> tuple[T, ...]:
        raise NotImplementedError

    @property
    def items(self) -> tuple[T, ...]:
        if self._items is None:
            self._items = self._read()
        return self._items

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Stored):
            other = other.items
        return self.items == other if isinstance(other, tuple) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.items)

    def __repr__(self) -> str:
        return repr(self.items)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._json,))


class StoredReasons(_Stored[str]):
    def _read(self) -> tuple[str, ...]:
        return tuple(json.loads(self._json))


class StoredHits(_Stored[EntityHit]):
    """``ids`` without reading the rest: what the writer stores per entity."""

    __slots__ = ("ids",)

    def __init__(self, text: str, ids: tuple[str, ...]) -> None:
        super().__init__(text)
        self.ids = ids

    def _read(self) -> tuple[EntityHit, ...]:
        return tuple(
            EntityHit(h["id"], h["kind"], h["text"], h["start"], h["end"], h["field"]) for h in json.loads(self._json)
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (StoredHits, (self._json, self.ids))


def entity_ids(hits: Iterable[EntityHit]) -> tuple[str, ...]:
    """The entity ids of a verdict's hits, in order (repeats kept), without reading stored hits."""
    ids = getattr(hits, "ids", None)
    return ids if ids is not None else tuple(h.id for h in hits)


def stored_json(entities: Sequence[EntityHit], reasons: Sequence[str]) -> tuple[str, str]:
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
