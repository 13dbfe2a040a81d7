"""The dispatcher: sends due outbox rows through the platform notifiers, and records what happened.

One cycle (``dispatch_once``): claim due rows (``bot.deliver.outbox``: leases, crashes, clocks), then send them
concurrently across chats and in order within a chat: wait for the notifier's pacing and prepare what the row
sends (``bot.deliver.prepare``: an alert's view, a message's ``Reply``), mark the row ``sending`` (still ours?),
send, record the outcome. ``run`` repeats cycles until stopped, sleeping while the outbox is empty.

Delivery is at-least-once: a crash between the platform's answer and our commit sends the row again, flagged
``resent_after_crash`` (``bot.deliver.outbox`` explains the window and the crash test).

Outcomes. Success records the message id; ``RetryLater`` backs off exponentially (at least the platform's
``retry_after``); ``PermanentFailure`` pauses the subscription with the reason and cancels its queue;
``TargetMoved`` moves the subscription and sends again at once.

Sharing. A cycle reads its rows' subscriptions in one query and builds each story's view once for all its
chats (``ViewCache``: built after the notifier's pacing, ``pace``, rebuilt after ``view_ttl`` seconds). The
``sending`` marks and the common outcomes go through a group commit (``bot.deliver.groupwrite``): each is
still its own conditional UPDATE with the lease-owner check, made just before the request or just after the
answer, but those made at the same moment commit in one transaction. Moves and pauses keep their own.

Message rows of other packages (a digest) are built by the builders given as ``payloads`` (``bot.app``), so
delivery never imports the packages above it (``bot.deliver.prepare``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from bot import metrics
from bot.deliver.groupwrite import GroupWriter
from bot.deliver.model import (
    AlertView,
    DeliveryError,
    MessageFailure,
    Notifier,
    PermanentFailure,
    RetryLater,
    TargetMoved,
)
from bot.deliver.outbox import Claimed, DispatchSettings, Outbox, outcome
from bot.deliver.prepare import Cycle, PayloadBuilder, Preparer
from bot.deliver.views import ViewCache
from bot.domain import DeliveryStatus as Status

# Callers build a dispatcher from this module: its settings and the payload builders' type live beside it.
__all__ = ["DispatchSettings", "Dispatcher", "PayloadBuilder"]

log = logging.getLogger("raqib.deliver")


def _utcnow() -> datetime:
    return datetime.now(UTC)


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
        self.notifiers = dict(notifiers)
        self.owner = owner
        self.settings = settings or DispatchSettings()
        self.clock = clock
        self.rng = rng or random.Random()
        self.wake = asyncio.Event()
        self.sent = 0
        self.failed = 0
        self.last_cycle: datetime | None = None  # the end of the last claim (see ``dispatch_once``)
        # The outbox reads the dispatcher's clock at each call: a caller may set ``clock`` later (tests move it).
        self.outbox = Outbox(engine, self.notifiers, owner=owner, settings=self.settings, clock=lambda: self.clock())
        self.prepare = Preparer(engine, self.notifiers, self.outbox, payloads=payloads or {}, paced=self.settings.pace)
        self._writes = GroupWriter(engine)  # ``sending`` marks and outcomes share transactions under load

    # -- one cycle ----------------------------------------------------------------------------------------
    async def dispatch_once(self) -> int:
        """Claim due rows and send them: concurrently across chats, in order within a chat."""
        claimed, subscriptions = await asyncio.to_thread(self.outbox.claim_with_subscriptions)
        self.last_cycle = self.clock()  # /healthz: a dispatcher that stops cycling while rows are due is stuck
        if not claimed:
            return 0
        cycle = Cycle(subscriptions, ViewCache(self.prepare.story_view, ttl=self.settings.view_ttl))
        by_chat: dict[int, list[Claimed]] = defaultdict(list)
        for c in claimed:
            by_chat[c.subscription_id].append(c)
        await asyncio.gather(*(self._chat_queue(rows, cycle) for rows in by_chat.values()))
        return len(claimed)

    async def _chat_queue(self, rows: list[Claimed], cycle: Cycle) -> None:
        for row in rows:
            try:
                await self._send(row, cycle)
            except Exception:  # a bug, or the database went away: the rest of the queue goes on
                log.exception("delivery %s failed unexpectedly", row.id)
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self._retry, row, "internal error", None)
            finally:
                self.outbox.inflight.discard(row.id)

    async def _send(self, row: Claimed, cycle: Cycle) -> None:
        prepared = await self.prepare.prepared(row, cycle)
        if prepared is None:
            return
        sub, view, reply = prepared
        notifier = self.notifiers[sub.platform]
        target = sub.secret or sub.target
        if not await self._writes.run(partial(self.outbox.mark_in, row=row)):
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
            await self._record(self.outbox.move, row, sub.id, exc.new_target)
        except MessageFailure as exc:
            metrics.DELIVERIES.labels("refused").inc()
            self.failed += 1
            log.warning("delivery %s refused by the platform: %s", row.id, exc)
            await self._record_outcome(
                row, outcome(status=Status.SENT if row.edit else Status.FAILED, error=str(exc), needs_edit=False)
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
        await self._persist(lambda: self._writes.run(partial(self.outbox.finish_in, row=row, values=values)))

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

    # -- outcomes ---------------------------------------------------------------------------------------------
    def _done_values(self, row: Claimed, message_id: str) -> dict[str, object]:
        self.sent += 1
        return outcome(
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
            return outcome(
                status=Status.SENT if row.edit else Status.FAILED, error=error, attempts=attempts, needs_edit=False
            )
        delay = min(self.settings.backoff_base * 2 ** (attempts - 1), self.settings.backoff_max)
        delay = max(delay * (0.5 + self.rng.random()), min(retry_after or 0.0, self.settings.max_retry_after))
        log.info("delivery %s will be retried in %.1fs: %s", row.id, delay, error)
        return outcome(
            status=Status.SENT if row.edit else Status.PENDING,
            error=error,
            attempts=attempts,
            next_attempt=self.clock() + timedelta(seconds=delay),
        )

    def _retry(self, row: Claimed, error: str, retry_after: float | None) -> None:
        self.outbox.finish(row, **self._retry_values(row, error, retry_after))

    def _permanent(self, row: Claimed, sub_id: int | None, reason: str) -> None:
        self.failed += 1
        log.warning("subscription %s paused: %s", sub_id, reason)
        self.outbox.pause(row, sub_id, reason)

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
    """An alert row's view: ``Preparer.prepared`` gives one to every row without a reply."""
    if view is None:
        raise TypeError("an alert row reached sending without its view")
    return view
