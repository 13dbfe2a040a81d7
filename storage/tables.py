"""SQLModel tables. Every change goes through an Alembic migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

# Lengths the code writes up to (``bot.normalize`` and ``bot.stories.urls`` cap what they produce at these,
# and a test holds them equal): one place, so that the schema and the code cannot disagree again.
URL_MAX = 8192  # a link or canonical URL; anything longer is not an article URL (data: blobs)
IDENTITY_MAX = 512  # an item's identity within its feed (``bot.normalize``)
DELIVERY_KEY_MAX = 128  # "story:<id>", "digest:<period>", "disabled:<feed id>:<hour>", "trend:…"


class _Keyed(Protocol):
    @property
    def id(self) -> int | None: ...


def stored_id(row: _Keyed) -> int:
    """The primary key of a row read from the database or flushed to it.

    ``id`` is typed optional because a new object has none until its INSERT; a stored row always has one, so
    ``None`` here is a bug, raised as one (an ``assert`` would vanish under ``python -O``).
    """
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id: it was never stored")
    return row.id


class Feed(SQLModel, table=True):
    __tablename__ = "feeds"

    id: str = Field(primary_key=True, max_length=64)
    url: str = Field(sa_column=Column(Text, nullable=False))
    configured_url: str = Field(sa_column=Column(Text, nullable=False))
    title: str | None = Field(default=None, sa_column=Column(Text))
    language: str = Field(max_length=8)
    authority: bool = False
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text))
    etag: str | None = Field(default=None, sa_column=Column(Text))
    last_modified: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_attempt: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_poll: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # The pace of the last successful poll (bot.fetch.pacing): the interval used for next_poll, and the
    # feed's own ask behind it (what it asked, through which header or element), shown by /feeds.
    poll_interval: float | None = None
    paced_by: str | None = Field(default=None, max_length=32)
    paced_asks: float | None = None
    # The document's own ask (<ttl>, sy:updatePeriod), kept for the polls answered 304 without a body.
    document_asks: float | None = None
    document_asks_by: str | None = Field(default=None, max_length=32)
    consecutive_failures: int = 0
    last_error_code: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    polls: int = 0  # successful polls; the first one stores a backlog without alerting
    # Polls judged floods and the new items they brought (bot.deliver.caps): left out of the feed's usual rate,
    # so a feed that republishes its archive poll after poll stays flagged instead of raising its own baseline.
    # (The server default is migration 0009's, which added them to existing rows; a new store has it too.)
    flood_polls: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    flood_items: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    flooded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=64)  # the worker polling it now
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ItemRow(SQLModel, table=True):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("feed_id", "identity", name="uq_items_feed_identity"),
        Index("ix_items_published", "published"),
        # Equality only, and values up to URL_MAX: a B-tree entry holds about 2,700 bytes, a hash entry any.
        Index("ix_items_canonical_url", "canonical_url", postgresql_using="hash"),
        Index("ix_items_content_hash", "content_hash"),
        Index("ix_items_feed_published", "feed_id", "published"),
    )

    id: int | None = Field(default=None, primary_key=True)
    feed_id: str = Field(foreign_key="feeds.id", max_length=64, ondelete="CASCADE")
    identity: str = Field(max_length=IDENTITY_MAX)
    guid: str | None = Field(default=None, sa_column=Column(Text))
    url: str | None = Field(default=None, sa_column=Column(Text))
    canonical_url: str | None = Field(default=None, max_length=URL_MAX)
    source_url: str | None = Field(default=None, sa_column=Column(Text))
    source_name: str | None = Field(default=None, sa_column=Column(Text))
    title: str = Field(sa_column=Column(Text, nullable=False))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    content: str = Field(sa_column=Column(Text, nullable=False))
    language: str = Field(max_length=8)
    published: datetime = Field(sa_type=UTCDateTime)
    fetched: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    content_hash: str = Field(max_length=64)
    pruned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # a tombstone: identity kept, text gone


class Match(SQLModel, table=True):
    """The matcher's verdict on one item (one row per item, replaced when the item is corrected)."""

    __tablename__ = "matches"

    item_id: int = Field(primary_key=True, foreign_key="items.id", ondelete="CASCADE")
    relevant: bool = Field(index=True)
    score: float
    severity: str | None = Field(default=None, max_length=16)
    topics: str = Field(sa_column=Column(Text, nullable=False))  # space-separated topic ids
    entities: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of hits with spans
    reasons: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of strings
    matched_at: datetime = Field(sa_type=UTCDateTime)


class MatchTopic(SQLModel, table=True):
    """(topic, item) rows with the item's publication time, so '/latest TOPIC' is one index range scan."""

    __tablename__ = "match_topics"
    __table_args__ = (Index("ix_match_topics_topic_published", "topic", "published"),)

    item_id: int = Field(primary_key=True, foreign_key="items.id", ondelete="CASCADE")
    topic: str = Field(primary_key=True, max_length=64)
    published: datetime = Field(sa_type=UTCDateTime)


