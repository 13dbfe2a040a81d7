"""The story summary rule: which item leads a story, and the columns a story shows for its members.

One rule, used three ways: ``choose_lead`` by clustering (a candidate story's lead anchors its window),
``StorySummary.add`` by assignment (the columns after one more member, without re-reading the members) and
``StorySummary.of`` by a correction (the columns recomputed from every member).

* **Lead**: the earliest item from an authority feed (Federal Register, ministries), else the earliest item
  (``lead_rank``). Two members published at the same instant: from scratch the smaller key as text
  decides (so the lead does not depend on the order members are read in); one member at a time, the
  member the story already had keeps the lead (a stored lead never flips to a report of the same second).
* **Authority item**: the earliest authority member, by the same rank.
* **Counts and languages**: members, distinct feeds, the members' languages (sorted, space-separated).
* **Verdict columns**: the highest score, the most severe severity (``Severity.rank_of``; the first one met on
  a tie), the members' topics in the order first met. Members without a verdict leave them as they were.

Pure: no database. ``bot.stories.assign`` reads the members and writes the columns (``storage.stories``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from bot.domain import Severity

_FAR = datetime.max.replace(tzinfo=None)


class Ranked(Protocol):
    """What the lead rule reads of a member."""

    @property
    def key(self) -> Hashable: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def authority(self) -> bool: ...


R = TypeVar("R", bound=Ranked)


def lead_rank(m: Ranked) -> tuple[int, datetime, str]:
    """The order of a story's members for the lead: authority first, then earliest, then key as text."""
    t = naive_utc(m.published) if m.published is not None else _FAR
    return (0 if m.authority else 1, t, str(m.key))


def choose_lead(members: Iterable[R]) -> R:
    """The story's primary item: the earliest authority item, else the earliest item."""
    ms = list(members)
    if not ms:
        raise ValueError("a story has at least one member")
    return min(ms, key=lead_rank)


def naive_utc(t: datetime) -> datetime:
    """UTC without tzinfo: SQLite may hand back naive UTC, callers aware UTC; compare them as one."""
    return t if t.tzinfo is None else _naive_aware(t)


# Remembered: story assignment asks ~12 times per item for the same few times (a summary's first and last,
# a member's), and ``replace(tzinfo=None)`` costs twenty dictionary lookups. Equal instants share an entry,
# as they share the answer; 4,096 entries (under 1 MB) hold a write batch's times.
@lru_cache(maxsize=4096)
def _naive_aware(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Member:
    """One item of a story as the summary sees it. ``score`` None: no verdict (a recompute then ignores its
    severity and topics)."""

    item_id: int
    published: datetime
    language: str
    feed_id: str
    authority: bool = False
    score: float | None = None
    severity: str | None = None
    topics: tuple[str, ...] = ()

    @property
    def key(self) -> int:
        return self.item_id


@dataclass
class StorySummary:
    """A story's summary columns (``storage.stories.SUMMARY_COLUMNS``), and what ``add`` needs to keep them
    without re-reading the members: the members' feeds and the authority item's published time.
    ``authority_known`` False: not read yet, the caller reads it before ``add``s an authority member.
    ``feeds`` None: not read; ``add`` then leaves ``source_count`` for the caller to count in the database
    (``bot.stories.assign.Assigner.flush``)."""

    first_published: datetime
    last_published: datetime
    lead_item_id: int | None
    authority_item_id: int | None
    member_count: int
    source_count: int
    languages: str
    severity: str | None
    score: float
    topics: str
    feeds: set[str] | None = field(default=None, compare=False)
    authority_published: datetime | None = field(default=None, compare=False)
    authority_known: bool = field(default=False, compare=False)

    @classmethod
    def start(cls, m: Member) -> StorySummary:
        """The summary of a story of one member."""
        return cls(
            first_published=m.published,
            last_published=m.published,
            lead_item_id=m.item_id,
            authority_item_id=m.item_id if m.authority else None,
            member_count=1,
            source_count=1,
            languages=m.language,
            severity=m.severity,
            score=float(m.score or 0.0),
            topics=" ".join(dict.fromkeys(m.topics)),
            feeds={m.feed_id},
            authority_published=m.published if m.authority else None,
            authority_known=True,
        )

    @classmethod
    def of(cls, members: Sequence[Member], previous: StorySummary) -> StorySummary:
        """The summary recomputed from all ``members``; the verdict columns stay ``previous``'s when no
        member has a verdict."""
        authorities = [m for m in members if m.authority]
        out = cls(
            first_published=min(m.published for m in members),
            last_published=max(m.published for m in members),
            lead_item_id=choose_lead(members).item_id,
            authority_item_id=choose_lead(authorities).item_id if authorities else None,
            member_count=len(members),
            source_count=len({m.feed_id for m in members}),
            languages=" ".join(sorted({m.language for m in members})),
            severity=previous.severity,
            score=previous.score,
            topics=previous.topics,
        )
        scored = [m for m in members if m.score is not None]
        if scored:
            first = scored[0]
            out.severity, out.score = first.severity, float(first.score or 0.0)
            out.topics = " ".join(dict.fromkeys(first.topics))
            for m in scored[1:]:
                out._merge_verdict(m)
        return out

    def add(self, m: Member) -> None:
        """The columns after one more member (``authority_published`` must be known when ``m`` is an
        authority item; ``source_count`` only changes here when ``feeds`` is)."""
        if m.authority and not self.authority_known:
            raise ValueError("StorySummary.add needs the story's authority item's time")
        if self.feeds is not None and m.feed_id not in self.feeds:
            self.feeds.add(m.feed_id)
            self.source_count += 1
        self.member_count += 1
        self.languages = " ".join(sorted({*self.languages.split(), m.language}))
        earlier = naive_utc(m.published) < naive_utc(self.first_published)
        self.first_published = min(self.first_published, m.published, key=naive_utc)
        self.last_published = max(self.last_published, m.published, key=naive_utc)
        if m.authority and (
            self.authority_published is None or naive_utc(m.published) < naive_utc(self.authority_published)
        ):
            self.authority_item_id, self.authority_published = m.item_id, m.published
        if self.authority_item_id is not None:
            self.lead_item_id = self.authority_item_id
        elif earlier:  # no authority member: the lead is the earliest, whose time ``first_published`` was
            self.lead_item_id = m.item_id
        self._merge_verdict(m)

    def _merge_verdict(self, m: Member) -> None:
        if m.score is not None and float(m.score) > self.score:
            self.score = float(m.score)
        if Severity.rank_of(m.severity) > Severity.rank_of(self.severity):
            self.severity = m.severity
        self.topics = " ".join(dict.fromkeys([*self.topics.split(), *m.topics]))

    def columns(self) -> dict[str, Any]:
        """The summary columns by name."""
        return {
            "first_published": self.first_published,
            "last_published": self.last_published,
            "lead_item_id": self.lead_item_id,
            "authority_item_id": self.authority_item_id,
            "member_count": self.member_count,
            "source_count": self.source_count,
            "languages": self.languages,
            "severity": self.severity,
            "score": self.score,
            "topics": self.topics,
        }
