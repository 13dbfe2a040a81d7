"""Operator notices: one outbox row per operator chat (``settings.admin_chats``), in that chat's language.

A notice is an outbox row of kind ``notice`` (``{"text": …}`` payload), written once per key, so a notice
repeated within its key's window (the same feed disabled or flooding again the same hour) reaches each chat
once. The service's notices (``bot.service.notices``) and the alert caps' flood notice (``bot.deliver.caps``)
both write through ``notify_operators``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import Session

from storage import subscriptions as subs

OPERATOR_ONLY = "__operator__"  # the topics of a notice-only chat: it matches no topic
KEY_CHARS = 64  # the outbox key column's width


def notify_operators(
    s: Session, admin_chats: Sequence[str], key: str, message: Callable[[str], str], now: datetime
) -> int:
    """``message(language)`` to each operator chat in its language, once per ``key``; returns the rows added.

    A chat unknown until now becomes a notice-only subscription; a chat that already follows topics keeps
    them."""
    if len(key) > KEY_CHARS:
        key = "op:" + hashlib.sha256(key.encode()).hexdigest()[:40]
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
        payload = json.dumps({"text": message(language)}, ensure_ascii=False)
        added += subs.enqueue(s, ids, story_id=None, key=key, kind="notice", now=now, payload=payload)
    return added
