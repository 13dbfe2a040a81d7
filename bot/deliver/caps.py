"""Alert caps: how much one feed's poll, or one hour, may send one chat; the rest folded into one summary.

A feed that republishes its archive with fresh GUIDs (hundreds of relevant "new" items at once) must not post
hundreds of alerts in a chat. Per chat, one feed's poll alerts at most ``per_feed_poll`` stories — the most
severe, best-scored and newest first — and the chat gets at most ``per_chat_hour`` alerts an hour (counted on
the outbox). Every story beyond is still stored, still in ``/latest`` and in the digest; instead of its alert
the chat gets one summary message ("…and 97 more stories from X — see /latest or the digest", in the chat's
language), rendered when it is sent.

A folded story keeps an alert row per chat with status ``folded``: never sent, but when a fresh report of the
same story arrives from another feed (real news that a flood happened to carry first), the row becomes a
pending alert for that chat, under the same caps — so a hostile feed cannot silence a story by flooding it
first. Copies from the feed that folded it change nothing.

Summaries are themselves bounded: a chat has at most one summary waiting; stories folded while it waits are
added to it; and a summary is held until an hour after the chat's previous one was sent (the dispatcher does
not send a ``summary`` row before its ``next_attempt``), so a feed that floods every poll costs a chat at most
one summary an hour. An outbox row that the dispatcher already claimed is never changed: the next folds start
a new summary.

A poll bringing far more new items than the feed's own history (at least ``flood_min_new``, and
``flood_factor`` times its mean per poll so far, the first poll's backlog counting as one poll) is flagged to
the operators: a log warning and a notice to ``admin_chats`` in each chat's language (``notice_flood`` in
``bot/locales/*.yaml``), once per feed and hour. Flood polls are left out of that mean
(``feeds.flood_polls``/``flood_items``), so a feed that floods poll after poll stays flagged rather than making
the flood its norm. While a feed floods:

* its first flood poll alerts at most ``per_feed_poll`` stories per chat, as any poll; a *repeated* flood
  poll (within ``FLOODING`` of the previous one) alerts none — its stories are stored, in ``/latest`` and the
  digest, and counted in the waiting summary;
* its copies never unfold a folded story: several flooding feeds replaying the same archive would otherwise
  release each other's folded stories, ``per_feed_poll`` at a time, every poll.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, update
from sqlmodel import Session, col, select

from bot.deliver.notices import notify_operators
from bot.domain import DeliveryStatus, Severity
from bot.text.messages import text
from storage import subscriptions as subs
from storage.feeds import get_feed
from storage.queries import count_items
from storage.tables import Delivery, Feed

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.deliver.alertable import Alertable

log = logging.getLogger("raqib.deliver")

SUMMARY = "summary"  # the outbox kind of a summary row
FOLDED = DeliveryStatus.FOLDED  # the status of an alert row folded into a summary: never sent unless unfolded
HOUR = timedelta(hours=1)
# A flood this soon after the feed's previous one is the same flood going on (longer than the slowest pace a
# feed may ask, ``max_feed_interval``'s default of 2 h).
FLOODING = timedelta(hours=3)
# A flood's alerts are due this much later than the cycle's other alerts: the dispatcher sends a calm feed's
# alert of the same cycle first (never-tried rows are claimed before they are due, so nothing waits for it).
FLOOD_YIELD = timedelta(minutes=1)
NAME_CHARS = 80  # of a feed's name in a summary: the name came from the feed


@dataclass(frozen=True)
class AlertCaps:
    per_feed_poll: int = 5
    per_chat_hour: int = 30
    flood_min_new: int = 50
    flood_factor: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertCaps:
        return cls(
            per_feed_poll=settings.alerts_per_feed_poll,
            per_chat_hour=settings.alerts_per_chat_hour,
            flood_min_new=settings.flood_min_new,
            flood_factor=settings.flood_factor,
        )


def priority(alert: Alertable) -> tuple[int, float, float]:
    """Sort key: the most severe first, then the best scored, then the newest."""
    c = alert.match
    severity = getattr(c, "severity", None) or Severity.NORMAL
    return (-Severity.rank_of(severity), -float(c.score), -alert.item.published.timestamp())


def alerts_this_hour(s: Session, subscription_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """Alert rows queued for each chat in the hour before ``now`` (one grouped query)."""
    ids = sorted(set(subscription_ids))
    counts = dict.fromkeys(ids, 0)
    for start in range(0, len(ids), 500):
        stmt = (
            select(Delivery.subscription_id, func.count())
            .where(
                col(Delivery.subscription_id).in_(ids[start : start + 500]),
                Delivery.kind == "alert",
                Delivery.status != FOLDED,
                col(Delivery.created_at) >= now - HOUR,
            )
            .group_by(col(Delivery.subscription_id))
        )
        counts.update({sid: int(n) for sid, n in s.exec(stmt).all()})
    return counts


class Folds:
    """Stories each chat did not get an alert for in one transaction, by feed, until written as summaries."""

    def __init__(self) -> None:
        self._by_chat: dict[int, dict[str, list[Any]]] = {}

    def add(self, subscription_id: int, feed_id: str, feed_name: str) -> None:
        feeds = self._by_chat.setdefault(subscription_id, {})
        entry = feeds.setdefault(feed_id, [feed_name[:NAME_CHARS], 0])
        entry[1] += 1

    def __bool__(self) -> bool:
        return bool(self._by_chat)

    def write(self, s: Session, now: datetime) -> int:
        """One summary per chat: added to its waiting summary, or a new one (held an hour after the last)."""
        for sid, feeds in self._by_chat.items():
            _fold_into_summary(s, sid, {fid: (name, n) for fid, (name, n) in feeds.items()}, now)
            log.info("chat %s: %d stories folded into a summary (alert caps)", sid, sum(n for _, n in feeds.values()))
        written = len(self._by_chat)
        self._by_chat.clear()
        return written


def _merge(payload: str | None, feeds: dict[str, tuple[str, int]]) -> str:
    try:
        old = json.loads(payload or "{}").get("feeds", [])
    except (ValueError, AttributeError):
        old = []
    merged: dict[str, list[Any]] = {}
    for entry in old:
        if isinstance(entry, list) and len(entry) == 3:
            merged[str(entry[0])] = [str(entry[1]), int(entry[2])]
    for fid, (name, n) in feeds.items():
        entry = merged.setdefault(fid, [name, 0])
        entry[1] += n
    return json.dumps({"feeds": [[fid, name, n] for fid, (name, n) in merged.items()]}, ensure_ascii=False)


def _fold_into_summary(s: Session, subscription_id: int, feeds: dict[str, tuple[str, int]], now: datetime) -> None:
    waiting = s.exec(
        select(Delivery)
        .where(
            Delivery.subscription_id == subscription_id,
            Delivery.kind == SUMMARY,
            Delivery.status == "pending",
            col(Delivery.lease_owner).is_(None),
        )
        .order_by(col(Delivery.id).desc())
        .limit(1)
    ).first()
    if waiting is not None:
        # Conditional: a dispatcher that claimed it meanwhile has read its payload; then start a new one.
        changed = s.execute(
            update(Delivery)
            .where(
                col(Delivery.id) == waiting.id, col(Delivery.status) == "pending", col(Delivery.lease_owner).is_(None)
            )
            .values(payload=_merge(waiting.payload, feeds))
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount:  # type: ignore[attr-defined]
            return
    last = s.exec(
        select(func.max(func.coalesce(col(Delivery.sent_at), col(Delivery.created_at)))).where(
            Delivery.subscription_id == subscription_id,
            Delivery.kind == SUMMARY,
            col(Delivery.created_at) >= now - 2 * HOUR,
        )
    ).one()
    key = f"more:{now:%Y%m%dT%H%M%S%f}"
    subs.enqueue(s, [subscription_id], story_id=None, key=key, kind=SUMMARY, now=now, payload=_merge(None, feeds))
    if last is not None:
        last = last if last.tzinfo is not None else last.replace(tzinfo=now.tzinfo)
        if last + HOUR > now:
            s.execute(
                update(Delivery)
                .where(col(Delivery.subscription_id) == subscription_id, col(Delivery.key) == key)
                .values(next_attempt=last + HOUR)
                .execution_options(synchronize_session=False)
            )


def _folded_payload(feed_id: str) -> str:
    return json.dumps({"folded_from": feed_id}, ensure_ascii=False)


def record_folded(
    s: Session, subscription_ids: Sequence[int], story_id: int | None, feed_id: str, now: datetime
) -> None:
    """Alert rows for stories folded into a summary, status ``folded``: never claimed by the dispatcher, but
    they remember which chats have not seen the story (``unfold``). An existing row is left alone."""
    if not subscription_ids or story_id is None:
        return
    key = f"story:{story_id}"
    existing = set(
        s.exec(
            select(Delivery.subscription_id).where(
                col(Delivery.subscription_id).in_(list(subscription_ids)), Delivery.key == key
            )
        )
    )
    rows = [
        {
            "subscription_id": sid,
            "story_id": story_id,
            "key": key,
            "kind": "alert",
            "status": FOLDED,
            "needs_edit": False,
            "attempts": 0,
            "next_attempt": now,
            "created_at": now,
            "payload": _folded_payload(feed_id),
            "resent_after_crash": False,
        }
        for sid in dict.fromkeys(subscription_ids)
        if sid not in existing
    ]
    if rows:
        s.execute(insert(Delivery), rows)


# Built once (asked once per feed stored): see ``storage.items._KNOWN``.
_FOLDED_FOR = select(Delivery.subscription_id, Delivery.story_id, Delivery.id, Delivery.payload).where(
    col(Delivery.story_id).in_(bindparam("stories", expanding=True)), Delivery.status == FOLDED
)


def folded_rows(s: Session, story_ids: Iterable[int], feed_id: str) -> list[tuple[int, int, int]]:
    """(chat, story, row id) of alerts folded for ``story_ids`` by a feed other than ``feed_id``."""
    ids = sorted(set(story_ids))
    if not ids:
        return []
    mine = _folded_payload(feed_id)
    # story and id are never None here (asked by story, stored rows); the test tells the type checker so
    return [
        (sid, story, row_id)
        for sid, story, row_id, payload in s.exec(_FOLDED_FOR, params={"stories": ids}).all()
        if payload != mine and story is not None and row_id is not None
    ]


def unfold(s: Session, row_ids: Sequence[int], now: datetime) -> None:
    """Folded alert rows become pending alerts (sent as new stories by the dispatcher)."""
    if row_ids:
        s.execute(
            update(Delivery)
            .where(col(Delivery.id).in_(list(row_ids)), col(Delivery.status) == FOLDED)
            .values(status="pending", payload=None, next_attempt=now, created_at=now)
            .execution_options(synchronize_session=False)
        )


def summary_text(payload: str | None, language: str) -> str:
    """The summary in the chat's language: the total, and the feeds by how many stories each had."""
    try:
        entries = json.loads(payload or "{}").get("feeds", [])
    except (ValueError, AttributeError):
        entries = []
    feeds = sorted(
        ((str(e[1]), int(e[2])) for e in entries if isinstance(e, list) and len(e) == 3),
        key=lambda e: -e[1],
    )
    total = sum(n for _, n in feeds)
    shown = [name for name, _ in feeds[:3]]
    if len(feeds) > 3:
        shown.append(text(language, "alerts_folded_others", count=len(feeds) - 3))
    separator = "، " if language == "ar" else ", "
    return text(language, "alerts_folded", count=total, sources=separator.join(shown) or "?")


