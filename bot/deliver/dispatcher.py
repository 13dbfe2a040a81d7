"""The dispatcher: sends due outbox rows through the platform notifiers, and records what happened.

Claiming. Due rows (pending, or sent-and-changed for an edit) are leased to this worker for ``lease``
seconds (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatchers share one outbox without
doubling work). A pending row is marked ``sending`` before the request leaves.

Crashes. A worker that dies leaves ``sending`` rows whose lease expires; they go back to ``pending`` marked
``resent_after_crash``. No chat platform offers an idempotency key for messages, so a send whose answer
was lost with the worker cannot be told apart from one that never left: Raqib sends it again rather than
risk losing it. The window is the time between the platform's answer and our commit (milliseconds).

Outcomes. Success records the message id; ``RetryLater`` backs off exponentially (at least the platform's
``retry_after``); ``PermanentFailure`` pauses the subscription with the reason and cancels its queue;
``TargetMoved`` moves the subscription and sends again at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.deliver.model import (
    DeliveryError,
    MessageFailure,
    Notifier,
    PermanentFailure,
    Reply,
    RetryLater,
    TargetMoved,
)
from bot.deliver.views import alert_view
from storage import subscriptions as subs
from storage.db import session
from storage.tables import Delivery, Subscription

log = logging.getLogger("raqib.deliver")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DispatchSettings:
    batch: int = 100
    lease: float = 60.0
    max_attempts: int = 12
    backoff_base: float = 2.0
    backoff_max: float = 3600.0
    per_chat_interval: float = 1.0  # Telegram: about one message a second per chat
    global_rate: float = 30.0  # Telegram: about 30 messages a second per bot


class RateLimiter:
    """A global rate and a minimum interval per chat, shared by every send of one dispatcher."""

    def __init__(self, global_rate: float, per_chat_interval: float, monotonic: Callable[[], float] = time.monotonic):
        self.interval = 1.0 / global_rate if global_rate > 0 else 0.0
        self.per_chat = per_chat_interval
        self.monotonic = monotonic
        self._next_global = 0.0
        self._next_chat: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, chat: str) -> None:
        async with self._lock:
            now = self.monotonic()
            at = max(now, self._next_global, self._next_chat.get(chat, 0.0))
            self._next_global = at + self.interval
            self._next_chat[chat] = at + self.per_chat
        if at > now:
            await asyncio.sleep(at - now)


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
    ) -> None:
        self.engine = engine
        self.notifiers = dict(notifiers)
        self.owner = owner
        self.settings = settings or DispatchSettings()
        self.clock = clock
        self.rng = rng or random.Random()
        self.limiter = RateLimiter(self.settings.global_rate, self.settings.per_chat_interval)
        self.wake = asyncio.Event()
        self.sent = 0
        self.failed = 0

    # -- claiming (in a worker thread) ------------------------------------------------------------------
    def _claim(self) -> list[Claimed]:
        now = self.clock()
        with session(self.engine) as s:
            # Leases of dead workers: the send may or may not have arrived; it goes again (see module doc).
            s.execute(
                update(Delivery)
                .where(Delivery.status == "sending", col(Delivery.lease_until) < now)
                .values(status="pending", resent_after_crash=True, lease_owner=None, lease_until=None)
            )
            platforms = list(self.notifiers)
            stmt = (
                select(Delivery)
                .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
                .where(
                    col(Subscription.platform).in_(platforms),
                    col(Subscription.paused).is_(False),
                    col(Delivery.next_attempt) <= now,
                    or_(
                        Delivery.status == "pending",
                        (Delivery.status == "sent") & col(Delivery.needs_edit).is_(True),
                    ),
                    or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < now),
                )
                .order_by(col(Delivery.next_attempt), col(Delivery.id))
                .limit(self.settings.batch)
            )
            if s.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True, of=Delivery)  # type: ignore[call-arg]
            rows = list(s.exec(stmt).all())
            until = now + timedelta(seconds=self.settings.lease)
            claimed = []
            for d in rows:
                edit = d.status == "sent"
                if not edit:
                    d.status = "sending"
                d.lease_owner, d.lease_until = self.owner, until
                s.add(d)
                assert d.id is not None
                claimed.append(
                    Claimed(d.id, d.subscription_id, d.story_id, d.kind, edit, d.message_id, d.payload, d.attempts)
                )
            s.commit()
            return claimed

    # -- one cycle ----------------------------------------------------------------------------------------
    async def dispatch_once(self) -> int:
        """Claim due rows and send them: concurrently across chats, in order within a chat."""
        claimed = await asyncio.to_thread(self._claim)
        if not claimed:
            return 0
        by_chat: dict[int, list[Claimed]] = defaultdict(list)
        for c in claimed:
            by_chat[c.subscription_id].append(c)
        await asyncio.gather(*(self._chat_queue(rows) for rows in by_chat.values()))
        return len(claimed)

    async def _chat_queue(self, rows: list[Claimed]) -> None:
        for row in rows:
            try:
                await self._send(row)
            except Exception:  # a bug must not strand the rest of the queue
                log.exception("delivery %s failed unexpectedly", row.id)
                await asyncio.to_thread(self._retry, row, "internal error", None)

    async def _send(self, row: Claimed) -> None:
        prepared = await asyncio.to_thread(self._prepare, row)
        if prepared is None:
            return
        sub, view, reply = prepared
        notifier = self.notifiers[sub.platform]
        target = sub.secret or sub.target
        await self.limiter.wait(f"{sub.platform}:{sub.target}")
        started = time.monotonic()
        try:
            if reply is not None:
                message_id = await notifier.send_reply(target, reply)
            elif row.edit and row.message_id:
                await notifier.edit_alert(
                    target, row.message_id, view, language=sub.interface_language, timezone=sub.timezone
                )
                message_id = row.message_id
            else:
                message_id = await notifier.send_alert(
                    target, view, language=sub.interface_language, timezone=sub.timezone
                )
        except TargetMoved as exc:
            await asyncio.to_thread(self._moved, row, sub.id, exc.new_target)
        except MessageFailure as exc:
            self.failed += 1
            log.warning("delivery %s refused by the platform: %s", row.id, exc)
            await asyncio.to_thread(
                self._finish, row, status="sent" if row.edit else "failed", error=str(exc), needs_edit=False
            )
        except PermanentFailure as exc:
            await asyncio.to_thread(self._permanent, row, sub.id, str(exc))
        except RetryLater as exc:
            await asyncio.to_thread(self._retry, row, str(exc), exc.retry_after)
        except DeliveryError as exc:
            await asyncio.to_thread(self._retry, row, str(exc), None)
        else:
            await asyncio.to_thread(self._done, row, message_id, time.monotonic() - started)

    def _prepare(self, row: Claimed) -> tuple[Subscription, object, Reply | None] | None:
        with session(self.engine) as s:
            sub = s.get(Subscription, row.subscription_id)
            if sub is None:
                return None
            if row.kind != "alert":
                payload = json.loads(row.payload or "{}")
                return sub, None, Reply(text=payload.get("text", ""), language=sub.interface_language)
            view = alert_view(s, row.story_id) if row.story_id is not None else None
            if view is None:  # the story was pruned before we could send it
                self._finish(row, status="cancelled", error="story no longer stored")
                return None
            return sub, view, None

    # -- recording outcomes (worker threads) ----------------------------------------------------------------
    def _finish(self, row: Claimed, **values: object) -> None:
        with session(self.engine) as s:
            d = s.get(Delivery, row.id)
            if d is None or d.lease_owner != self.owner:
                return  # our lease expired and another worker took the row: its outcome wins
            status = values.pop("status", None)
            if status:
                d.status = str(status)
            if "error" in values:
                d.last_error = str(values.pop("error"))[:1000]
            for k, v in values.items():
                setattr(d, k, v)
            d.lease_owner = d.lease_until = None
            s.add(d)
            s.commit()

    def _done(self, row: Claimed, message_id: str, seconds: float) -> None:
        self.sent += 1
        self._finish(
            row,
            status="sent",
            message_id=str(message_id),
            sent_at=self.clock(),
            needs_edit=False,
            attempts=row.attempts + 1,
        )
        log.info("delivery %s sent (%s) in %.2fs", row.id, "edit" if row.edit else row.kind, seconds)

    def _retry(self, row: Claimed, error: str, retry_after: float | None) -> None:
        attempts = row.attempts + 1
        if attempts >= self.settings.max_attempts:
            self.failed += 1
            log.warning("delivery %s failed for good after %d attempts: %s", row.id, attempts, error)
            self._finish(row, status="sent" if row.edit else "failed", error=error, attempts=attempts, needs_edit=False)
            return
        delay = min(self.settings.backoff_base * 2 ** (attempts - 1), self.settings.backoff_max)
        delay = max(delay * (0.5 + self.rng.random()), retry_after or 0.0)
        log.info("delivery %s will be retried in %.1fs: %s", row.id, delay, error)
        self._finish(
            row,
            status="sent" if row.edit else "pending",
            error=error,
            attempts=attempts,
            next_attempt=self.clock() + timedelta(seconds=delay),
        )

    def _permanent(self, row: Claimed, sub_id: int | None, reason: str) -> None:
        self.failed += 1
        log.warning("subscription %s paused: %s", sub_id, reason)
        self._finish(row, status="sent" if row.edit else "failed", error=reason, needs_edit=False)
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
        self._finish(row, status="sent" if row.edit else "pending", next_attempt=self.clock(), error="chat moved")

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
