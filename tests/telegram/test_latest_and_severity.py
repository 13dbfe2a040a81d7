"""Issue 15 items 13 and 14 through real PTB and the fake Bot API, the real command core, real SQLite and the
real dispatcher: a group's minimum severity (set by its admins only) keeps lesser alerts out of it, and
``/latest`` takes a period and a language and suggests the topic a typo meant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.adapters.telegram.app import TelegramAdapter, TelegramSettings
from bot.adapters.telegram.notifier import ChatThrottle
from bot.commands.core import Core
from bot.config import FeedsFile
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.deliver.route import StoryFacts, wants
from bot.normalize import Item
from storage import subscriptions as subs
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from storage.tables import Delivery, Subscription
from tests.fakes.store import feed_item, store_new_items
from tests.fakes.telegram_api import TOKEN, FakeBotAPI
from tests.telegram.htmlcheck import check, visible

NOW = datetime.now(UTC).replace(microsecond=0)
GROUP, ADMIN, MEMBER = -500, 11, 12
NORMAL = "Analysis: will HBM shortages last into 2027?"
CRITICAL = "US adds 12 Chinese firms to Entity List over AI chips"
BIDI = "\u200e\u200f\u2066\u2067\u2068\u2069"
HIGH = "SK Hynix reports record quarterly profit on HBM sales"


def _item(feed: str, n: int, title: str, *, lang: str = "en", age: timedelta = timedelta(minutes=20)) -> Item:
    return feed_item(feed, n, title, published=NOW - age, fetched=NOW, lang=lang)


@pytest.fixture
async def adapter(fake: FakeBotAPI, sqlite_engine: Engine) -> AsyncIterator[TelegramAdapter]:
    with session(sqlite_engine) as s:
        sync_feeds(
            s,
            [FeedSpec("wire", "https://wire.example/rss", "en"), FeedSpec("ar", "https://ar.example", "ar")],
        )
    throttle = ChatThrottle(per_second=1000, private_per_second=1000, group_per_minute=60_000)
    tg = TelegramAdapter(
        TelegramSettings(token=TOKEN, api_url=fake.api_url, poll_timeout=5),
        Core(sqlite_engine, secret=b"t"),
        throttle=throttle,
    )
    await tg.start()
    try:
        yield tg
    finally:
        await tg.stop()


async def _ask(fake: FakeBotAPI, text: str, *, chat: int, user: int, chat_type: str = "private") -> str:
    """Send a command and return the visible text of the bot's answer to it."""
    before = len(fake.calls_to("sendMessage"))
    fake.command(text, chat_id=chat, user_id=user, chat_type=chat_type)
    calls = await fake.wait_for("sendMessage", count=before + 1)
    html = str(calls[before].params["text"])
    assert check(html, 4096) == []
    return "".join(ch for ch in visible(html) if ch not in BIDI)  # as read: direction marks left out


async def test_a_group_minimum_severity_is_set_by_admins_and_keeps_lesser_alerts_out(
    fake: FakeBotAPI, adapter: TelegramAdapter, sqlite_engine: Engine
) -> None:
    fake.add_chat(GROUP, "supergroup")
    fake.set_member(GROUP, ADMIN, "administrator")
    fake.set_member(GROUP, MEMBER, "member")
    assert "Subscribed" in await _ask(fake, "/subscribe all", chat=GROUP, user=ADMIN, chat_type="supergroup")

    refused = await _ask(fake, "/settings severity high", chat=GROUP, user=MEMBER, chat_type="supergroup")
    assert "administrators" in refused
    with session(sqlite_engine) as s:
        sub = subs.get_subscription(s, "telegram", str(GROUP))
        assert sub is not None and sub.min_severity == "normal", "a member changes nothing"
    bad = await _ask(fake, "/settings severity loud", chat=GROUP, user=ADMIN, chat_type="supergroup")
    assert "normal" in bad and "critical" in bad
    saved = await _ask(fake, "/settings severity high", chat=GROUP, user=ADMIN, chat_type="supergroup")
    assert "severity high" in saved
    shown = await _ask(fake, "/settings", chat=GROUP, user=ADMIN, chat_type="supergroup")
    assert "minimum severity important and urgent" in shown

    store_new_items(
        sqlite_engine,
        "wire",
        [_item("wire", 1, NORMAL), _item("wire", 2, CRITICAL), _item("wire", 3, HIGH)],
        first_poll=False,
        now=NOW,
        config=FeedsFile(),
    )
    before = len(fake.calls_to("sendMessage"))
    d = Dispatcher(sqlite_engine, {"telegram": adapter.notifier}, owner="w", settings=DispatchSettings(pace=False))
    while await d.dispatch_once():
        pass
    alerts = [visible(str(c.params["text"])) for c in fake.calls_to("sendMessage")[before:]]
    assert len(alerts) == 2
    assert any(CRITICAL in a for a in alerts) and any(HIGH in a for a in alerts)
    assert not any(NORMAL in a for a in alerts), "an analysis piece is below 'high'"
    with session(sqlite_engine) as s:
        statuses = sorted(d.status for d in s.exec(select(Delivery)).all())
    # routing applies the minimum: the analysis piece never enters this chat's outbox (nor counts in its caps)
    assert statuses == ["sent", "sent"]

    # Arabic words work too, and "normal" lets everything through again.
    assert "severity عاجل" in await _ask(
        fake, "/settings severity عاجل", chat=GROUP, user=ADMIN, chat_type="supergroup"
    )
    with session(sqlite_engine) as s:
        sub = subs.get_subscription(s, "telegram", str(GROUP))
        assert sub is not None and sub.min_severity == "critical"


