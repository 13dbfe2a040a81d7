"""What clustering knows of an item (``ItemFeatures``) and what its features weigh.

Entity ids and fingerprint tokens are weighed by kind (``KIND_WEIGHTS``; figures of one kind capped together,
``KIND_CAPS``), generic entities (the US, China, BIS...) count little, and ``FieldWeights`` lowers the keys
many recent stories share. ``event_day`` resolves a report's first day reference ("on Monday", «أمس الخميس»)
against its published time. ``bot.stories.cluster`` scores pairs and decides with these.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.stories.fingerprint import Fingerprint
from bot.stories.terms import term_weight

# Entities that appear in most stories of this field: sharing them says nothing about the event.
GENERIC_ENTITIES = frozenset(
    {
        "us", "usa", "united-states", "america", "china", "prc", "beijing", "washington",
        "trump", "donald-trump", "biden", "joe-biden", "xi", "xi-jinping", "white-house",
        "commerce", "us-commerce", "commerce-department", "doc", "mofcom", "export-controls",
        "tariffs", "chips", "semiconductors", "ai-chips", "bis", "bureau-of-industry-and-security",
    }
)  # fmt: skip
GENERIC_WEIGHT = 0.2
# Fingerprint token weights by kind: model codes identify the product, weekdays are weak hints, a shared
# actor ("China acted") says little alone, the event's resolved day and a quantity with its unit say much.
KIND_WEIGHTS: Mapping[str, float] = {
    "code": 2.0,
    "num": 1.0,
    "pct": 1.2,
    "date": 1.0,
    "dow": 0.4,
    "year": 0.15,
    "act": 0.8,
    "qty": 1.5,
    "day": 1.0,
    "actor": 0.3,
    "when": 0.0,  # unresolved day references: compared through ``day:`` instead
    "stage": 0.0,  # plan / done: only ever a contradiction
}
KIND_CAPS: Mapping[str, float] = {"num": 2.0, "pct": 1.5, "date": 1.5, "year": 0.3}
# Token kinds that name a specific fact (weekdays, years and actions are shared by unrelated events).
SPECIFIC_KINDS = frozenset({"code", "num", "pct", "date", "qty", "day"})
# A day reference resolves to the event's day only this close to the published time (a weekday points back
# up to six days; a date further off is background or a deadline, not the event).
_DAY_BACK, _DAY_AHEAD = timedelta(days=10), timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ItemFeatures:
    """What clustering knows of one item. ``key`` is the item id in storage."""

    key: Hashable
    published: datetime | None
    lang: str
    entities: frozenset[str] = frozenset()
    fingerprint: Fingerprint = field(default_factory=lambda: Fingerprint(frozenset()))
    informative: bool = True  # enough body text for near-duplicate evidence (Signature.informative)
    authority: bool = False  # from an authority feed (Federal Register, ministries)
    source: str = ""


def default_weight(entity_id: str) -> float:
    """Weight of an entity id when the caller has no statistics: generic ones count little."""
    bare = entity_id.lower().rsplit(":", 1)[-1].replace("_", "-")
    return GENERIC_WEIGHT if bare in GENERIC_ENTITIES else 1.0


def idf_weights(doc_freq: Mapping[str, int], n_docs: int) -> dict[str, float]:
    """IDF-like entity weights from story counts (storage can compute them per day or week)."""
    n = max(n_docs, 1)
    return {e: max(0.1, min(2.0, math.log((n + 1) / (df + 1)))) for e, df in doc_freq.items()}


class FieldWeights(Mapping[str, float]):
    """Entity and model-code weights from their frequency among recent stories.

    ``doc_freq[key]`` is the number of stories (of ``n_stories``) holding an entity id (``nvidia``)
    or a code token (``code:h20``). A key in at most ``rare`` of the stories keeps its weight; one in
    ``common`` or more keeps ``floor`` of it; in between the factor falls log-linearly. With fewer
    than ``min_stories`` stories the statistics say nothing and every factor is 1.
    """

    def __init__(
        self,
        doc_freq: Mapping[str, int],
        n_stories: int,
        *,
        min_stories: int = 20,
        rare: float = 0.04,
        common: float = 0.25,
        floor: float = 0.3,
    ) -> None:
        self.doc_freq, self.n = doc_freq, n_stories
        self.min_stories, self.rare, self.common, self.floor = min_stories, rare, common, floor
        self._cache: dict[str, float] = {}

    def factor(self, key: str) -> float:
        df = self.doc_freq.get(key, 0)
        if self.n < self.min_stories or df <= 0:
            return 1.0
        p = df / self.n
        if p <= self.rare:
            return 1.0
        if p >= self.common:
            return self.floor
        t = math.log(p / self.rare) / math.log(self.common / self.rare)
        return 1.0 - t * (1.0 - self.floor)

    def __getitem__(self, key: str) -> float:
        w = self._cache.get(key)
        if w is None:
            base = KIND_WEIGHTS["code"] if key.startswith("code:") else default_weight(key)
            w = self._cache[key] = base * self.factor(key)
        return w

    def __iter__(self) -> Iterator[str]:
        return iter(self.doc_freq)

    def __len__(self) -> int:
        return len(self.doc_freq)


def story_keys(f: ItemFeatures) -> set[str]:
    """The keys of an item counted in ``FieldWeights`` document frequencies: entities and codes."""
    return set(f.entities) | set(f.fingerprint.of_kind("code"))


def item_weights(f: ItemFeatures, ent_w: Mapping[str, float] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for e in f.entities:
        out["ent:" + e] = ent_w.get(e, default_weight(e)) if ent_w else default_weight(e)
    for t in f.fingerprint.tokens:
        kind = t.split(":", 1)[0]
        w = term_weight(t[5:]) if kind == "term" else KIND_WEIGHTS.get(kind, 0.5)
        if w > 0:
            out[t] = ent_w.get(t, w) if ent_w is not None and kind == "code" else w
    day = event_day(f)
    if day is not None:
        out["day:" + day.isoformat()] = KIND_WEIGHTS["day"]
    # a market report quoting eight prices does not say eight times more about *which* event it is: the
    # figures of one kind weigh at most ``KIND_CAPS`` together, so detail does not dilute the overlap
    for kind, cap in KIND_CAPS.items():
        keys = [k for k in out if k.startswith(kind + ":")]
        total = sum(out[k] for k in keys)
        if total > cap:
            for k in keys:
                out[k] *= cap / total
    return out


def event_day(f: ItemFeatures) -> date | None:
    """The day the reported event happened: the first of the report's day references (``when:`` tokens,
    in order) that resolves near its published time. A weekday is its latest occurrence on or before the
    published day; a month-day takes the year that puts it nearest; "yesterday" is the day before."""
    if f.published is None:
        return None
    refs = sorted(f.fingerprint.of_kind("when"), key=lambda t: int(t.split(":", 2)[1]))
    pub = f.published.date()
    for ref in refs:
        _w, _n, kind, value = ref.split(":", 3)
        day: date | None = None
        if kind == "dow" and value in _DOW_INDEX:
            day = pub - timedelta(days=(pub.weekday() - _DOW_INDEX[value]) % 7)
        elif kind == "rel":
            day = pub + timedelta(days=int(value))
        elif kind == "date":
            month, dom = (int(x) for x in value.split("-"))
            options = []
            for year in (pub.year - 1, pub.year, pub.year + 1):
                try:
                    options.append(date(year, month, dom))
                except ValueError:  # 29 February of a common year
                    continue
            day = min(options, key=lambda d: abs(d - pub)) if options else None
        if day is not None and -_DAY_BACK <= day - pub <= _DAY_AHEAD:
            return day
    return None


_DOW_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
