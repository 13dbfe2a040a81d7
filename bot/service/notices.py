"""Operator notices: a message to each chat of ``settings.admin_chats``, in that chat's language.

A notice is an outbox row of kind ``notice`` (``{"text": …}`` payload), written once per key, so a notice
repeated within its key's window (the same feed disabled again the same hour) reaches each chat once. Texts
are ``notice_*`` keys of ``bot/locales/{ar,en}.yaml``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.text.messages import text
from storage import subscriptions as subs
from storage.db import session

log = logging.getLogger("raqib.service")
OPERATOR_ONLY = "__operator__"  # the topics of a notice-only chat: it matches no topic


def notify(s: Session, admin_chats: Sequence[str], key: str, text_key: str, now: datetime, **values: object) -> int:
    """The notice ``text_key`` to each operator chat in its language, once per ``key``; returns the rows added.

    A chat unknown until now becomes a notice-only subscription; a chat that already follows topics keeps them.
    """
    by_language: dict[str, list[int]] = {}
    for ref in admin_chats:
        platform, _, target = ref.partition(":")
        sub = subs.get_subscription(s, platform, target)
        if sub is None:
            sub = subs.get_or_create(s, platform, target, now=now, topics=OPERATOR_ONLY)
        if sub.id is not None:
            by_language.setdefault(sub.interface_language, []).append(sub.id)
    added = 0
    for language, ids in by_language.items():
        payload = json.dumps({"text": text(language, text_key, **values)}, ensure_ascii=False)
        added += subs.enqueue(s, ids, story_id=None, key=key, kind="notice", now=now, payload=payload)
    return added


def feed_disabled(engine: Engine, settings: Settings, feed_id: str, error: str, now: datetime | None = None) -> None:
    """Tell the operators once (per feed and hour), through the outbox, that the service disabled a feed."""
    now = now or datetime.now(UTC)
    with session(engine) as s:
        notify(
            s,
            settings.admin_chats,
            f"disabled:{feed_id}:{now:%Y%m%d%H}",
            "notice_feed_disabled",
            now,
            feed=feed_id,
            failures=settings.disable_after_failures,
            error=error[:300],
        )
        s.commit()
    log.warning("feed %s disabled; operators notified", feed_id)
