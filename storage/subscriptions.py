"""Subscriptions and the delivery outbox (platform-neutral: a platform is a string, a target an opaque id)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from storage.tables import Delivery, Feed, ItemRow, Story, Subscription


def get_subscription(s: Session, platform: str, target: str) -> Subscription | None:
    return s.exec(select(Subscription).where(Subscription.platform == platform, Subscription.target == target)).first()


def get_or_create(
    s: Session,
    platform: str,
    target: str,
    *,
    now: datetime,
    language: str = "en",
    topics: str = "",
) -> Subscription:
    """The chat's row; a new one gets ``topics`` ("" = every topic, ``NO_TOPICS`` = none)."""
    sub = get_subscription(s, platform, target)
    if sub is None:
        sub = Subscription(
            platform=platform,
            target=target,
            interface_language=language if language in ("ar", "en") else "en",
            topics=topics,
            created_at=now,
            updated_at=now,
        )
        s.add(sub)
        s.flush()
    return sub


# A chat that keeps settings, a language or watch terms without following any topic: the marker matches no
# story topic (``bot.deliver.route`` follows a topic only when the story has it; only "" means every topic).
NO_TOPICS = "__none__"


def topic_ids(sub: Subscription) -> list[str]:
    """The topics a chat follows by name (markers such as ``NO_TOPICS`` left out; [] for none or for all)."""
    return [t for t in sub.topics.split() if not t.startswith("__")]


def follows_all(sub: Subscription) -> bool:
    return not sub.topics.split()


def chat_settings(s: Session, platform: str, target: str, *, now: datetime, language: str = "en") -> Subscription:
    """The chat's row, for its settings, language and terms. A new one follows no topic: choosing a language
    or a setting is not a subscription (a new ``Subscription`` with no topics would follow every topic)."""
    return get_or_create(s, platform, target, now=now, language=language, topics=NO_TOPICS)


def stop_alerts(s: Session, sub: Subscription, now: datetime) -> None:
    """``/unsubscribe`` everything: no topics, no watch terms, no digest, no trend notices; pending deliveries
    cancelled. The chat's language, time zone, minimum score and muted terms stay."""
    sub.topics, sub.watch_terms, sub.digest, sub.trend_alerts, sub.updated_at = NO_TOPICS, "[]", "off", False, now
    s.add(sub)
    s.execute(
        update(Delivery)
        .where(col(Delivery.subscription_id) == sub.id, col(Delivery.status) == "pending")
        .values(status="cancelled", last_error="unsubscribed")
    )


def list_subscriptions(s: Session, *, active_only: bool = False) -> list[Subscription]:
    stmt = select(Subscription).order_by(col(Subscription.id))
    if active_only:
        stmt = stmt.where(col(Subscription.paused).is_(False))
    return list(s.exec(stmt).all())


def terms(sub: Subscription, which: str) -> list[str]:
    try:
        value = json.loads(sub.watch_terms if which == "watch" else sub.mute_terms)
    except ValueError:
        return []
    return [t for t in value if isinstance(t, str)]


def pause(s: Session, sub: Subscription, reason: str, now: datetime) -> None:
    """Stop a subscription (bot blocked, channel deleted…): its pending deliveries are cancelled."""
    sub.paused, sub.paused_reason, sub.updated_at = True, reason[:500], now
    s.add(sub)
    s.execute(
        update(Delivery)
        .where(col(Delivery.subscription_id) == sub.id, col(Delivery.status).in_(("pending", "sending")))
        .values(status="cancelled", last_error=f"subscription paused: {reason[:300]}")
    )


def move_target(s: Session, sub: Subscription, new_target: str, now: datetime) -> None:
    """The chat got a new id (Telegram group → supergroup). A subscription already there is merged away."""
    other = get_subscription(s, sub.platform, new_target)
    if other is not None and other.id != sub.id:
        s.delete(other)
        s.flush()
    sub.target, sub.updated_at = new_target, now
    s.add(sub)


