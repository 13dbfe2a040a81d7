"""The flood notice reaches each operator chat in its language (``notice_flood`` in bot/locales/*.yaml).

The end-to-end flood (tests/deliver/test_alert_caps.py) checks that a flood is flagged at all; here, on the
real store (SQLite and PostgreSQL), which text each operator chat is sent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.deliver.caps import Flood, notify_flood
from bot.text.bidi import is_rtl
from storage import subscriptions as subs
from storage.db import session
from storage.tables import Delivery, Subscription

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
ADMINS = ("telegram:100", "telegram:200", "discord:300")  # Arabic, English, unknown until the notice


def _notices(engine: Engine, flood: Flood) -> dict[str, str]:
    with session(engine) as s:
        subs.get_or_create(s, "telegram", "100", now=NOW, language="ar")
        subs.get_or_create(s, "telegram", "200", now=NOW, language="en")
        s.commit()
        assert notify_flood(s, ADMINS, "archive", flood, cap=5, now=NOW) == 3
        assert notify_flood(s, ADMINS, "archive", flood, cap=5, now=NOW) == 0, "once per feed and hour"
        s.commit()
        rows = s.exec(select(Subscription.target, Delivery.payload).join(Delivery)).all()
        return {target: json.loads(payload or "{}")["text"] for target, payload in rows}


def test_each_operator_reads_the_flood_notice_in_its_chats_language(engine: Engine) -> None:
    flood = Flood(new=120, usual=2.04, calm_polls=10, repeated=False)
    notices = _notices(engine, flood)
    assert notices["100"] == flood.notice("ar", "archive", 5) and is_rtl(notices["100"])
    assert "120" in notices["100"] and "⁦archive⁩" in notices["100"], "the feed id isolated in the Arabic line"
    # The English text is the one the notice had before it moved to the locale files.
    assert notices["200"] == (
        "Raqib: the feed archive brought 120 new items in one poll, against 2.0 in a usual poll (10 calm polls so "
        "far). Its alerts are capped at 5 per chat and poll, and none while it keeps flooding; if it republished its "
        "archive, consider disabling it (enabled: false in feeds.yaml)."
    )
    assert notices["300"] == notices["200"], "a chat unknown until now reads the default language"


def test_a_repeated_flood_says_so_in_both_languages(engine: Engine) -> None:
    flood = Flood(new=60, usual=1.5, calm_polls=4, repeated=True)
    notices = _notices(engine, flood)
    assert "، وقد أغرق في ساعاته السابقة أيضًا." in notices["100"]
    assert "(4 calm polls so far), and it flooded in its previous hours too. Its alerts" in notices["200"]
    assert flood.reason == (
        "60 new items in one poll, against 1.5 in a usual poll (4 calm polls so far), and it flooded in its "
        "previous hours too"
    ), "the log's reason stays English"
