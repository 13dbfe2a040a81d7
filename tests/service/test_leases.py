"""Feed leases and named leases on a real database: due within the jitter slack, dead workers' leases expire,
a clock that went back does not stall a feed, and SQLite's single process takes back a dead run's work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from storage.db import session
from storage.feeds import FeedSpec, get_feed, sync_feeds
from storage.leases import claim_feed, release_lease, take_lease

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def feed(engine: Engine, next_poll: datetime | None) -> None:
    with session(engine) as s:
        sync_feeds(s, [FeedSpec("f", "https://f.example/rss", "en")])
        f = get_feed(s, "f")
        assert f is not None
        f.next_poll = next_poll
        s.add(f)
        s.commit()


def claim(engine: Engine, owner: str, now: datetime) -> bool:
    return claim_feed(engine, "f", owner=owner, now=now, lease=60, slack=0.7, horizon=3600)


def test_a_feed_is_claimed_once_within_the_slack_and_again_after_a_dead_lease(engine: Engine) -> None:
    feed(engine, NOW + timedelta(seconds=0.5))  # a run the jitter brought half a second early still counts
    assert claim(engine, "a", NOW)
    assert not claim(engine, "b", NOW), "held by a live worker"
    assert not claim(engine, "b", NOW + timedelta(seconds=59))
    assert claim(engine, "b", NOW + timedelta(seconds=61)), "a dead worker's lease expires"


def test_a_clock_that_went_back_does_not_stall_a_feed(engine: Engine) -> None:
    feed(engine, NOW + timedelta(hours=5))  # scheduled before the clock jumped back five hours
    assert claim(engine, "a", NOW)


def test_named_lease_has_one_holder_and_is_released_at_shutdown(engine: Engine) -> None:
    assert take_lease(engine, "chat:x", "a", 30, NOW)
    assert not take_lease(engine, "chat:x", "b", 30, NOW)
    assert take_lease(engine, "chat:x", "a", 30, NOW + timedelta(seconds=10)), "renewal"
    release_lease(engine, "chat:x", "a")
    assert take_lease(engine, "chat:x", "b", 30, NOW + timedelta(seconds=11))


def test_a_poll_that_lost_its_lease_does_not_release_the_new_holders(engine: Engine) -> None:
    """A worker stalled past its lease finishes its poll after another took the feed over: its write keeps the
    feed's state but leaves the other worker's lease alone (released, a third worker would poll at once)."""
    from storage.feeds import PolledFeed, mark_polled_many, record_failure

    def row() -> tuple[str | None, datetime | None]:
        with session(engine) as s:
            f = get_feed(s, "f")
            assert f is not None
            return f.lease_owner, f.lease_until

    feed(engine, None)
    assert claim(engine, "a", NOW)
    assert claim(engine, "b", NOW + timedelta(seconds=61)), "a's lease expired while it was stalled"
    with session(engine) as s:
        mark_polled_many(s, [PolledFeed("f", NOW, 600, '"e1"', None, lease_owner="a")])
        s.commit()
    assert row()[0] == "b"
    with session(engine) as s:
        f = get_feed(s, "f")
        assert f is not None
        record_failure(s, f, now=NOW, code="timeout", message="slow", retry_in=60, lease_owner="a")
    assert row()[0] == "b"
    with session(engine) as s:  # the holder's own write releases it
        mark_polled_many(s, [PolledFeed("f", NOW + timedelta(seconds=62), 600, '"e2"', None, lease_owner="b")])
        s.commit()
    assert row() == (None, None)
