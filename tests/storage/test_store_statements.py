"""Storing a poll's new items costs a few statements whatever their number (a cold cycle of 500 feeds × 30
items issued one INSERT per item on SQLite), and every stored row gets its own id back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from bot.ingest.store import NewRow
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from storage.items import store_items
from storage.tables import ItemRow

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def _rows(feed: str, n: int) -> list[NewRow]:
    return [
        NewRow(
            feed_id=feed,
            identity=f"{feed}-{i}",
            guid=f"g{i}",
            url=f"https://x.example/{feed}/{i}",
            canonical_url=f"https://x.example/{feed}/{i}",
            source_url=None,
            source_name=None,
            title=f"Item {i} of {feed}",
            summary=f"What item {i} says.",
            content="",
            language="en",
            published=NOW,
            fetched=NOW,
            content_hash=f"{feed}-hash-{i}",
        )
        for i in range(n)
    ]


def _statements(engine: Engine, feed: str, rows: list[NewRow]) -> int:
    count = 0

    def seen(*_: object) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with session(engine) as s:
            result = store_items(s, feed, rows)
            s.commit()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(result.new) == len(rows)
    return count


def test_new_items_cost_the_same_statements_however_many(engine: Engine) -> None:
    with session(engine) as s:
        sync_feeds(s, [FeedSpec(f, f"https://{f}.example/rss", "en") for f in ("a", "b")])
    few, many = _rows("a", 3), _rows("b", 120)
    assert _statements(engine, "a", few) == _statements(engine, "b", many) <= 6
    with session(engine) as s:
        stored = dict(s.execute(select(ItemRow.identity, ItemRow.id)).tuples().all())
    assert {r.identity: r.id for r in few + many} == stored, "each row carries the id stored under its identity"
