"""Leases: one holder at a time, expiring when the holder stops renewing (a dead process).

Three kinds share the same rules:

* named leases (``take_lease``): the chat listener of a bot token;
* feed leases (``claim_feed``, and ``FeedClaim``, the pipeline's way to call it): one worker polls a feed
  per interval, renewing the lease while its poll lasts (``renew_feed``);
* delivery leases: in ``bot.deliver.dispatcher`` (rows claimed with ``FOR UPDATE SKIP LOCKED``).

Clock jumps. Every time here is wall-clock UTC, shared between processes. A lease or a due time further in the
future than we ever set one (``horizon``) can only mean the clock went back: it counts as expired or due,
so a backward jump of an hour does not stall the service for an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage.db import session
from storage.tables import Delivery, Feed, Lease


def take_lease(engine: Engine, name: str, owner: str, seconds: float, now: datetime | None = None) -> bool:
    """Take or renew ``name`` for ``owner``; False while another live owner holds it."""
    now = now or datetime.now(UTC)
    until = now + timedelta(seconds=seconds)
    with session(engine) as s:
        result = s.execute(
            update(Lease)
            .where(
                col(Lease.name) == name,
                or_(col(Lease.owner) == owner, col(Lease.until) < now, col(Lease.until) > until),
            )
            .values(owner=owner, until=until)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            s.commit()
            return True
        if s.get(Lease, name) is not None:
            return False
        s.add(Lease(name=name, owner=owner, until=until))
        try:
            s.commit()
        except IntegrityError:  # another worker created it at the same instant
            return False
        return True


def release_lease(engine: Engine, name: str, owner: str) -> None:
    """Give a named lease back at a clean shutdown, so the next worker need not wait for it to expire."""
    with session(engine) as s:
        s.execute(
            update(Lease)
            .where(col(Lease.name) == name, col(Lease.owner) == owner)
            .values(until=datetime(1970, 1, 1, tzinfo=UTC))
        )
        s.commit()


def claim_feed(
    engine: Engine, feed_id: str, *, owner: str, now: datetime, lease: float, slack: float, horizon: float
) -> bool:
    """Take a feed for one poll, atomically: due (within ``slack``) and not held by a live worker.

    ``slack``: the scheduler's jitter moves each run by a little; a run that comes a little early must still
    count, or a feed would be polled only every other interval. ``horizon``: the longest we ever schedule a
    feed ahead (its backoff cap plus its interval): a ``next_poll`` beyond it means the clock went back.
    """
    due = now + timedelta(seconds=slack)
    stmt = (
        update(Feed)
        .where(
            col(Feed.id) == feed_id,
            col(Feed.enabled).is_(True),
            or_(
                col(Feed.next_poll).is_(None),
                col(Feed.next_poll) <= due,
                col(Feed.next_poll) > now + timedelta(seconds=horizon),
            ),
            or_(
                col(Feed.lease_until).is_(None),
                col(Feed.lease_until) < now,
                col(Feed.lease_until) > now + timedelta(seconds=lease),
            ),
        )
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease))
    )
    with session(engine) as s:
        taken = s.execute(stmt).rowcount == 1  # type: ignore[attr-defined]
        s.commit()
    return bool(taken)


def renew_feed(engine: Engine, feed_id: str, *, owner: str, now: datetime, lease: float) -> bool:
    """Extend ``owner``'s lease on a feed it is still polling; False when it no longer holds it.

    A poll can outlive its lease (a slow first poll, a cold lexicon, a loaded machine): without renewal another
    worker would take the feed over mid-poll and poll it again within the interval.
    """
    stmt = (
        update(Feed)
        .where(col(Feed.id) == feed_id, col(Feed.lease_owner) == owner)
        .values(lease_until=now + timedelta(seconds=lease))
    )
    with session(engine) as s:
        renewed = s.execute(stmt).rowcount == 1  # type: ignore[attr-defined]
        s.commit()
    return bool(renewed)


@dataclass
class FeedClaim:
    """A worker's feed claim, as the pipeline calls it before each poll (``claim_feed`` with its settings).

    The service's scheduler sets ``slack`` from its jitter and ``horizon`` from the configuration, again at
    every reload (``bot.service.jobs``).
    """

    engine: Engine
    owner: str
    lease: float
    horizon: float
    slack: float = 0.0

    def __call__(self, feed_id: str, now: datetime) -> bool:
        return claim_feed(
            self.engine,
            feed_id,
            owner=self.owner,
            now=now,
            lease=self.lease,
            slack=self.slack,
            horizon=self.horizon,
        )

    def renew(self, feed_id: str, now: datetime) -> bool:
        return renew_feed(self.engine, feed_id, owner=self.owner, now=now, lease=self.lease)


def recover_single_process(engine: Engine, owner: str) -> tuple[int, int]:
    """SQLite serves one process: at start every lease held by another owner belongs to a dead one.

    Feeds are released at once, and deliveries that were in flight (``sending``) go back to ``pending`` marked
    ``resent_after_crash``; merely claimed rows go back unmarked. Returns (feeds, deliveries) released.
    """
    with session(engine) as s:
        feeds = s.execute(
            update(Feed)
            .where(col(Feed.lease_owner).is_not(None), col(Feed.lease_owner) != owner)
            .values(lease_owner=None, lease_until=None)
        ).rowcount  # type: ignore[attr-defined]
        sending = s.execute(
            update(Delivery)
            .where(
                col(Delivery.status) == "sending",
                or_(col(Delivery.lease_owner).is_(None), col(Delivery.lease_owner) != owner),
            )
            .values(status="pending", resent_after_crash=True, lease_owner=None, lease_until=None)
        ).rowcount  # type: ignore[attr-defined]
        claimed = s.execute(
            update(Delivery)
            .where(and_(col(Delivery.lease_owner).is_not(None), col(Delivery.lease_owner) != owner))
            .values(lease_owner=None, lease_until=None)
        ).rowcount  # type: ignore[attr-defined]
        s.commit()
    return int(feeds or 0), int((sending or 0) + (claimed or 0))
