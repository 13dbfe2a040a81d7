from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from storage.db import SQLITE_CACHE_KIB, session, upgrade
from storage.feeds import FeedSpec, get_feed, record_failure, sync_feeds
from storage.items import store_items
from storage.migrations import compare_type
from storage.queries import count_items, recent_items
from storage.tables import ItemRow
from tests.fakes.store import record_success

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _row(identity: str, title: str = "t", h: str | None = None, feed: str = "f1") -> ItemRow:
    return ItemRow(
        feed_id=feed,
        identity=identity,
        guid=identity,
        url=f"https://x.example/{identity}",
        title=title,
        summary="s",
        content="",
        language="en",
        published=NOW,
        fetched=NOW,
        content_hash=h or title,
    )


def _feeds(engine: Engine, *ids: str) -> None:
    with session(engine) as s:
        sync_feeds(s, [FeedSpec(i, f"https://x.example/{i}.xml", "en") for i in ids])


def test_migrations_match_the_models_and_are_idempotent(empty_engine: Engine) -> None:
    engine = empty_engine
    upgrade(engine, from_models=False)  # the migrations, not a new store built from the models
    upgrade(engine)  # a second upgrade is a no-op
    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": compare_type}), SQLModel.metadata)
    assert diff == []
    names = set(inspect(engine).get_table_names())
    assert {"feeds", "items", "matches", "match_topics", "alembic_version"} <= names


def test_sqlite_uses_wal_and_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # a bounded page cache per connection (KiB when negative), not SQLite's 2 MiB default
        assert c.exec_driver_sql("PRAGMA cache_size").scalar() == -SQLITE_CACHE_KIB


def test_store_items_new_duplicate_and_correction(engine: Engine) -> None:
    _feeds(engine, "f1")
    with session(engine) as s:
        first = store_items(s, "f1", [_row("a"), _row("b")])
        assert [r.identity for r in first.new] == ["a", "b"] and not first.updated
        again = store_items(s, "f1", [_row("a"), _row("b")])
        assert again.new == [] and again.updated == [] and again.unchanged == 2
        corrected = store_items(s, "f1", [_row("a", title="corrected title", h="h2")])
        assert [r.title for r in corrected.updated] == ["corrected title"]
        assert count_items(s) == 2
        s.commit()


def test_unique_identity_per_feed_is_enforced_by_the_database(engine: Engine) -> None:
    _feeds(engine, "f1", "f2")
    with session(engine) as s:
        store_items(s, "f1", [_row("a")])
        store_items(s, "f2", [_row("a", feed="f2")])  # the same identity in another feed is fine
        s.add(_row("a"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_times_come_back_aware_utc(engine: Engine) -> None:
    _feeds(engine, "f1")
    cairo = timezone(timedelta(hours=2))
    row = _row("tz")
    row.published = datetime(2026, 11, 20, 14, 0, tzinfo=cairo)
    with session(engine) as s:
        store_items(s, "f1", [row])
        s.commit()
    with session(engine) as s:
        got = recent_items(s, limit=1)[0]
    assert got.published == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert got.published.tzinfo is not None


def test_sync_feeds_adds_changes_and_disables_removed(engine: Engine) -> None:
    with session(engine) as s:
        added, changed = sync_feeds(
            s, [FeedSpec("a", "https://a.example/f", "ar"), FeedSpec("b", "https://b.example/f", "en")]
        )
        assert added == ["a", "b"] and changed == []
        feed = get_feed(s, "a")
        assert feed is not None
        record_success(s, feed, now=NOW, interval=60, etag='"1"', last_modified=None, new_url="https://a.example/moved")
    with session(engine) as s:
        added, changed = sync_feeds(s, [FeedSpec("a", "https://a.example/f", "ar", title="A")])
        assert added == [] and changed == ["a"]
        a, b = get_feed(s, "a"), get_feed(s, "b")
        assert a is not None and b is not None
        assert a.url == "https://a.example/moved", "a permanent redirect survives a config reload"
        assert not b.enabled and b.disabled_reason == "removed from the configuration"


def test_record_failure_backs_off_and_disables_after_threshold(engine: Engine) -> None:
    _feeds(engine, "f1")
    with session(engine) as s:
        feed = get_feed(s, "f1")
        assert feed is not None
        for n in range(1, 4):
            disabled = record_failure(
                s, feed, now=NOW, code="http_500", message="HTTP 500", retry_in=60 * n, disable_after=3
            )
        assert disabled and not feed.enabled and feed.consecutive_failures == 3
        assert feed.next_poll == NOW + timedelta(seconds=180)
        assert "3 consecutive failures" in (feed.disabled_reason or "")
        record_success(s, feed, now=NOW, interval=60, etag=None, last_modified=None)
        assert feed.consecutive_failures == 0 and feed.last_error is None


def test_a_story_summary_read_sees_the_session_pending_changes(engine: Engine) -> None:
    """``story_summary`` reads with Core: what the session holds unflushed (a story ``refresh_story`` rewrote in
    this transaction) must be flushed first, as the ORM's own read did."""
    from storage.stories import story_summary
    from storage.tables import Story

    now = datetime(2026, 11, 21, 12, tzinfo=UTC)
    with session(engine) as s:
        story = Story(created_at=now, updated_at=now, first_published=now, last_published=now, member_count=3)
        s.add(story)
        s.commit()
        story.member_count, story.languages = 7, "ar en"
        s.add(story)
        found = story_summary(s, story.id or 0)
        assert found is not None and (found.member_count, found.languages) == (7, "ar en")
        assert story_summary(s, (story.id or 0) + 1) is None