def enqueue(
    s: Session,
    subscription_ids: Iterable[int],
    *,
    story_id: int | None,
    key: str,
    kind: str,
    now: datetime,
    payload: str | None = None,
    due: datetime | None = None,
) -> int:
    """Write outbox rows; an existing (subscription, key) row is left alone (idempotency). Returns rows added.
    ``due``: the rows' ``next_attempt`` when not ``now`` (the dispatcher orders fresh rows by it).

    One existence query and one multi-row INSERT however many subscriptions a story reaches: at 1,000
    subscriptions, ORM objects one by one cost the ingestion transaction (and so every alert) a noticeable delay.
    """
    ids = list(dict.fromkeys(subscription_ids))
    if not ids:
        return 0
    existing = set(
        s.exec(select(Delivery.subscription_id).where(col(Delivery.subscription_id).in_(ids), Delivery.key == key))
    )
    rows = [
        {
            "subscription_id": sid,
            "story_id": story_id,
            "key": key,
            "kind": kind,
            "status": "pending",
            "needs_edit": False,
            "attempts": 0,
            "next_attempt": due or now,
            "created_at": now,
            "payload": payload,
            "resent_after_crash": False,
        }
        for sid in ids
        if sid not in existing
    ]
    if rows:
        s.execute(insert(Delivery), rows)
    return len(rows)


def mark_story_changed(s: Session, story_ids: Sequence[int], now: datetime) -> int:
    """Sent alerts of stories that grew get edited; pending ones will render the new state anyway."""
    if not story_ids:
        return 0
    result = s.execute(
        update(Delivery)
        .where(
            col(Delivery.story_id).in_(list(story_ids)), col(Delivery.status) == "sent", col(Delivery.kind) == "alert"
        )
        .values(needs_edit=True, next_attempt=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def pending_count(s: Session) -> int:
    return int(
        s.exec(select(func.count()).select_from(Delivery).where(col(Delivery.status).in_(("pending", "sending")))).one()
    )


def service_counts(s: Session) -> dict[str, object]:
    feeds = list(s.exec(select(Feed)).all())
    last = max((f.last_success for f in feeds if f.last_success), default=None)
    return {
        "feeds": len(feeds),
        "failing": sum(1 for f in feeds if f.enabled and f.consecutive_failures > 0),
        "disabled": sum(1 for f in feeds if not f.enabled),
        "items": int(s.exec(select(func.count()).select_from(ItemRow)).one()),
        "stories": int(s.exec(select(func.count()).select_from(Story)).one()),
        "last_poll": last,
        "pending": pending_count(s),
        # /healthz: the feeds meant to be polled (enabled, or disabled by the service after failures) and how
        # many of them are failing; a feed disabled in the configuration is neither
        "polled": sum(1 for f in feeds if f.enabled or _failed_off(f)),
        "broken": sum(1 for f in feeds if (f.enabled and f.consecutive_failures > 0) or _failed_off(f)),
        "oldest_due": oldest_due(s),
    }


def _failed_off(feed: Feed) -> bool:
    """Disabled by the service after repeated failures (not in or from the configuration)."""
    return not feed.enabled and feed.consecutive_failures > 0 and "configuration" not in (feed.disabled_reason or "")


def oldest_due(s: Session) -> datetime | None:
    """When the longest-waiting pending delivery became due (None when nothing waits): /healthz compares it
    with the dispatcher's last cycle."""
    return s.exec(select(func.min(Delivery.next_attempt)).where(Delivery.status == "pending")).one()


def find_by_target(s: Session, platform: str, target: str) -> Subscription | None:
    """The subscription a notifier is sending to: by target id, or by the secret (a webhook URL) it was given."""
    found = get_subscription(s, platform, target)
    if found is None:
        found = s.exec(
            select(Subscription).where(Subscription.platform == platform, Subscription.secret == target)
        ).first()
    return found
