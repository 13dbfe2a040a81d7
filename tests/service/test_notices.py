"""Operator notices reach each operator chat once, in that chat's language."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.config import Settings
from bot.deliver.notices import OPERATOR_ONLY
from bot.service import notices
from storage import subscriptions as subs
from storage.db import session
from storage.tables import Delivery, Subscription

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def test_a_disabled_feed_is_told_to_each_operator_chat_in_its_language(engine: Engine) -> None:
    with session(engine) as s:
        subs.get_or_create(s, "telegram", "-100", now=NOW, language="ar")  # follows every topic
        s.commit()
    settings = Settings(admin_chats=["telegram:-100", "discord:555"], disable_after_failures=4)
    error = "HTTP 404 <b>gone</b>"
    notices.feed_disabled(engine, settings, "wire-ar", error, now=NOW)
    notices.feed_disabled(engine, settings, "wire-ar", error, now=NOW.replace(minute=59))  # same hour

    with session(engine) as s:
        rows = {s.get(Subscription, d.subscription_id).target: d for d in s.exec(select(Delivery)).all()}  # type: ignore[union-attr]
        assert set(rows) == {"-100", "555"}, "one notice per chat, however often the feed is disabled that hour"
        texts = {target: json.loads(d.payload or "{}")["text"] for target, d in rows.items()}
        assert all(d.kind == "notice" and d.story_id is None for d in rows.values())
        arabic = subs.get_subscription(s, "telegram", "-100")
        new = subs.get_subscription(s, "discord", "555")
        assert arabic is not None and arabic.topics == "", "a chat that follows topics keeps them"
        assert new is not None and new.topics == OPERATOR_ONLY, "a new operator chat gets notices only"

    assert texts["555"].startswith("Raqib disabled the feed wire-ar after 4 failures in a row.")
    assert "raqib feeds enable wire-ar" in texts["555"]
    assert texts["-100"].startswith("أوقف رقيب المصدر") and "4 إخفاقات" in texts["-100"]
    # Latin runs are isolated inside the Arabic line, so it keeps its order.
    assert "\u2066raqib feeds enable wire-ar\u2069" in texts["-100"] and error in texts["-100"]
