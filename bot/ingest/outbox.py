"""The outbox rows a batch's alerts become, written in the transaction that decided them: none is lost in between.

``Outbox`` routes each alert to the chats that want it (``bot.deliver.route``), under the alert caps
(``bot.deliver.caps``): per chat, one feed's poll alerts at most ``per_feed_poll`` stories (the most important
first) and a chat at most ``per_chat_hour`` an hour; the stories beyond are folded into one summary per chat,
written at the end of the transaction. Off-topic items go only to chats that watch a term in them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.deliver.alertable import Alertable
from bot.deliver.caps import (
    FLOOD_YIELD,
    AlertCaps,
    Folds,
    alerts_this_hour,
    folded_rows,
    priority,
    record_folded,
    unfold,
)
from bot.ingest.job import StoredBatch
from storage import subscriptions as subs


def watch_key(alert: Alertable, canonical: Mapping[str, str | None]) -> str:
    """The outbox key of an off-topic item's alert: its article's canonical URL (``canonical``: the analysis's,
    by identity) when it has one, so the outlet's own feed and a news search linking to the same article alert
    a chat once; else the item."""
    url = canonical[alert.item.identity]
    if url:
        return "watch:url:" + hashlib.sha256(url.encode()).hexdigest()[:40]
    return f"watch:{alert.item_id}"


class Outbox:
    """The outbox rows of one transaction (see the module's docstring): ``enqueue`` each feed's batch, then
    ``mark_changed`` and ``write_summaries`` once before the commit."""

    def __init__(self, s: Session, caps: AlertCaps | None = None) -> None:
        self.s = s
        self.caps = caps or AlertCaps()
        self._subscriptions: list[Any] | None = None
        self._changed: set[int] = set()
        self._hour: dict[int, int] = {}  # alerts queued per chat in the last hour, counted on as we queue
        self._poll: dict[tuple[int, str], int] = {}  # alerts queued per (chat, feed) in this transaction
        self._folds = Folds()

    def _active(self) -> list[Any]:
        if self._subscriptions is None:  # read once per transaction
            self._subscriptions = subs.list_subscriptions(self.s, active_only=True)
        return self._subscriptions

    def _count_hour(self, chats: set[int], now: datetime) -> None:
        chats = chats - self._hour.keys()
        if chats:
            self._hour.update(alerts_this_hour(self.s, chats, now))

    def enqueue(
        self,
        batch: StoredBatch,
        now: datetime,
        feed_id: str,
        feed_name: str,
        canonical: Mapping[str, str | None],
    ) -> None:
        """Queue ``batch``'s alerts; ``canonical`` (the job's, by identity) keys its off-topic items' alerts."""
        # A feed that keeps flooding alerts nothing more: its stories go to the summary (caps.py).
        silenced = batch.flood is not None and batch.flood.repeated
        # A flood's alerts yield to calm feeds' alerts of the same cycle: ordered after them by the dispatcher,
        # still sent at once (a row never tried is claimed before its time).
        due = now + FLOOD_YIELD if batch.flood is not None else None
        if batch.alerts:
            # here, not at the top: routing imports the matcher (a poll that alerts nothing never routes)
            from bot.deliver.route import StoryFacts, route_why

            routed = []
            for alert in sorted(batch.alerts, key=priority):
                c, item = alert.match, alert.item
                # the severity is known here: a chat's minimum is applied before its alert caps count the story
                facts = StoryFacts(
                    frozenset(c.topics), item.language, float(c.score), f"{item.title}\n{item.text}", c.severity
                )
                routed.append((alert, route_why(self._active(), facts)))
            self._count_hour({sid for _, wanted in routed for sid, _ in wanted}, now)
            for alert, wanted in routed:
                send = [(sid, term) for sid, term in wanted if not silenced and self._take(sid, feed_id)]
                # A chat that got the story only through a watched term is told which (the row's payload).
                for term in dict.fromkeys(term for _, term in send):
                    subs.enqueue(
                        self.s,
                        [sid for sid, t in send if t == term],
                        story_id=alert.story_id,
                        key=f"story:{alert.story_id}",
                        kind="alert",
                        now=now,
                        payload=None if term is None else json.dumps({"watch": term}, ensure_ascii=False),
                        due=due,
                    )
                sent = {sid for sid, _ in send}
                folded = [sid for sid, _ in wanted if sid not in sent]
                for sid in folded:
                    self._folds.add(sid, feed_id, feed_name or feed_id)
                # Kept as "folded" rows: a fresh report of the story from another feed still reaches these chats.
                record_folded(self.s, folded, alert.story_id, feed_id, now)
        if batch.watched:
            self._enqueue_watched(batch.watched, canonical, now, feed_id, feed_name, silenced)
        if batch.copies and batch.flood is None:  # a flood's copies release nothing (caps.py)
            self._unfold(batch.copies, now, feed_id)
        if batch.flood is None:  # a flood's copies edit no sent alert: every poll would, in every chat
            self._changed |= batch.grown_stories

    def _enqueue_watched(
        self,
        items: list[Alertable],
        canonical: Mapping[str, str | None],
        now: datetime,
        feed_id: str,
        feed_name: str,
        silenced: bool = False,
    ) -> None:
        """Off-topic items to the chats that watch a term in them: one alert per chat and article (no story; see
        ``watch_key``), under the same caps as stories, after the poll's stories."""
        from bot.deliver.route import WatchRoute

        watch = WatchRoute(self._active())
        if not watch:
            return  # the common case: no chat watches anything, and no item's text is normalized
        routed = [
            (a, watch(a.item.language, f"{a.item.title}\n{a.item.text}"))
            for a in sorted(items, key=lambda a: -a.item.published.timestamp())
        ]
        self._count_hour({sid for _, wanted in routed for sid, _ in wanted}, now)
        for alert, wanted in routed:
            for sid, term in wanted:
                if silenced or not self._take(sid, feed_id):
                    self._folds.add(sid, feed_id, feed_name or feed_id)
                    continue
                payload = json.dumps({"item": alert.item_id, "watch": term}, ensure_ascii=False)
                key = watch_key(alert, canonical)
                if not subs.enqueue(self.s, [sid], story_id=None, key=key, kind="alert", now=now, payload=payload):
                    self._poll[(sid, feed_id)] -= 1  # the chat already had this article: nothing was queued
                    self._hour[sid] -= 1

    def _take(self, sid: int, feed_id: str) -> bool:
        """One alert for chat ``sid`` from this feed's poll, if the caps allow it (and then counted)."""
        key = (sid, feed_id)
        if self._poll.get(key, 0) >= self.caps.per_feed_poll or self._hour[sid] >= self.caps.per_chat_hour:
            return False
        self._poll[key] = self._poll.get(key, 0) + 1
        self._hour[sid] += 1
        return True

    def _unfold(self, copies: list[Alertable], now: datetime, feed_id: str) -> None:
        """Fresh copies that joined stories folded for some chats by another feed's flood: those chats get the
        story's alert now, under the same caps (a feed cannot squat on real news by flooding first)."""
        folded = folded_rows(self.s, {a.story_id for a in copies if a.story_id is not None}, feed_id)
        if not folded:
            return
        self._count_hour({sid for sid, _, _ in folded}, now)
        wanted = {(sid, story) for sid, story, _ in folded}
        ready = []
        for alert in sorted(copies, key=priority):
            for sid, story, row_id in folded:
                if story == alert.story_id and (sid, story) in wanted and self._take(sid, feed_id):
                    ready.append(row_id)
                    wanted.discard((sid, story))
        unfold(self.s, ready, now)

    def write_summaries(self, now: datetime) -> None:
        if self._folds:
            self._folds.write(self.s, now)

    def mark_changed(self, now: datetime) -> None:
        """Sent alerts of every story the transaction grew get edited (one statement for the batch)."""
        subs.mark_story_changed(self.s, sorted(self._changed), now)
