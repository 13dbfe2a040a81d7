"""What a claimed outbox row sends, once the notifier's pacing lets it go (``Preparer``).

An alert: its story's view from the cycle's cache (``ViewCache``: built after the pacing wait, so that a paced
queue renders the story as it stands now; rebuilt after ``view_ttl`` seconds), with the watched term that
brought it; a story pruned before its send, or below the chat's minimum severity, cancels the row instead.

Message rows of other packages. A kind this package does not know how to turn into a ``Reply`` (a digest,
rebuilt from the store at send time) comes with its builder: ``Dispatcher(payloads={"digest": ...})``, given
by the composition root (``bot.app``), so delivery never imports the packages above it. A row of a kind with
no builder is sent as a notice (its payload's ``text``); a summary of the alert caps is rendered here, in the
chat's language.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import metrics
from bot.deliver.caps import SUMMARY, summary_text
from bot.deliver.model import AlertView, Notifier, Reply
from bot.deliver.outbox import Claimed, Outbox
from bot.deliver.route import below_minimum
from bot.deliver.views import ViewCache, alert_view, item_view, watch_payload, with_watch_reason
from bot.domain import DeliveryStatus as Status
from storage.db import session
from storage.tables import Subscription

# A message row's Reply from its payload, for its subscription, in the dispatcher's session.
PayloadBuilder = Callable[[Session, Subscription, str | None], Reply]
# What a row sends: to this subscription, an alert's view (alerts and their edits) or a reply (messages).
Prepared = tuple[Subscription, AlertView | None, Reply | None]


@dataclass
class Cycle:
    """What one dispatch cycle reads once and shares between its chat queues."""

    subscriptions: dict[int, Subscription]
    views: ViewCache


class Preparer:
    """Turns claimed rows into what the notifiers send; cancels (through the outbox) the rows with nothing left
    to send."""

    def __init__(
        self,
        engine: Engine,
        notifiers: Mapping[str, Notifier],
        outbox: Outbox,
        *,
        payloads: Mapping[str, PayloadBuilder],
        paced: bool,
    ) -> None:
        self.engine = engine
        self.notifiers = notifiers
        self.outbox = outbox
        self.payloads = dict(payloads)  # outbox kind → its Reply builder (module docstring)
        self.paced = paced  # False: the notifiers' pacing is skipped (``DispatchSettings.pace``)

    async def prepared(self, row: Claimed, cycle: Cycle) -> Prepared | None:
        """What to send, once the notifier's pacing lets this row go. An alert's view comes from the cycle's cache,
        built after that wait so that a paced queue renders the story as it stands now."""
        if row.kind != "alert":
            prepared = await asyncio.to_thread(self.message, row)
            if prepared is not None:
                target = prepared[0]
                await self.pace(target)
            return prepared
        sub = cycle.subscriptions.get(row.subscription_id)
        if sub is None:  # moved or paused earlier in this cycle (or deleted): read it as it is now
            sub = await asyncio.to_thread(self.outbox.subscription, row.subscription_id)
            if sub is None:
                return None
            cycle.subscriptions[row.subscription_id] = sub
        await self.pace(sub)
        item_id, term = watch_payload(row.payload)
        if row.story_id is not None:
            view = await cycle.views.get(row.story_id)
        elif item_id is not None:  # an off-topic item a watched term brought (bot.ingest): no story, no cache
            view = await asyncio.to_thread(self.item_view, item_id)
        else:
            view = None
        if view is None:  # the story was pruned before we could send it
            metrics.DELIVERIES.labels("cancelled").inc()
            await asyncio.to_thread(self.outbox.finish, row, status=Status.CANCELLED, error="story no longer stored")
            return None
        if term is not None:
            view = with_watch_reason(view, term, sub.interface_language)
        # /settings severity: not for this chat (an off-topic item the chat watches a term of has no severity)
        if not row.edit and item_id is None and below_minimum(sub, view.severity):
            metrics.DELIVERIES.labels("below_severity").inc()
            await asyncio.to_thread(
                self.outbox.finish, row, status=Status.CANCELLED, error="below the chat's minimum severity"
            )
            return None
        return sub, view, None

    async def pace(self, sub: Subscription) -> None:
        """Wait for the notifier's pacing of this chat (``Notifier.pace``); a notifier without one (a test's
        recorder) is not paced."""
        pace = getattr(self.notifiers.get(sub.platform), "pace", None)
        if self.paced and pace is not None:
            await pace(sub.secret or sub.target)

    def message(self, row: Claimed) -> tuple[Subscription, None, Reply] | None:
        """A message row (digest, caps summary, notice) as its ``Reply``; alerts are ``prepared`` from views."""
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

    def story_view(self, story_id: int) -> AlertView | None:
        """A story's alert view (the cycle's ``ViewCache`` builds it in a worker thread)."""
        with session(self.engine) as s:
            return alert_view(s, story_id)

    def item_view(self, item_id: int) -> AlertView | None:
        """An off-topic item's view: a watched term brought it, with no story."""
        with session(self.engine) as s:
            return item_view(s, item_id)
