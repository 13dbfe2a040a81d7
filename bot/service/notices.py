"""The service's operator notices (a feed disabled, …): ``notice_*`` texts of ``bot/locales/{ar,en}.yaml`` sent
to each chat of ``settings.admin_chats`` in its language, through ``bot.deliver.notices``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.deliver.notices import notify_operators
from bot.text.messages import text
from storage.db import session

log = logging.getLogger("raqib.service")


def notify(s: Session, admin_chats: Sequence[str], key: str, text_key: str, now: datetime, **values: object) -> int:
    """The notice ``text_key`` (of the locale files) to each operator chat in its language, once per ``key``;
    returns the rows added (``bot.deliver.notices.notify_operators``)."""
    return notify_operators(s, admin_chats, key, lambda language: text(language, text_key, **values), now)


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
