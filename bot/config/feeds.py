"""The feeds file's models: ``FeedsFile`` (the whole file), its ``settings:`` section (``Settings``) and its
``feeds:`` entries (``FeedConfig``); the ``subscriptions:`` entries are in ``subscriptions.py``.

Every field's description is the README's reference (``reference.py``)."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.config.fields import Duration, StrictModel
from bot.config.subscriptions import SubscriptionConfig


class FeedConfig(StrictModel):
    """One entry of the ``feeds:`` list."""

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$", description="Required. The feed's name: a-z 0-9 - _ . (64 at most)."
    )
    url: str = Field(description="Required. `http://`, `https://` (or `file://` with `allow_file_urls`).")
    language: Literal["ar", "en"] = Field(
        description="Required. `ar` or `en` (an entry clearly in the other script is labelled by its script)."
    )
    interval: Duration | None = Field(None, description="How often this feed is polled; unset: `default_interval`.")
    tags: tuple[str, ...] = Field((), description="Free labels, e.g. `[economy]`.")
    title: str | None = Field(None, description="Name shown for the feed (OPML export, listings); unset: the id.")
    authority: bool = Field(False, description="`true` for primary sources (rules, official notices).")
    enabled: bool = Field(True, description="`false`: kept in the file but not polled.")
    attested: str | None = Field(
        None,
        description="Where a public reference shows the URL is a real feed: the reference's address, then what it "
        "shows. Documentation only; polling ignores it.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip()
        if not re.match(r"^(https?|file)://", v, re.IGNORECASE):
            raise ValueError("must start with http://, https:// or file://")
        return v

    @field_validator("attested")
    @classmethod
    def _attested(cls, v: str | None) -> str | None:
        # The reference's address comes first so a reader (or a test) can follow it without parsing prose.
        if v is not None and not re.match(r"^https?://\S+", v.strip()):
            raise ValueError("must start with the http:// or https:// address of the reference")
        return v.strip() if v is not None else None


class Settings(StrictModel):
    """The ``settings:`` section of the feeds file. Every field's description is the README's reference."""

    default_interval: Duration = Field(600.0, description="How often a feed is polled unless it sets `interval`.")
    max_feed_interval: Duration = Field(
        2 * 3600.0,
        description=(
            "Longest interval a feed's own pace (Cache-Control, Expires, `<ttl>`, `sy:updatePeriod`) may set; "
            "never below the feed's `interval`."
        ),
    )
    interval_jitter: Duration = Field(
        30.0, description="Random spread added to each poll time, so feeds of one host do not poll together."
    )
    connect_timeout: Duration = Field(10.0, description="Time allowed to connect to a feed's server.")
    read_timeout: Duration = Field(20.0, description="Time allowed between two pieces of a feed's answer.")
    total_timeout: Duration = Field(
        60.0, description="Time allowed for one whole fetch: every redirect and the last byte."
    )
    max_bytes: int = Field(10 * 1024 * 1024, gt=0, description="Largest feed body read, after decompression (bytes).")
    max_redirects: int = Field(
        5, ge=0, le=20, description="Redirects followed for one fetch (a permanent one updates the stored URL)."
    )
    max_connections: int = Field(50, gt=0, description="Fetches at the same time, all hosts together.")
    per_host: int = Field(4, gt=0, description="Fetches at the same time to one host.")
    parse_workers: int | None = Field(
        None,
        ge=1,
        le=64,
        description=(
            "Processes that parse and match feeds (from 20 feeds on). Unset: one per core but one, at least one "
            "(the service's own process stores and sends on that core); each holds the lexicon (~150 MB)."
        ),
    )
    retries: int = Field(
        2, ge=0, le=10, description="Retries of a fetch after a timeout, connection error, 5xx or 429 (with backoff)."
    )
    max_backoff: Duration = Field(
        6 * 3600.0,
        description="Longest wait before polling a failing feed again (failures back off exponentially up to this).",
    )
    max_item_age: Duration = Field(48 * 3600.0, description="Older items are stored but never alerted.")
    disable_after_failures: int = Field(
        50,
        gt=0,
        description="Consecutive failed polls after which a feed is disabled (`raqib feeds enable ID` brings it back).",
    )
    data_dir: str = Field("data", description="Folder of the SQLite database when `DATABASE_URL` is not set.")
    allow_file_urls: bool = Field(False, description="Accept `file://` feed URLs.")
    allow_private_addresses: bool = Field(
        False,
        description="Fetch from private, loopback and link-local addresses (also `RAQIB_ALLOW_PRIVATE_ADDRESSES=1`).",
    )
    second_look: bool = Field(
        True, description="Read the article page of a title-only item that shows some evidence, and match it again."
    )
    article_pages_per_poll: int = Field(
        4, ge=0, le=100, description="Article pages read per feed and poll (the items with most evidence first)."
    )
    article_slots: int = Field(4, gt=0, le=64, description="Article pages read at the same time, all feeds together.")
    article_slots_per_feed: int = Field(2, gt=0, le=64, description="Of those, the most one feed holds.")
    article_timeout: Duration = Field(
        8.0, description="Time allowed to fetch one article page (one attempt, never retried)."
    )
    article_max_bytes: int = Field(2 * 1024 * 1024, gt=0, description="Largest article page read (bytes).")
    article_extract_timeout: Duration = Field(10.0, description="Time allowed to extract an article page's text.")
    alerts_per_feed_poll: int = Field(
        5, gt=0, description="Stories one feed's poll alerts to a chat; the rest are folded into one summary message."
    )
    alerts_per_chat_hour: int = Field(
        30, gt=0, description="Alerts a chat gets in an hour; the rest are folded into one summary message."
    )
    flood_min_new: int = Field(
        50,
        gt=0,
        description="New items in one poll that, with `flood_factor`, make a flood (logged, told to `admin_chats`).",
    )
    flood_factor: float = Field(
        5.0, ge=1.0, description="A flood brings at least this many times the feed's mean number of new items per poll."
    )
    retention_days: int = Field(
        180, ge=1, description="Items older than this keep only their identity, so they are never alerted again."
    )
    health_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="Port of the `/healthz` and `/metrics` endpoint; 0: none (also `RAQIB_HEALTH_PORT`).",
    )
    health_host: str = Field(
        "127.0.0.1",
        description="Address that endpoint listens on (the Docker image sets 0.0.0.0; also `RAQIB_HEALTH_HOST`).",
    )
    admin_chats: tuple[str, ...] = Field(
        (), description='Operators\' chats, told when a feed is disabled or floods: `["telegram:123456"]`.'
    )
    feed_lease: Duration = Field(
        300.0, description="How long a worker holds a feed's poll before another worker may take it over (scale-out)."
    )
    delivery_lease: Duration = Field(
        60.0, description="How long a worker holds a batch of deliveries before another may take it over."
    )
    chat_lease: Duration = Field(
        90.0, description="How long a worker holds a bot's chat listener before another may take it over."
    )

    @field_validator("admin_chats")
    @classmethod
    def _admin_chats(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for ref in v:
            platform, _, target = ref.partition(":")
            if platform not in ("telegram", "discord", "console") or not target:
                raise ValueError(f"{ref!r}: use platform:chat_id, e.g. telegram:123456789")
        return v


class FeedsFile(StrictModel):
    """The whole feeds file: ``settings:``, ``feeds:``, ``subscriptions:`` and the ``lexicon:`` extension."""

    settings: Settings = Settings()
    feeds: tuple[FeedConfig, ...] = ()
    subscriptions: tuple[SubscriptionConfig, ...] = ()
    lexicon: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> FeedsFile:
        seen: set[str] = set()
        for feed in self.feeds:
            if feed.id in seen:
                raise ValueError(f"duplicate feed id {feed.id!r}")
            seen.add(feed.id)
        return self

    def interval(self, feed: FeedConfig) -> float:
        return feed.interval or self.settings.default_interval

    def feed(self, feed_id: str) -> FeedConfig | None:
        """The feed with this id, by a lookup built once (a cycle asks for every feed's: no scan per feed)."""
        feeds, by_id = self._by_id
        if feeds is not self.feeds:  # a ``model_copy`` with other feeds keeps the copied cache: not ours
            by_id = {f.id: f for f in self.feeds}
        return by_id.get(feed_id)

    @cached_property
    def _by_id(self) -> tuple[tuple[FeedConfig, ...], dict[str, FeedConfig]]:
        return self.feeds, {f.id: f for f in self.feeds}
