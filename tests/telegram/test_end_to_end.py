"""A new user's first minutes, end to end: the real command core on a real store, the real PTB adapter and
notifier, the real outbox and dispatcher, against the fake Bot API on loopback."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.adapters.telegram.app import TelegramAdapter, TelegramSettings
from bot.adapters.telegram.notifier import ChatThrottle
from bot.commands.core import Core
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from storage import subscriptions as subs
from storage.db import session
from tests.fakes.store import add_wire_feed, ingest, wire_item
from tests.fakes.telegram_api import TOKEN, FakeBotAPI
from tests.telegram.htmlcheck import check, visible

USER = 501


async def test_a_new_user_subscribes_reads_latest_and_gets_an_alert(fake: FakeBotAPI, sqlite_engine: Engine) -> None:
    add_wire_feed(sqlite_engine)
    ingest(
        sqlite_engine,
        wire_item(
            1,
            "SK Hynix to double HBM output as AI demand soars",
            "High-bandwidth memory capacity will double next year.",
        ),
        first_poll=True,
    )
    core = Core(sqlite_engine, secret=b"e2e")
    throttle = ChatThrottle(per_second=1000, private_per_second=1000, group_per_minute=60_000)
    adapter = TelegramAdapter(
        TelegramSettings(token=TOKEN, api_url=fake.api_url, poll_timeout=5), core, throttle=throttle
    )
    await adapter.start()
    try:
        fake.command("/start", chat_id=USER, user_id=USER)
        fake.command("/subscribe hbm", chat_id=USER, user_id=USER)
        fake.command("/latest hbm", chat_id=USER, user_id=USER)
        fake.command("/settings", chat_id=USER, user_id=USER)
        start, subscribed, latest, settings = await fake.wait_for("sendMessage", count=4)
        assert "Welcome to Raqib" in start.params["text"]
        assert "Subscribed to: High-bandwidth memory" in visible(subscribed.params["text"])
        assert check(latest.params["text"], 4096) == []
        assert "SK Hynix to double HBM output" in visible(latest.params["text"])
        buttons = settings.params["reply_markup"]["inline_keyboard"]
        arabic_only = next(b for row in buttons for b in row if b["text"] == "Arabic")
        fake.press(
            arabic_only["callback_data"], chat_id=USER, user_id=USER, message_id=settings.params.get("message_id")
        )
        await fake.wait_for("answerCallbackQuery")
        with session(sqlite_engine) as s:
            pressed = subs.get_subscription(s, "telegram", str(USER))
            assert pressed is not None and pressed.languages == "ar", "the button changed the setting"
        fake.command("/settings languages both", chat_id=USER, user_id=USER)
        await fake.wait_for("sendMessage", where=lambda c: "languages both" in str(c.params.get("text")))
        with session(sqlite_engine) as s:
            sub = subs.get_subscription(s, "telegram", str(USER))
            assert sub is not None and sub.topics == "hbm" and sub.languages == "ar en"

        # News arrives: one alert reaches the chat through the outbox, with feed text escaped.
        ingest(
            sqlite_engine,
            wire_item(
                2,
                "Samsung <b>wins</b> Nvidia HBM4 order & more",
                "Samsung will supply high-bandwidth memory for Nvidia.",
            ),
            first_poll=False,
        )
        dispatcher = Dispatcher(
            sqlite_engine, {"telegram": adapter.notifier}, owner="e2e", settings=DispatchSettings(pace=False)
        )
        assert await dispatcher.dispatch_once() == 1
        [alert] = await fake.wait_for("sendMessage", where=lambda c: "Samsung" in str(c.params.get("text")))
        assert alert.params["chat_id"] in (USER, str(USER)) and alert.params["parse_mode"] == "HTML"
        assert "<b>wins</b>" not in alert.params["text"] and "&lt;b&gt;wins&lt;/b&gt;" in alert.params["text"]
        assert await dispatcher.dispatch_once() == 0, "never twice"
    finally:
        await adapter.stop()