# -- floods: flagged to the operators ---------------------------------------------------------------------


@dataclass(frozen=True)
class Flood:
    """A poll far above its feed's usual rate: its new items, the feed's usual poll (the mean of its calm polls
    so far), and whether the feed was flooding already."""

    new: int
    usual: float
    calm_polls: int
    repeated: bool

    @property
    def reason(self) -> str:
        """Why, in English: for the log."""
        return self.reason_in("en")

    def reason_in(self, language: str) -> str:
        """Why, in ``language`` (``flood_reason``, ``flood_repeated`` in ``bot/locales/*.yaml``)."""
        reason = text(language, "flood_reason", new=self.new, usual=f"{self.usual:.1f}", calm_polls=self.calm_polls)
        return reason + text(language, "flood_repeated") if self.repeated else reason

    def notice(self, language: str, feed_id: str, cap: int) -> str:
        """The operators' notice in ``language``; ``cap`` is ``alerts_per_feed_poll``."""
        return text(language, "notice_flood", feed=feed_id, reason=self.reason_in(language), cap=cap)


def flood_check(s: Session, feed_id: str, new: int, caps: AlertCaps, now: datetime) -> Flood | None:
    """Whether this poll's ``new`` items are a flood, recorded on the feed when they are. Queries only when
    ``new`` is at least ``flood_min_new`` (rare)."""
    if new < caps.flood_min_new:
        return None
    feed = get_feed(s, feed_id)
    if feed is None or feed.polls < 1:
        return None  # a first poll is a backlog, never a flood
    calm_polls = max(1, feed.polls - feed.flood_polls)
    usual = max(0, count_items(s, feed_id) - new - feed.flood_items) / calm_polls
    if new < caps.flood_factor * usual:
        return None
    last = feed.flooded_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    repeated = last is not None and now - last <= FLOODING
    s.execute(
        update(Feed)
        .where(col(Feed.id) == feed_id)
        .values(flood_polls=Feed.flood_polls + 1, flood_items=Feed.flood_items + new, flooded_at=now)
        .execution_options(synchronize_session=False)
    )
    return Flood(new, usual, calm_polls, repeated)


def flooding_feeds(s: Session, now: datetime) -> frozenset[str]:
    """The feeds flagged as flooding within ``FLOODING`` of ``now``."""
    stmt = select(Feed.id).where(col(Feed.flooded_at).is_not(None), col(Feed.flooded_at) >= now - FLOODING)
    return frozenset(s.exec(stmt).all())


def notify_flood(s: Session, admin_chats: Sequence[str], feed_id: str, flood: Flood, *, cap: int, now: datetime) -> int:
    """The operators told of a flood, each chat in its language, once per feed and hour (``cap``:
    ``alerts_per_feed_poll``); returns the rows added."""
    key = f"flood:{feed_id}:{now:%Y%m%d%H}"
    return notify_operators(s, admin_chats, key, lambda language: flood.notice(language, feed_id, cap), now)