class MatchEntity(SQLModel, table=True):
    __tablename__ = "match_entities"
    __table_args__ = (Index("ix_match_entities_entity_published", "entity", "published"),)

    item_id: int = Field(primary_key=True, foreign_key="items.id", ondelete="CASCADE")
    entity: str = Field(primary_key=True, max_length=64)
    published: datetime = Field(sa_type=UTCDateTime)


class Story(SQLModel, table=True):
    """One event, told by one or more items across outlets and languages."""

    __tablename__ = "stories"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime, index=True)
    first_published: datetime = Field(sa_type=UTCDateTime, index=True)
    last_published: datetime = Field(sa_type=UTCDateTime)
    lead_item_id: int | None = Field(default=None, foreign_key="items.id", ondelete="SET NULL")
    authority_item_id: int | None = Field(default=None, foreign_key="items.id", ondelete="SET NULL")
    member_count: int = 1
    source_count: int = 1
    languages: str = Field(default="", max_length=16)  # "ar en"
    severity: str | None = Field(default=None, max_length=16)
    score: float = 0.0
    topics: str = Field(default="", sa_column=Column(Text, nullable=False))


class StoryItem(SQLModel, table=True):
    __tablename__ = "story_items"

    item_id: int = Field(primary_key=True, foreign_key="items.id", ondelete="CASCADE")
    story_id: int = Field(foreign_key="stories.id", index=True, ondelete="CASCADE")
    joined_at: datetime = Field(sa_type=UTCDateTime)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))


class ItemSignature(SQLModel, table=True):
    """What clustering needs of an item without re-reading its text: MinHash and fact fingerprint."""

    __tablename__ = "item_signatures"

    item_id: int = Field(primary_key=True, foreign_key="items.id", ondelete="CASCADE")
    published: datetime = Field(sa_type=UTCDateTime, index=True)
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    fingerprint: str = Field(default="", sa_column=Column(Text, nullable=False))  # space-separated tokens
    entities: str = Field(default="", sa_column=Column(Text, nullable=False))  # space-separated entity ids
    informative: bool = False
    authority: bool = False


class Subscription(SQLModel, table=True):
    """A chat, channel or webhook that receives alerts, and its settings. Platform-neutral: what only one
    platform knows (Discord's server, role to mention, a webhook's name) is in ``options``, a JSON object that
    platform's adapter parses (``bot.adapters.discord.options``)."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("platform", "target", name="uq_subscriptions_platform_target"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)  # telegram | discord | discord-webhook | console | webhook
    target: str = Field(max_length=128)  # chat id, channel id, or webhook id (never the secret)
    secret: str | None = Field(default=None, sa_column=Column(Text))  # a webhook URL: never logged or shown
    topics: str = Field(default="", sa_column=Column(Text, nullable=False))  # space-separated; "" = all
    languages: str = Field(default="ar en", max_length=16)  # item languages wanted
    min_score: float = 0.0
    # normal | high | critical: alerts below it are not sent (``bot.deliver.route``)
    min_severity: str = Field(default="normal", max_length=16, sa_column_kwargs={"server_default": "normal"})
    interface_language: str = Field(default="en", max_length=8)
    timezone: str = Field(default="UTC", max_length=64)
    digest: str = Field(default="off", max_length=8)  # off | daily | weekly
    digest_day: int = 0  # Monday = 0
    digest_hour: int = 8
    paused: bool = False
    paused_reason: str | None = Field(default=None, sa_column=Column(Text))
    watch_terms: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list
    mute_terms: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list
    # The platform's own settings (a JSON object, "{}" for none); only its adapter reads or writes the keys
    options: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    link_previews: bool = False
    trend_alerts: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """The outbox: one row per (subscription, key); written in the transaction that decided it."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "key", name="uq_deliveries_subscription_key"),
        Index("ix_deliveries_due", "status", "next_attempt"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscriptions.id", ondelete="CASCADE")
    story_id: int | None = Field(default=None, foreign_key="stories.id", index=True, ondelete="SET NULL")
    key: str = Field(max_length=DELIVERY_KEY_MAX)  # "story:<id>", "digest:<period>", "disabled:…", "trend:…"
    kind: str = Field(default="alert", max_length=16)  # alert | digest | notice
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed | cancelled
    needs_edit: bool = False  # sent, and the story changed since: edit the message
    attempts: int = 0
    next_attempt: datetime = Field(sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_id: str | None = Field(default=None, max_length=128)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    payload: str | None = Field(default=None, sa_column=Column(Text))  # JSON for digests and notices
    resent_after_crash: bool = False  # a send was in flight when a worker died: it may have arrived
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Lease(SQLModel, table=True):
    """Named leases (one chat listener per bot token, one scheduler of digests) that expire with their owner."""

    __tablename__ = "leases"

    name: str = Field(primary_key=True, max_length=128)
    owner: str = Field(max_length=64)
    until: datetime = Field(sa_type=UTCDateTime)
