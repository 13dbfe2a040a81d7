"""A story as the in-process index holds it (``CachedStory``) and its *representatives*: the members
``decide`` sees of it — all of a small story; else the lead, the newest members and the earliest member of
each language (``representatives``), kept up to date member by member at the cost of one insertion.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from bot.stories.features import ItemFeatures
from bot.stories.summary import choose_lead
from bot.stories.summary import naive_utc as _naive


@dataclass
class CachedStory:
    members: list[ItemFeatures] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)  # entities and codes of all members (document frequency)
    post_keys: set[str] = field(default_factory=set)  # keys under which ``postings`` lists this story
    first: datetime | None = None  # earliest member, naive UTC (the window is anchored there)
    lead: ItemFeatures | None = None  # ``choose_lead(members)``
    position: dict[Any, int] = field(default_factory=dict)  # member key → its place in ``members``
    firsts: dict[str, ItemFeatures] = field(default_factory=dict)  # language → its earliest member
    _recent: tuple[ItemFeatures, ...] | None = None  # ``_newest_members(members, _recent_max)``, kept up to date
    _recent_max: int = 0
    # A big story's newest members (``_newest``'s ``keep``) in its order, with their ranks (``_rank``): a new
    # member is one insertion, not a sort of them all (the writer's hottest line when a story floods).
    _keep: list[ItemFeatures] = field(default_factory=list)
    _ranks: list[tuple[int, int]] = field(default_factory=list)

    def add(self, feats: ItemFeatures) -> None:
        self.position[feats.key] = len(self.members)
        self.members.append(feats)
        self.lead = feats if self.lead is None else choose_lead((self.lead, feats))
        held = self.firsts.get(feats.lang)
        if held is None or _when(feats) < _when(held):  # a tie keeps the one learnt first, as ``min`` does
            self.firsts[feats.lang] = feats
        if self._recent is None:
            return
        n = len(self.members)
        if n <= 2 * self._recent_max:
            self._recent = tuple(self.members)
            return
        if not self._ranks:  # the story just outgrew its representatives: rank them all once
            self._rerank()
        else:
            # The newest members of (members + feats) are the newest of members, with feats in its place.
            rank = _rank(feats, n - 1)
            if rank < self._ranks[-1]:
                at = bisect.bisect(self._ranks, rank)
                self._ranks.insert(at, rank)
                self._keep.insert(at, feats)
                del self._ranks[-1], self._keep[-1]
        self._recent = self._with_lead()

    def prune(self, cutoff: datetime) -> list[Any]:
        """Forget members published before ``cutoff`` (naive UTC; undated ones count as old) except the lead and
        each language's first, and return their keys. A story that keeps gaining members — exact copies join at
        any age — would otherwise hold every member it ever had; what is kept is what a reload from the
        database learns (the cache's horizon) plus what the story shows and is anchored by. ``first`` stays."""
        kept = {id(self.lead), *(id(m) for m in self.firsts.values())}
        old = [m for m in self.members if id(m) not in kept and (m.published is None or _naive(m.published) < cutoff)]
        if not old:
            return []
        gone = {id(m) for m in old}
        self.members = [m for m in self.members if id(m) not in gone]
        self.position = {m.key: i for i, m in enumerate(self.members)}
        self._recent, self._ranks, self._keep = None, [], []  # ``recent`` ranks the members left afresh
        return [m.key for m in old]

    def _rerank(self) -> None:
        ranked = sorted(((_rank(m, i), m) for i, m in enumerate(self.members)), key=itemgetter(0))
        ranked = ranked[: 2 * self._recent_max - 1]
        self._ranks, self._keep = [r for r, _ in ranked], [m for _, m in ranked]

    def _with_lead(self) -> tuple[ItemFeatures, ...]:
        lead = self.lead
        if lead is None or _rank(lead, self.position[lead.key]) <= self._ranks[-1]:
            return tuple(self._keep)
        return (lead, *self._keep)

    def recent(self, max_members: int) -> tuple[ItemFeatures, ...]:
        """The story's representatives, the members ``decide`` sees: all of a small story, else the lead, the
        most recent ones and the earliest member of each language (equal to ``representatives(members)``)."""
        if self._recent is None or self._recent_max != max_members:
            self._recent_max, self._ranks = max_members, []
            if len(self.members) <= 2 * max_members:
                self._recent = tuple(self.members)
            else:
                self._rerank()
                self._recent = self._with_lead()
        return _with_firsts(self._recent, self.firsts)


def representatives(members: list[ItemFeatures], max_members: int) -> tuple[ItemFeatures, ...]:
    """A story's representatives (bounded: 2 · ``max_members`` + one per language): all members of a small
    story; else the lead, the newest members and the earliest member of each language — so a report in the
    language a flood of the other one has pushed out of the recent members still meets its own language."""
    firsts: dict[str, ItemFeatures] = {}
    for m in members:
        held = firsts.get(m.lang)
        if held is None or _when(m) < _when(held):
            firsts[m.lang] = m
    return _with_firsts(_newest_members(members, max_members), firsts)


def _newest_members(members: list[ItemFeatures], max_members: int) -> tuple[ItemFeatures, ...]:
    if len(members) <= max_members * 2:
        return tuple(members)
    return _newest(members, max_members, choose_lead(members))


def _with_firsts(members: tuple[ItemFeatures, ...], firsts: dict[str, ItemFeatures]) -> tuple[ItemFeatures, ...]:
    have = {m.key for m in members}
    extra = [firsts[lang] for lang in sorted(firsts) if firsts[lang].key not in have]
    return (*members, *extra) if extra else members


def _when(m: ItemFeatures) -> datetime:
    return _naive(m.published) if m.published is not None else datetime.max


_EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)


def _rank(m: ItemFeatures, position: int) -> tuple[int, int]:
    """Order of ``_newest``: newest first (an undated member last), then the earlier learnt; exact integers."""
    t = _naive(m.published) if m.published else datetime.min
    return -((t - _EPOCH) // _US), position


def _newest(members: list[ItemFeatures], max_members: int, lead: ItemFeatures) -> tuple[ItemFeatures, ...]:
    ms = sorted(members, key=lambda m: _naive(m.published) if m.published else datetime.min, reverse=True)
    keep = ms[: max_members * 2 - 1]
    return tuple(keep if lead in keep else [lead, *keep])
