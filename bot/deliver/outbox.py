"""The outbox rows of one dispatcher: claimed, marked ``sending``, finished — every statement on them.

Claiming. Due rows (pending, or sent-and-changed for an edit) — new alerts first, then other messages, then
edits, and at most ``per_chat_batch`` rows per chat a cycle — are leased to this worker for ``lease``
seconds (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatchers share one outbox without
doubling work). Just before its request leaves, a row is marked ``sending`` with a fresh lease — a
conditional UPDATE that fails when our lease ran out and another worker took the row, so a slow chat
queue never sends a row twice.

Crashes. A worker that dies leaves ``sending`` rows whose lease expires (on SQLite, at the next start);
they go back to ``pending`` marked ``resent_after_crash``; rows it had merely claimed go back unmarked.
Telegram and Discord webhooks offer no idempotency key for messages, so a send whose answer was lost with
the worker cannot be told apart from one that never left: Raqib sends it again rather than risk losing it
(at-least-once). Discord bot sends carry a nonce per story with ``enforce_nonce``, so there Discord itself
answers a repeat (within minutes) with the message already posted. The window is the time between the
platform's answer and our commit (milliseconds); the crash test (tests/service/test_crash.py) kills
``raqib run`` inside it on purpose and checks that every duplicate is a flagged row.

Clocks. A never-tried row is due whatever its ``next_attempt`` says (except a summary of the alert caps, held
until its time on purpose: ``bot.deliver.caps``), and a lease or retry time beyond the
longest we ever set means the wall clock went back: both count as due, so a backward clock jump does not
hold the outbox back. Rows in flight in this process are never swept, so a forward jump cannot make this
worker send its own in-flight row again.

Each write is conditional on the lease owner (``owner``): a row another worker took over is never written by
this one, and its outcome wins. The dispatcher (``bot.deliver.dispatcher``) decides; this module only reads
and writes rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.deliver.caps import SUMMARY
from bot.domain import DeliveryStatus as Status
from storage import subscriptions as subs
from storage.db import session
from storage.tables import Delivery, Subscription, stored_id


@dataclass(frozen=True)
class DispatchSettings:
    batch: int = 100
    lease: float = 60.0
    max_attempts: int = 12
    backoff_base: float = 2.0
    backoff_max: float = 3600.0
    # Each notifier paces its own platform (``Notifier.pace``, ``bot.deliver.pacing``); False skips that wait
    # (tests and benchmarks whose fakes take every send at once).
    pace: bool = True
    max_retry_after: float = 86400.0  # a platform's retry_after is honoured up to a day
    record_patience: float = 600.0  # how long an outcome waits for the database before we give up on it
    per_chat_batch: int = 5  # rows claimed per chat per cycle (the cycle lasts about this many pacing intervals)
    view_ttl: float = 1.0  # an alert's view is shared by the chats sent within this many seconds of its build


@dataclass
class Claimed:
    id: int
    subscription_id: int
    story_id: int | None
    kind: str
    edit: bool
    message_id: str | None
    payload: str | None
    attempts: int
    created: datetime | None = None  # when the row was written: the dispatch latency runs from here


class Outbox:
    """One worker's hold on the outbox rows of its platforms: what it claimed and has not finished
    (``inflight``: never swept, see Clocks), and the conditional writes that keep a row ours until its outcome
    is recorded. Methods run in worker threads; the ``*_in`` ones write in a session given by the caller (the
    dispatcher's group commit)."""

    def __init__(
        self,
        engine: Engine,
        platforms: Iterable[str],
        *,
        owner: str,
        settings: DispatchSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.engine = engine
        self.platforms = list(platforms)
        self.owner = owner
        self.settings = settings
        self.clock = clock
        self.inflight: set[int] = set()  # claimed by this process and not finished: never swept

    # -- claiming ---------------------------------------------------------------------------------------------
    def claim(self) -> list[Claimed]:
        now = self.clock()
        lease = timedelta(seconds=self.settings.lease)
        horizon = now + timedelta(seconds=max(self.settings.backoff_max, self.settings.max_retry_after) * 1.1)
        expired = or_(
            col(Delivery.lease_until).is_(None),
            col(Delivery.lease_until) < now,
            col(Delivery.lease_until) > now + lease,
        )
        with session(self.engine) as s:
            # Leases of dead workers: the send may or may not have arrived; it goes again (see module doc).
            sweep = update(Delivery).where(
                col(Delivery.status) == Status.SENDING,
                or_(col(Delivery.lease_until) < now, col(Delivery.lease_until) > now + lease),
            )
            if self.inflight:
                sweep = sweep.where(col(Delivery.id).not_in(list(self.inflight)))
            s.execute(sweep.values(status=Status.PENDING, resent_after_crash=True, lease_owner=None, lease_until=None))
            platforms = self.platforms
            stmt = (
                select(Delivery)
                .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
                .where(
                    col(Subscription.platform).in_(platforms),
                    col(Subscription.paused).is_(False),
                    or_(
                        col(Delivery.next_attempt) <= now,
                        # a summary is held on purpose until its time (bot.deliver.caps): not "never tried"
                        (col(Delivery.attempts) == 0) & (col(Delivery.kind) != SUMMARY),
                        col(Delivery.next_attempt) > horizon,
                    ),
                    or_(
                        col(Delivery.status) == Status.PENDING,
                        (col(Delivery.status) == Status.SENT) & col(Delivery.needs_edit).is_(True),
                    ),
                    expired,
                )
                # New alerts first, then notices, digests and summaries, then edits of sent alerts: a story that
                # keeps growing (a flood's copies) never queues a chat's fresh news behind its edits.
                .order_by(
                    case(
                        ((col(Delivery.status) == Status.PENDING) & (col(Delivery.kind) == "alert"), 0),
                        (col(Delivery.status) == Status.PENDING, 1),
                        else_=2,
                    ),
                    col(Delivery.next_attempt),
                    col(Delivery.id),
                )
                .limit(self.settings.batch)
            )
            if s.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True, of=Delivery)
            rows = list(s.exec(stmt).all())
            until = now + lease
            claimed = []
            per_chat: dict[int, int] = defaultdict(int)
            for d in rows:
                if d.id in self.inflight:
                    continue
                # A few rows per chat a cycle: a chat paced at one message a second with a long queue must not
                # hold the cycle (and every other chat's next alert) for minutes. The rest waits, unleased.
                if per_chat[d.subscription_id] >= self.settings.per_chat_batch:
                    continue
                per_chat[d.subscription_id] += 1
                edit = d.status == Status.SENT
                d.lease_owner, d.lease_until = self.owner, until
                s.add(d)
                claimed.append(
                    Claimed(
                        stored_id(d),
                        d.subscription_id,
                        d.story_id,
                        d.kind,
                        edit,
                        d.message_id,
                        d.payload,
                        d.attempts,
                        d.created_at,
                    )
                )
            s.commit()
            self.inflight.update(c.id for c in claimed)
            return claimed

    def claim_with_subscriptions(self) -> tuple[list[Claimed], dict[int, Subscription]]:
        """The claim, and the claimed rows' subscriptions read in one query (not one per row)."""
        claimed = self.claim()
        if not claimed:
            return claimed, {}
        ids = sorted({c.subscription_id for c in claimed})
        with session(self.engine) as s:
            found = s.exec(select(Subscription).where(col(Subscription.id).in_(ids))).all()
            return claimed, {sub.id: sub for sub in found if sub.id is not None}

    def subscription(self, sub_id: int) -> Subscription | None:
        """A subscription as it is now (moved or paused since the cycle read it, or deleted: None)."""
        with session(self.engine) as s:
            return s.get(Subscription, sub_id)

    # -- marking: the last step before a request leaves ------------------------------------------------------
    def mark_in(self, s: Session, row: Claimed) -> bool:
        """The last step before the request leaves: still ours? Then ``sending``, with a fresh lease."""
        now = self.clock()
        values: dict[str, object] = {"lease_until": now + timedelta(seconds=self.settings.lease)}
        if not row.edit:
            values["status"] = Status.SENDING
        result = s.execute(
            update(Delivery)
            .where(
                col(Delivery.id) == row.id,
                col(Delivery.lease_owner) == self.owner,
                col(Delivery.status) == (Status.SENT if row.edit else Status.PENDING),
            )
            .values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def mark_sending(self, row: Claimed) -> bool:
        """``mark_in`` in a transaction of its own."""
        with session(self.engine) as s:
            marked = self.mark_in(s, row)
            s.commit()
            return marked

    # -- finishing: a row's outcome ---------------------------------------------------------------------------
    def finish_in(self, s: Session, row: Claimed, values: Mapping[str, object]) -> bool:
        """Write a row's outcome in ``s`` if the row is still ours; False when our lease expired and another
        worker took the row (its outcome wins)."""
        changes = dict(values)
        status = changes.pop("status", None)
        if status:
            changes["status"] = str(status)
        if "error" in changes:
            changes["last_error"] = str(changes.pop("error"))[:1000]
        changes["lease_owner"] = changes["lease_until"] = None
        result = s.execute(
            update(Delivery)
            .where(col(Delivery.id) == row.id, col(Delivery.lease_owner) == self.owner)
            .values(**changes)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def finish(self, row: Claimed, **values: object) -> None:
        with session(self.engine) as s:
            self.finish_in(s, row, values)
            s.commit()

    def pause(self, row: Claimed, sub_id: int | None, reason: str) -> None:
        """The platform refused the chat for good: the row failed, and the subscription is paused (its queue
        cancelled)."""
        self.finish(row, status=Status.SENT if row.edit else Status.FAILED, error=reason, needs_edit=False)
        with session(self.engine) as s:
            sub = s.get(Subscription, sub_id)
            if sub is not None:
                subs.pause(s, sub, reason, self.clock())
                s.commit()

    def move(self, row: Claimed, sub_id: int | None, new_target: str) -> None:
        """The chat moved (a Telegram group became a supergroup): the subscription follows, the row goes again."""
        with session(self.engine) as s:
            sub = s.get(Subscription, sub_id)
            if sub is not None:
                subs.move_target(s, sub, new_target, self.clock())
                s.commit()
        self.finish(
            row, status=Status.SENT if row.edit else Status.PENDING, next_attempt=self.clock(), error="chat moved"
        )


def outcome(**values: object) -> dict[str, object]:
    """A row's outcome: the columns ``Outbox.finish_in`` writes (``status``, ``error``, …)."""
    return values
