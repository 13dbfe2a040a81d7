"""The writer's data: what one feed's poll hands it (``StoreJob``), what it gives back (``StoredBatch``), and the
columns of a new item row (``NewRow``).

A job carries everything the CPU stage computed (``bot.analyze``): each item's verdict, the story features of
the relevant ones and every item's canonical URL. The writer computes none of them again — it runs under the
story index's lock, where a second computation costs every feed waiting for the writer — and a job that lacks
one is refused when it is built, not filled in later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.deliver.alertable import Alertable
from bot.deliver.caps import Flood
from bot.fetch.pacing import Ask, Pacing
from bot.normalize import Item

if TYPE_CHECKING:
    from bot.match import Classification
    from bot.stories.fingerprint import Fingerprint
    from bot.stories.signatures import Signature

Classifier = Callable[[str, str, str | None], "Classification"]


@dataclass
class StoredBatch:
    new: int = 0
    updated: int = 0
    relevant: int = 0
    alerts: list[Alertable] = field(default_factory=list)
    new_stories: int = 0
    grown_stories: set[int] = field(default_factory=set)  # existing stories that gained or changed a member
    flood: Flood | None = None  # far more new items than the feed's history (flagged to the operators)
    copies: list[Alertable] = field(default_factory=list)  # fresh items that joined an existing story
    # Fresh new items the matcher judged off-topic: they reach only chats that watch a term they contain.
    watched: list[Alertable] = field(default_factory=list)


@dataclass(frozen=True)
class PollMark:
    """A successful poll's feed state (``storage.feeds.mark_polled_many``), written in the transaction of its items."""

    interval: float
    etag: str | None
    last_modified: str | None
    new_url: str | None = None
    title: str | None = None
    pacing: Pacing | None = None  # the interval's reason, when the feed asked for a pace
    document_ask: Ask | None = None  # the document's own ask (kept for polls answered 304)
    lease_owner: str | None = None  # the worker that claimed the poll: its lease, and only its, is released


@dataclass(frozen=True)
class StoreJob:
    """One feed's poll, as the writer stores it: its items with what ``bot.analyze`` computed of them —
    ``verdicts`` (identity → ``Classification``, every item), ``features`` (identity → (signature,
    fingerprint), every relevant item) and ``canonical`` (identity → canonical URL or None, every item).

    Raises ``ValueError`` when one is missing: ``bot.analyze.judge`` and ``canonical_urls`` give them (or
    ``story_features`` for verdicts a caller made itself). A poll answered 304 is ``StoreJob.polled_only``."""

    feed_id: str
    now: datetime
    items: Sequence[Item]
    verdicts: Mapping[str, Classification]
    features: Mapping[str, tuple[Signature, Fingerprint]]
    canonical: Mapping[str, str | None]
    first_poll: bool = False
    authority: bool = False
    polled: PollMark | None = None

    def __post_init__(self) -> None:
        for i in self.items:
            verdict = self.verdicts.get(i.identity)
            if verdict is None:
                missing = "verdict"
            elif i.identity not in self.canonical:
                missing = "canonical URL"
            elif verdict.relevant and i.identity not in self.features:
                missing = "story features"
            else:
                continue
            raise ValueError(f"feed {self.feed_id}: item {i.identity!r} has no {missing} (bot.analyze gives it)")

    @classmethod
    def polled_only(cls, feed_id: str, now: datetime, polled: PollMark) -> StoreJob:
        """A poll with nothing to store but the feed's state (a 304)."""
        return cls(feed_id, now, (), {}, {}, {}, polled=polled)


@dataclass(slots=True)
class NewRow:
    """The columns of an ``ItemRow`` without the ORM object (``storage.items.store_items`` sets ``id``)."""

    feed_id: str
    identity: str
    guid: str | None
    url: str | None
    canonical_url: str | None
    source_url: str | None
    source_name: str | None
    title: str
    summary: str
    content: str
    language: str
    published: datetime
    fetched: datetime
    content_hash: str
    updated_at: datetime | None = None
    pruned_at: datetime | None = None
    id: int | None = None


def to_row(item: Item, canonical: Mapping[str, str | None]) -> NewRow:
    """The item's row, with the canonical URL the analysis gave it."""
    return NewRow(
        feed_id=item.feed_id,
        identity=item.identity,
        guid=item.guid,
        url=item.url,
        canonical_url=canonical[item.identity],
        source_url=item.source_url,
        source_name=item.source_name,
        title=item.title,
        summary=item.summary,
        content=item.content,
        language=item.language,
        published=item.published,
        fetched=item.fetched,
        content_hash=item.content_hash,
    )
