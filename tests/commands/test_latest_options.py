"""/latest's modifiers through the real core on real SQLite: the "More" button keeps the period and the
language, periods are read in both digit sets, and a /settings severity button sets the level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.commands.core import Core
from bot.commands.period import period_seconds as _period
from bot.config import FeedsFile
from storage import subscriptions as subs
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from tests.commands.test_core import inv
from tests.fakes.store import feed_item, store_new_items

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
TITLES = (
    "Micron expands HBM production in Idaho",
    "SK Hynix reports record quarterly profit on HBM sales",
    "Analysis: will HBM shortages last into 2027?",
    "Samsung wins Nvidia HBM4 order",
)


def test_periods() -> None:
    assert _period("24h") == 86400 and _period("7d") == 7 * 86400 and _period("2w") == 14 * 86400
    assert _period("٧d") == 7 * 86400, "Arabic-Indic digits"
    for not_a_period in ("d", "0d", "7", "7m", "h20", "x7d", "123456d", "²d"):
        assert _period(not_a_period) is None, not_a_period


async def test_more_keeps_the_period_and_language(sqlite_engine: Engine) -> None:
    with session(sqlite_engine) as s:
        sync_feeds(s, [FeedSpec("wire", "https://w.example/rss", "en")])
    items = [  # 0, 3, 6 and 9 days old
        feed_item("wire", n, t, published=NOW - timedelta(days=n * 3, hours=1), fetched=NOW)
        for n, t in enumerate(TITLES)
    ]
    store_new_items(sqlite_engine, "wire", items, first_poll=True, now=NOW, config=FeedsFile())
    core = Core(sqlite_engine, secret=b"s", clock=lambda: NOW)

    first = await core.handle(inv("latest", "hbm", "7d", "en", "1"))
    assert [a.title for a in first.alerts] == [TITLES[0]]
    [[more]] = first.buttons
    second = await core.handle(inv("callback", callback=more.data))
    assert [a.title for a in second.alerts] == [TITLES[1]]
    [[more]] = second.buttons
    third = await core.handle(inv("callback", callback=more.data))
    assert [a.title for a in third.alerts] == [TITLES[2]]
    assert third.buttons == (), "the 9-day-old story is outside 7d: no more"
    none = await core.handle(inv("latest", "hbm", "ar"))
    assert none.alerts == () and "hbm · ar" in none.text


async def test_severity_button_sets_the_level(sqlite_engine: Engine) -> None:
    core = Core(sqlite_engine, secret=b"s", clock=lambda: NOW)
    shown = await core.handle(inv("settings"))
    critical = next(b for row in shown.buttons for b in row if b.text == "urgent only")
    assert not (await core.handle(inv("callback", callback=critical.data))).error
    with session(sqlite_engine) as s:
        sub = subs.get_subscription(s, "telegram", "100")
        assert sub is not None and sub.min_severity == "critical" and sub.topics == subs.NO_TOPICS
