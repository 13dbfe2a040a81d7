"""The digest's data: settings, a period's digest and its stories, spikes (no SQL, no formatting).

Its own module so that building, rendering, charting and delivering a digest each import the types without
importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.digest.period import Period


@dataclass(frozen=True)
class SpikeSettings:
    multiple: float = 3.0  # the last 24 h must exceed this many times the daily baseline
    min_count: int = 3  # and hold at least this many mentions
    window: timedelta = timedelta(hours=24)
    baseline: timedelta = timedelta(days=28)
    min_history: timedelta = timedelta(days=3)  # of collecting, before any spike (digests)
    alert_min_history: timedelta = timedelta(days=7)  # of collecting, before any instant trend alert
    limit: int = 5  # spikes shown in a digest


@dataclass(frozen=True)
class Spike:
    kind: str  # "entity" | "topic"
    key: str  # entity id or topic id
    count: int  # mentions in the window
    baseline: float  # mentions per day over the baseline window
    ratio: float | None  # count / baseline; None when the baseline is zero
    baseline_days: float = 28.0  # how long the baseline window was (shorter in a young store)

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "key": self.key,
            "count": self.count,
            "baseline": round(self.baseline, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 2),
            "baseline_days": round(self.baseline_days, 1),
        }


@dataclass(frozen=True)
class DigestSettings:
    top_per_topic: int = 5
    max_stories: int = 15
    entities: int = 8
    new_entities: int = 5
    new_lookback: timedelta = timedelta(days=28)
    # "New" needs history: in a store younger than this before the period, everything would look new.
    new_min_history: timedelta = timedelta(days=7)
    spikes: SpikeSettings = field(default_factory=SpikeSettings)


@dataclass
class DigestStory:
    story_id: int
    title: str
    title_language: str  # the title is shown in its own language
    url: str | None
    sources: int
    languages: list[str]
    score: float
    rank: float
    topics: list[str]
    main_topic: str
    first_published: datetime


@dataclass
class Digest:
    period: Period
    language: str  # the subscription's interface language
    topics: list[str]  # the subscription's topics ([] = all)
    item_languages: list[str] = field(default_factory=lambda: ["ar", "en"])  # the items it wants
    stories: list[DigestStory] = field(default_factory=list)  # ranked, best first
    groups: dict[str, list[DigestStory]] = field(default_factory=dict)  # main topic → stories, best group first
    counts: dict[str, int] = field(default_factory=dict)  # stories, items, sources
    previous: dict[str, int] = field(default_factory=dict)  # the same for the previous period
    topic_counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # topic → (stories, previous)
    entities: list[tuple[str, int]] = field(default_factory=list)  # (entity id, mentions), most first
    new_entities: list[str] = field(default_factory=list)
    spikes: list[Spike] = field(default_factory=list)

    @property
    def since(self) -> datetime:
        return self.period.since

    @property
    def until(self) -> datetime:
        return self.period.until

    @property
    def empty(self) -> bool:
        return not self.stories