def test_routing_reads_the_chats_minimum_severity() -> None:
    sub = Subscription(platform="t", target="1", topics="", min_severity="high", created_at=NOW, updated_at=NOW)
    facts = StoryFacts(frozenset({"hbm"}), "en", 0.8, "HBM")
    assert not wants(sub, StoryFacts(facts.topics, "en", 0.8, "HBM", severity="normal"))
    assert wants(sub, StoryFacts(facts.topics, "en", 0.8, "HBM", severity="high"))
    assert wants(sub, StoryFacts(facts.topics, "en", 0.8, "HBM", severity="critical"))
    sub.min_severity = "critical"
    assert not wants(sub, StoryFacts(facts.topics, "en", 0.8, "HBM", severity="high"))
    sub.min_severity = "normal"
    assert wants(sub, StoryFacts(facts.topics, "en", 0.8, "HBM", severity="normal"))


async def test_latest_takes_a_period_and_a_language_and_suggests_a_topic(
    fake: FakeBotAPI, adapter: TelegramAdapter, sqlite_engine: Engine
) -> None:
    recent_en = "Micron expands HBM production in Idaho"
    recent_ar = "SK هاينكس تضاعف إنتاج الذاكرة عالية النطاق HBM"
    old_ar = "سامسونغ تبدأ إنتاج رقائق الذاكرة عالية النطاق HBM4 لإنفيديا"
    store_new_items(
        sqlite_engine,
        "wire",
        [_item("wire", 1, recent_en, age=timedelta(days=1))],
        first_poll=True,
        now=NOW,
        config=FeedsFile(),
    )
    store_new_items(
        sqlite_engine,
        "ar",
        [
            _item("ar", 1, recent_ar, lang="ar", age=timedelta(days=2)),
            _item("ar", 2, old_ar, lang="ar", age=timedelta(days=10)),
        ],
        first_poll=True,
        now=NOW,
        config=FeedsFile(),
    )
    user = 77

    every = await _ask(fake, "/latest hbm", chat=user, user=user)
    assert recent_en in every and recent_ar in every and old_ar in every

    week_ar = await _ask(fake, "/latest hbm 7d ar", chat=user, user=user)
    assert recent_ar in week_ar and old_ar not in week_ar and recent_en not in week_ar
    assert "hbm · 7d · ar" in week_ar

    arabic = await _ask(fake, "/latest hbm ar 1", chat=user, user=user)  # modifiers in any order
    assert recent_ar in arabic and old_ar not in arabic, "one story: the newest Arabic one"

    week = await _ask(fake, "/latest hbm 7d", chat=user, user=user)
    assert recent_en in week and recent_ar in week and old_ar not in week

    typo = await _ask(fake, "/latest hbmm", chat=user, user=user)
    assert "No stories yet" in typo and "Did you mean “hbm”" in typo

    too_long = await _ask(fake, "/latest hbm 900d", chat=user, user=user)
    assert "at most 365d" in too_long
