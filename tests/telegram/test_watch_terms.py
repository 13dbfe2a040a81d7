"""/watch, /unwatch, /mute, /unmute through the real PTB adapter and command core against the fake Bot API, and
the keyword alert they lead to: an off-topic item with the watched term, its feed text escaped, "watched term"
on its Why line."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine

from bot.adapters.telegram.app import TelegramAdapter, TelegramSettings
from bot.adapters.telegram.notifier import ChatThrottle
from bot.commands.core import Core
from bot.commands.limits import Bucket, CommandLimiter
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from storage import subscriptions as subs
from storage.db import session
from tests.fakes.store import add_wire_feed, ingest, wire_item
from tests.fakes.telegram_api import TOKEN, FakeBotAPI
from tests.telegram.htmlcheck import check, visible

USER = 611
MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069"))  # bidi marks around mixed-script text
GROUP, MEMBER, ADMIN = -100777, 612, 613


@pytest.fixture
async def adapter(fake: FakeBotAPI, sqlite_engine: Engine) -> AsyncIterator[TelegramAdapter]:
    throttle = ChatThrottle(per_second=1000, private_per_second=1000, group_per_minute=60_000)
    bot = TelegramAdapter(
        TelegramSettings(token=TOKEN, api_url=fake.api_url, poll_timeout=5),
        Core(sqlite_engine, secret=b"w"),
        throttle=throttle,
        limiter=CommandLimiter(per_user=Bucket(100, 1.0), per_chat=Bucket(100, 1.0)),  # a user typing many commands
    )
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


async def say(fake: FakeBotAPI, text: str, chat_id: int = USER, user_id: int = USER, chat_type: str = "private") -> str:
    """Send ``text`` and return the visible text of the bot's answer (without bidi marks and an error's sign)."""
    before = len([c for c in fake.calls_to("sendMessage") if c.chat_id == chat_id])
    fake.command(text, chat_id=chat_id, user_id=user_id, chat_type=chat_type)
    calls = await fake.wait_for("sendMessage", count=before + 1, where=lambda c: c.chat_id == chat_id)
    return visible(calls[-1].params["text"]).translate(MARKS).removeprefix("⚠️ ")


def terms(engine: Engine, chat_id: int, which: str) -> list[str]:
    with session(engine) as s:
        sub = subs.get_subscription(s, "telegram", str(chat_id))
        return subs.terms(sub, which) if sub else []


async def test_watch_unwatch_mute_unmute_and_refused_patterns(
    fake: FakeBotAPI, adapter: TelegramAdapter, sqlite_engine: Engine
) -> None:
    menus = fake.calls_to("setMyCommands")  # the command menu, in English and in Arabic
    assert len(menus) == 2
    for menu in menus:
        assert {"watch", "unwatch", "mute", "unmute"} <= {c["command"] for c in menu.params["commands"]}
    assert (await say(fake, "/watch")).startswith("No watched or muted terms here.")
    assert await say(fake, "/watch ترامب") == "Watching: ترامب"
    assert await say(fake, "/watch «Nvidia»") == "Watching: Nvidia"
    assert await say(fake, "/watch NVIDIA") == "Already watching: Nvidia", "one term, whatever its case"
    for pattern in ("nvid(ia|ea)", ".*", "[a-z]+", "^foo"):
        answer = await say(fake, f"/watch {pattern}")
        assert f"“{pattern}” looks like a pattern" in answer, answer
    assert await say(fake, "/watch !!") == "“!!” has no letters or digits to look for."
    assert terms(sqlite_engine, USER, "watch") == ["ترامب", "Nvidia"], "no pattern was stored"
    assert await say(fake, "/mute iPhone") == "Muted: iPhone"
    assert await say(fake, "/watch iphone") == (
        "Watching: iphone It is muted too, and a muted term wins: /unmute iPhone to get these alerts."
    )
    assert await say(fake, "/watch") == "Watched: ترامب, Nvidia, iphone · Muted: iPhone"
    assert await say(fake, "/unwatch nvidia") == "No longer watching: Nvidia", "removed by its normalized form"
    assert await say(fake, "/unwatch Intel") == "“Intel” is not watched here. Watched: ترامب, iphone"
    assert await say(fake, "/unmute iPhone") == "No longer muted: iPhone"
    assert await say(fake, "/unmute") == "Usage: /unmute TERM (/mute lists the muted terms)"
    assert terms(sqlite_engine, USER, "watch") == ["ترامب", "iphone"] and terms(sqlite_engine, USER, "mute") == []
    with session(sqlite_engine) as s:
        sub = subs.get_subscription(s, "telegram", str(USER))
        assert sub is not None and sub.topics == subs.NO_TOPICS, "watching a term follows no topic"


async def test_in_a_group_anyone_lists_the_terms_and_only_admins_change_them(
    fake: FakeBotAPI, adapter: TelegramAdapter, sqlite_engine: Engine
) -> None:
    fake.set_member(GROUP, ADMIN, "administrator")
    assert await say(fake, "/watch Huawei", GROUP, ADMIN, "supergroup") == "Watching: Huawei"
    refused = await say(fake, "/unwatch Huawei", GROUP, MEMBER, "supergroup")
    assert refused == "Only the chat's administrators can change its subscriptions or settings."
    assert (await say(fake, "/watch Apple", GROUP, MEMBER, "supergroup")) == refused
    assert await say(fake, "/watch", GROUP, MEMBER, "supergroup") == "Watched: Huawei · Muted: none"
    assert terms(sqlite_engine, GROUP, "watch") == ["Huawei"]


async def test_an_off_topic_item_with_the_watched_term_is_alerted_with_its_reason(
    fake: FakeBotAPI, adapter: TelegramAdapter, sqlite_engine: Engine
) -> None:
    add_wire_feed(sqlite_engine)
    assert await say(fake, "/watch ترامب") == "Watching: ترامب"
    title = "ترمب يلعب <b>الغولف</b> & يلتقي أصدقاءه في اسكتلندا"
    ingest(sqlite_engine, wire_item(1, title, "عطلة نهاية الأسبوع في منتجع الغولف.", lang="ar"))
    dispatcher = Dispatcher(
        sqlite_engine, {"telegram": adapter.notifier}, owner="t", settings=DispatchSettings(pace=False)
    )
    assert await dispatcher.dispatch_once() == 1
    [alert] = await fake.wait_for("sendMessage", where=lambda c: "اسكتلندا" in str(c.params.get("text")))
    html = alert.params["text"]
    assert check(html, 4096) == []
    shown = visible(html).translate(MARKS)
    assert "<b>الغولف" not in html and "ترمب يلعب <b>الغولف</b> & يلتقي" in shown, "feed text is escaped"
    assert "Why: watched term: ترامب" in shown
    assert await dispatcher.dispatch_once() == 0, "once per item"
