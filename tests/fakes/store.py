"""Seeding a real store the way the pipeline does: items through ``bot.ingest.store_new_items``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.config import FeedsFile
from bot.ingest import store_new_items
from bot.normalize import Item
from storage import repositories as repo
from storage.db import session

NOW = datetime.now(UTC).replace(microsecond=0)


def wire_item(n: int, title: str, body: str, lang: str = "en") -> Item:
    """Item ``n`` of the "wire" feed, published ``30 - n`` minutes ago."""
    return Item(
        feed_id="wire",
        identity=f"w{n}",
        guid=f"w{n}",
        url=f"https://wire.example/{n}",
        title=title,
        summary=body,
        content="",
        language=lang,
        published=NOW - timedelta(minutes=30 - n),
        fetched=NOW,
        content_hash=f"h{n}",
    )


def feed_item(
    feed: str, n: int, title: str, body: str | None = None, *, published: datetime, fetched: datetime, lang: str = "en"
) -> Item:
    """Item ``n`` of ``feed`` (``https://FEED.example/N``); the body defaults to the title."""
    return Item(
        feed_id=feed,
        identity=f"{feed}-{n}",
        guid=f"{feed}-{n}",
        url=f"https://{feed}.example/{n}",
        title=title,
        summary=title if body is None else body,
        content="",
        language=lang,
        published=published,
        fetched=fetched,
        content_hash=f"{feed}-{n}:{title}",
    )


def add_wire_feed(engine: Engine) -> None:
    with session(engine) as s:
        repo.sync_feeds(s, [repo.FeedSpec("wire", "https://wire.example/rss", "en", title="Example Wire")])


def ingest(engine: Engine, *items: Item, first_poll: bool = False) -> None:
    store_new_items(engine, "wire", list(items), first_poll=first_poll, now=NOW, config=FeedsFile())
