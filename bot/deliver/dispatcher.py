"""The dispatcher: sends due outbox rows through the platform notifiers, and records what happened.

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

Outcomes. Success records the message id; ``RetryLater`` backs off exponentially (at least the platform's
``retry_after``); ``PermanentFailure`` pauses the subscription with the reason and cancels its queue;
``TargetMoved`` moves the subscription and sends again at once.

Sharing. A cycle reads its rows' subscriptions in one query and builds each story's view once for all its
chats (``ViewCache``: built after the notifier's pacing, ``pace``, rebuilt after ``view_ttl`` seconds). The
``sending`` marks and the common outcomes go through a group commit (``bot.deliver.groupwrite``): each is
still its own conditional UPDATE with the lease-owner check, made just before the request or just after the
answer, but those made at the same moment commit in one transaction. Moves and pauses keep their own.

Message rows of other packages. A kind this package does not know how to turn into a ``Reply`` (a digest,
rebuilt from the store at send time) comes with its builder: ``Dispatcher(payloads={"digest": ...})``, given
by the composition root (``bot.app``), so delivery never imports the packages above it. A row of a kind with
no builder is sent as a notice (its payload's ``text``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import case, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from bot import metrics
from bot.deliver.caps import SUMMARY, summary_text
from bot.deliver.groupwrite import GroupWriter
from bot.deliver.model import (
    AlertView,
    DeliveryError,
    MessageFailure,
    Notifier,
    PermanentFailure,
    Reply,
    RetryLater,
    TargetMoved,
)
from bot.deliver.route import below_minimum
from bot.deliver.views import ViewCache, alert_view, item_view, watch_payload, with_watch_reason
from bot.domain import DeliveryStatus as Status
from storage import subscriptions as subs
from storage.db import session
from storage.tables import Delivery, Subscription, stored_id

log = logging.getLogger("raqib.deliver")

# A message row's Reply from its payload, for its subscription, in the dispatcher's session.
PayloadBuilder = Callable[[Session, Subscription, str | None], Reply]


def _utcnow() -> datetime:
    return datetime.now(UTC)


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


def _outcome(**values: object) -> dict[str, object]:
    return values


@dataclass
class _Cycle:
    """What one dispatch cycle reads once and shares between its chat queues."""

    subscriptions: dict[int, Subscription]
    views: ViewCache


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


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        notifiers: Mapping[str, Notifier],
        *,
        owner: str,
        settings: DispatchSettings | None = None,
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
        payloads: Mapping[str, PayloadBuilder] | None = None,
    ) -> None:
        self.engine = engine
        self.payloads = dict(payloads or {})  # outbox kind → its Reply builder (module docstring)
        self.notifiers = dict(notifiers)
        self.owner = owner
        self.settings = settings or DispatchSettings()
        self.clock = clock
        self.rng = rng or random.Random()
        self.wake = asyncio.Event()
        self.sent = 0
        self.failed = 0
        self.last_cycle: datetime | None = None  # the end of the last claim (see ``dispatch_once``)
        self.inflight: set[int] = set()  # claimed by this process and not finished: never swept
        self._writes = GroupWriter(engine)  # ``sending`` marks and outcomes share transactions under load

    # -- claiming (in a worker thread) ------------------------------------------------------------------
    def _claim(self) -> list[Claimed]:
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
            platforms = list(self.notifiers)
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

    def _mark_in(self, s: Session, row: Claimed) -> bool:
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

    def _mark_sending(self, row: Claimed) -> bool:
        """``_mark_in`` in a transaction of its own."""
        with session(self.engine) as s:
            marked = self._mark_in(s, row)
            s.commit()
            return marked

    # -- one cycle ----------------------------------------------------------------------------------------
    async def dispatch_once(self) -> int:
        """Claim due rows and send them: concurrently across chats, in order within a chat."""
        claimed, subscriptions = await asyncio.to_thread(self._claim_with_subscriptions)
        self.last_cycle = self.clock()  # /healthz: a dispatcher that stops cycling while rows are due is stuck
        if not claimed:
            return 0
        cycle = _Cycle(subscriptions, ViewCache(self._build_view, ttl=self.settings.view_ttl))
        by_chat: dict[int, list[Claimed]] = defaultdict(list)
        for c in claimed:
            by_chat[c.subscription_id].append(c)
        await asyncio.gather(*(self._chat_queue(rows, cycle) for rows in by_chat.values()))
        return len(claimed)

    def _claim_with_subscriptions(self) -> tuple[list[Claimed], dict[int, Subscription]]:
        """The claim, and the claimed rows' subscriptions read in one query (not one per row)."""
        claimed = self._claim()
        if not claimed:
            return claimed, {}
        ids = sorted({c.subscription_id for c in claimed})
        with session(self.engine) as s:
            found = s.exec(select(Subscription).where(col(Subscription.id).in_(ids))).all()
            return claimed, {sub.id: sub for sub in found if sub.id is not None}

    def _build_view(self, story_id: int) -> AlertView | None:
        with session(self.engine) as s:
            return alert_view(s, story_id)

    def _build_item_view(self, item_id: int) -> AlertView | None:
        with session(self.engine) as s:
            return item_view(s, item_id)

    async def _chat_queue(self, rows: list[Claimed], cycle: _Cycle) -> None:
        for row in rows:
            try:
                await self._send(row, cycle)
            except Exception:  # a bug, or the database went away: the rest of the queue goes on
                log.exception("delivery %s failed unexpectedly", row.id)
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self._retry, row, "internal error", None)
            finally:
                self.inflight.discard(row.id)

    async def _pace(self, sub: Subscription) -> None:
        """Wait for the notifier's pacing of this chat (``Notifier.pace``); a notifier without one (a test's
        recorder) is not paced."""
        pace = getattr(self.notifiers.get(sub.platform), "pace", None)
        if self.settings.pace and pace is not None:
            await pace(sub.secret or sub.target)

    async def _prepared(
        self, row: Claimed, cycle: _Cycle
    ) -> tuple[Subscription, AlertView | None, Reply | None] | None:
        """What to send, once the notifier's pacing lets this row go. An alert's view comes from the cycle's cache,
        built after that wait so that a paced queue renders the story as it stands now."""
        if row.kind != "alert":
            prepared = await asyncio.to_thread(self._prepare, row)
            if prepared is not None:
                target = prepared[0]
                await self._pace(target)
            return prepared
        sub = cycle.subscriptions.get(row.subscription_id)
        if sub is None:  # moved or paused earlier in this cycle (or deleted): read it as it is now
            sub = await asyncio.to_thread(self._subscription, row.subscription_id)
            if sub is None:
                return None
            cycle.subscriptions[row.subscription_id] = sub
        await self._pace(sub)
        item_id, term = watch_payload(row.payload)
        if row.story_id is not None:
            view = await cycle.views.get(row.story_id)
        elif item_id is not None:  # an off-topic item a watched term brought (bot.ingest): no story, no cache
            view = await asyncio.to_thread(self._build_item_view, item_id)
        else:
            view = None
        if view is None:  # the story was pruned before we could send it
            metrics.DELIVERIES.labels("cancelled").inc()
            await asyncio.to_thread(self._finish, row, status=Status.CANCELLED, error="story no longer stored")
            return None
        if term is not None:
            view = with_watch_reason(view, term, sub.interface_language)
        # /settings severity: not for this chat (an off-topic item the chat watches a term of has no severity)
        if not row.edit and item_id is None and below_minimum(sub, view.severity):
            metrics.DELIVERIES.labels("below_severity").inc()
            await asyncio.to_thread(
                self._finish, row, status=Status.CANCELLED, error="below the chat's minimum severity"
            )
            return None
        return sub, view, None

    def _subscription(self, sub_id: int) -> Subscription | None:
        with session(self.engine) as s:
            return s.get(Subscription, sub_id)

    async def _send(self, row: Claimed, cycle: _Cycle) -> None:
        prepared = await self._prepared(row, cycle)
        if prepared is None:
            return
        sub, view, reply = prepared
        notifier = self.notifiers[sub.platform]
        target = sub.secret or sub.target
        if not await self._writes.run(partial(self._mark_in, row=row)):
            log.info("delivery %s was taken over by another worker; not sending", row.id)
            return
        started = time.monotonic()
        try:
            if reply is not None:
                message_id = await notifier.send_reply(target, reply)
            elif row.edit and row.message_id:
                await notifier.edit_alert(
                    target,
                    row.message_id,
                    _alert(view),
                    language=sub.interface_language,
                    timezone=sub.timezone,
                )
                message_id = row.message_id
            else:
                message_id = await notifier.send_alert(
                    target,
                    _alert(view),
                    language=sub.interface_language,
                    timezone=sub.timezone,
                )
        except TargetMoved as exc:
            metrics.DELIVERIES.labels("moved").inc()
            cycle.subscriptions.pop(row.subscription_id, None)  # its next rows go to the new target
            await self._record(self._moved, row, sub.id, exc.new_target)
        except MessageFailure as exc:
            metrics.DELIVERIES.labels("refused").inc()
            self.failed += 1
            log.warning("delivery %s refused by the platform: %s", row.id, exc)
            await self._record_outcome(
                row, _outcome(status=Status.SENT if row.edit else Status.FAILED, error=str(exc), needs_edit=False)
            )
        except PermanentFailure as exc:
            metrics.DELIVERIES.labels("paused").inc()
            cycle.subscriptions.pop(row.subscription_id, None)
            await self._record(self._permanent, row, sub.id, str(exc))
        except RetryLater as exc:
            metrics.DELIVERIES.labels("retry").inc()
            await self._record_outcome(row, self._retry_values(row, str(exc), exc.retry_after))
        except DeliveryError as exc:
            metrics.DELIVERIES.labels("retry").inc()
            await self._record_outcome(row, self._retry_values(row, str(exc), None))
        else:
            metrics.DELIVERIES.labels("edited" if row.edit else "sent").inc()
            if not row.edit and row.created is not None:
                metrics.DISPATCH_LATENCY.observe(max(0.0, (self.clock() - row.created).total_seconds()))
            await self._record_outcome(row, self._done_values(row, message_id))
            log.info(
                "delivery %s sent (%s) in %.2fs", row.id, "edit" if row.edit else row.kind, time.monotonic() - started
            )

    async def _record(self, fn: Callable[..., object], *args: object) -> None:
        """Record a rarer outcome (a moved chat, a paused subscription) in its own transaction."""
        await self._persist(lambda: asyncio.to_thread(fn, *args))

    async def _record_outcome(self, row: Claimed, values: dict[str, object]) -> None:
        """Record a send's outcome in the transaction shared with the outcomes finishing alongside it."""
        await self._persist(lambda: self._writes.run(partial(self._finish_in, row=row, values=values)))

    async def _persist(self, attempt: Callable[[], Awaitable[object]]) -> None:
        """Record a send's outcome, waiting for the database if it is away: the message has left, and while
        this process lives it still knows so — a resend would be a duplicate. Gives up after ``record_patience``
        (then the row's lease expires and it is resent, flagged, as after a crash)."""
        delay, waited = 0.25, 0.0
        while True:
            try:
                await attempt()
                return
            except DBAPIError as exc:
                if waited >= self.settings.record_patience:
                    raise
                if waited == 0:
                    log.warning("could not record a delivery outcome (database away?); retrying: %s", exc)
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 5.0)

    def _prepare(self, row: Claimed) -> tuple[Subscription, None, Reply] | None:
        """A message row (digest, caps summary, notice) as its ``Reply``; alerts are ``_prepared`` from views."""
        with session(self.engine) as s:
            sub = s.get(Subscription, row.subscription_id)
            if sub is None:
                return None
            build = self.payloads.get(row.kind)
            if build is not None:  # a digest: rebuilt from the store for the row's period (bot.digest.deliver)
                return sub, None, build(s, sub, row.payload)
            if row.kind == SUMMARY:  # stories folded by the alert caps, in the chat's language
                language = sub.interface_language
                return sub, None, Reply(text=summary_text(row.payload, language), language=language)
            payload = json.loads(row.payload or "{}")
            return sub, None, Reply(text=payload.get("text", ""), language=sub.interface_language)

    # -- recording outcomes (worker threads) ----------------------------------------------------------------
    def _finish_in(self, s: Session, row: Claimed, values: Mapping[str, object]) -> bool:
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

    def _finish(self, row: Claimed, **values: object) -> None:
        with session(self.engine) as s:
            self._finish_in(s, row, values)
            s.commit()

    def _done_values(self, row: Claimed, message_id: str) -> dict[str, object]:
        self.sent += 1
        return _outcome(
            status=Status.SENT,
            message_id=str(message_id),
            sent_at=self.clock(),
            needs_edit=False,
            attempts=row.attempts + 1,
        )

    def _retry_values(self, row: Claimed, error: str, retry_after: float | None) -> dict[str, object]:
        attempts = row.attempts + 1
        if attempts >= self.settings.max_attempts:
            self.failed += 1
            log.warning("delivery %s failed for good after %d attempts: %s", row.id, attempts, error)
            return _outcome(
                status=Status.SENT if row.edit else Status.FAILED, error=error, attempts=attempts, needs_edit=False
            )
        delay = min(self.settings.backoff_base * 2 ** (attempts - 1), self.settings.backoff_max)
        delay = max(delay * (0.5 + self.rng.random()), min(retry_after or 0.0, self.settings.max_retry_after))
        log.info("delivery %s will be retried in %.1fs: %s", row.id, delay, error)
        return _outcome(
            status=Status.SENT if row.edit else Status.PENDING,
            error=error,
            attempts=attempts,
            next_attempt=self.clock() + timedelta(seconds=delay),
        )

    def _retry(self, row: Claimed, error: str, retry_after: float | None) -> None:
        self._finish(row, **self._retry_values(row, error, retry_after))

    def _permanent(self, row: Claimed, sub_id: int | None, reason: str) -> None:
        self.failed += 1
        log.warning("subscription %s paused: %s", sub_id, reason)
        self._finish(row, status=Status.SENT if row.edit else Status.FAILED, error=reason, needs_edit=False)
        with session(self.engine) as s:
            sub = s.get(Subscription, sub_id)
            if sub is not None:
                subs.pause(s, sub, reason, self.clock())
                s.commit()

    def _moved(self, row: Claimed, sub_id: int | None, new_target: str) -> None:
        with session(self.engine) as s:
            sub = s.get(Subscription, sub_id)
            if sub is not None:
                subs.move_target(s, sub, new_target, self.clock())
                s.commit()
        self._finish(
            row, status=Status.SENT if row.edit else Status.PENDING, next_attempt=self.clock(), error="chat moved"
        )

    # -- the loop -------------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Dispatch until ``stop``; sleeps ``idle`` seconds when the outbox is empty (or until woken)."""
        while not stop.is_set():
            try:
                n = await self.dispatch_once()
            except Exception:  # the database went away: wait and try again, nothing is lost
                log.exception("dispatcher cycle failed; retrying")
                n = 0
            if n == 0:
                self.wake.clear()
                waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
                await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
                for w in waiters:
                    w.cancel()


def _alert(view: AlertView | None) -> AlertView:
    """An alert row's view: ``_prepared`` gives one to every row without a reply."""
    if view is None:
        raise TypeError("an alert row reached sending without its view")
    return view
