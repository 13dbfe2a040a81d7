"""The real PTB Application, started by hand, polling the fake Bot API over HTTP.

Each test scripts updates as a Telegram user would send them and asserts on what reached the command core
and what the bot sent back. Updates are processed in order, so "this one was ignored" is checked by
scripting a normal command after it and waiting for that one's answer.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from bot.adapters.telegram import labels
from bot.adapters.telegram.app import TelegramAdapter, TelegramSettings
from bot.adapters.telegram.errors import TelegramStartError
from bot.adapters.telegram.notifier import ChatThrottle
from bot.commands.model import ADMIN_COMMANDS, Invocation
from bot.config import Env
from bot.deliver.model import AlertView, Button, Reply
from bot.log import REDACT
from tests.fakes.telegram_api import TOKEN, Call, FakeBotAPI
from tests.telegram.htmlcheck import check, visible

ALERT = AlertView(
    story_id=3,
    title="SK Hynix ships HBM4 samples <early> & fast",
    url="https://news.example/hbm4",
    source="Example Wire",
    language="en",
    published=datetime(2025, 3, 3, 8, 0, tzinfo=UTC),
    severity="high",
    score=0.7,
    topics=("hbm",),
    entities=("SK Hynix",),
)


class RecordingCore:
    """A stand-in for the command core: records invocations, asks is_admin for admin commands like the
    real core does, and answers with recognisable replies."""

    def __init__(self) -> None:
        self.invocations: list[Invocation] = []
        self.admin: list[bool | None] = []

    async def handle(self, inv: Invocation) -> Reply:
        self.invocations.append(inv)
        admin = await inv.is_admin() if inv.is_admin and inv.command in ADMIN_COMMANDS else None
        self.admin.append(admin)
        if admin is False:
            return Reply(text="Only admins may change subscriptions here.", error=True)
        if inv.command == "subscribe":
            return Reply(text=f"Subscribed {inv.target_chat_id} to: {', '.join(inv.args)}")
        if inv.command == "latest":
            return Reply(
                text=f"Latest for {' '.join(inv.args)}", alerts=(ALERT,), buttons=((Button("More", "L:2:s"),),)
            )
        if inv.command == "callback" and "not-a-signature" in (inv.callback_data or ""):
            return Reply(text="That button is not ours.", error=True)
        if inv.command == "callback":
            return Reply(text=f"Page for {inv.callback_data}", buttons=((Button("Back", "L:1:s"),),))
        if inv.command == "boom":
            raise RuntimeError("core bug")
        return Reply(text=f"Unknown command /{inv.command}. Try /help.")


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


def fast_throttle() -> ChatThrottle:
    return ChatThrottle(per_second=1000, private_per_second=1000, group_per_minute=60_000)


@pytest.fixture
async def adapter(fake: FakeBotAPI, core: RecordingCore) -> AsyncIterator[TelegramAdapter]:
    settings = TelegramSettings(token=TOKEN, api_url=fake.api_url, poll_timeout=5)
    bot = TelegramAdapter(settings, core, throttle=fast_throttle())
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


def to_chat(chat_id: int) -> object:
    return lambda c: c.chat_id == chat_id


async def replies(fake: FakeBotAPI, chat_id: int, count: int = 1) -> list[Call]:
    return await fake.wait_for("sendMessage", count=count, where=to_chat(chat_id))


async def test_start_registers_the_menu_in_english_and_arabic(fake: FakeBotAPI, adapter: TelegramAdapter) -> None:
    await fake.wait_for("getUpdates")
    en, ar = fake.calls_to("setMyCommands")
    assert "language_code" not in en.params and ar.params["language_code"] == "ar"
    names = [c["command"] for c in en.params["commands"]]
    assert names[:3] == ["start", "help", "topics"] and "latest" in names and "settings" in names
    assert [c["command"] for c in ar.params["commands"]] == names
    assert ar.params["commands"][0]["description"] == labels.command_menu()[0]["ar"]
    assert adapter.username == fake.username
    assert fake.calls_to("deleteWebhook")  # polling mode makes sure no webhook is set


async def test_subscribe_and_latest_in_a_private_chat(
    fake: FakeBotAPI, adapter: TelegramAdapter, core: RecordingCore
) -> None:
    fake.command("/subscribe hbm", chat_id=501, user_id=501)
    fake.command("/latest hbm", chat_id=501, user_id=501, language_code="ar")
    first, second = await replies(fake, 501, 2)
    sub, latest = core.invocations
    assert (sub.command, sub.args, sub.chat_type, sub.user_id, sub.target_chat_id) == (
        "subscribe",
        ("hbm",),
        "private",
        "501",
        "501",
    )
    assert core.admin[0] is True and latest.user_language == "ar"
    assert first.params["text"] == "Subscribed 501 to: hbm"
    text = second.params["text"]
    assert check(text, 4096) == [] and "SK Hynix ships HBM4 samples <early> & fast" in visible(text)
    assert second.params["reply_markup"] == {"inline_keyboard": [[{"text": "More", "callback_data": "L:2:s"}]]}


async def test_groups_check_admins_with_get_chat_member_cached(
    fake: FakeBotAPI, adapter: TelegramAdapter, core: RecordingCore
) -> None:
    fake.add_chat(-200, "supergroup")
    fake.set_member(-200, 7, "administrator")
    fake.set_member(-200, 6, "creator")
    fake.command("/subscribe hbm", chat_id=-200, user_id=8)
    fake.command("/subscribe hbm", chat_id=-200, user_id=7)
    fake.command("/unsubscribe hbm", chat_id=-200, user_id=7)
    fake.command("/subscribe hbm", chat_id=-200, user_id=6)
    fake.command("/latest hbm", chat_id=-200, user_id=8)  # anyone may read
    await replies(fake, -200, 5)
    assert core.admin == [False, True, True, True, None]
    asked = [(c.params["chat_id"], c.params["user_id"]) for c in fake.calls_to("getChatMember")]
    assert asked == [(-200, 8), (-200, 7), (-200, 6)]  # user 7's second command used the cache
    assert [inv.chat_type for inv in core.invocations] == ["supergroup"] * 5


async def test_anonymous_admin_and_foreign_channel_in_a_group(
    fake: FakeBotAPI, adapter: TelegramAdapter, core: RecordingCore
) -> None:
    group = fake.add_chat(-300, "supergroup")
    other = {"id": -100999, "type": "channel", "title": "Someone else"}
    fake.command("/subscribe hbm", chat_id=-300, user_id=1087968824, sender_chat=group)
    fake.command("/subscribe hbm", chat_id=-300, user_id=136817688, sender_chat=other)
    await replies(fake, -300, 2)
    assert core.admin == [True, False]
    assert fake.calls_to("getChatMember") == []


async def test_commands_for_other_bots_are_ignored(
    fake: FakeBotAPI, adapter: TelegramAdapter, core: RecordingCore
) -> None:
    fake.add_chat(-400, "group")
    fake.command("/latest@OtherBot hbm", chat_id=-400, user_id=5)
    fake.command("just chatting", chat_id=-400, user_id=5)
    fake.command(f"/latest@{fake.username.lower()} nvidia", chat_id=-400, user_id=5)
    [answer] = await replies(fake, -400)
    assert [inv.args for inv in core.invocations] == [("nvidia",)]
    assert "Latest for nvidia" in answer.params["text"]


async def test_unknown_chat_types_are_ignored(fake: FakeBotAPI, adapter: TelegramAdapter, core: RecordingCore) -> None:
    fake.add_chat(77, "sender")
    fake.command("/subscribe hbm", chat_id=77, user_id=77)
    fake.add_update(
        {"edited_message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "/x"}}
    )
    fake.add_update({"my_chat_member": {"chat": {"id": 5, "type": "private"}}})  # malformed: PTB can't parse
    fake.command("/help", chat_id=5, user_id=5)
    await replies(fake, 5)
    assert [inv.command for inv in core.invocations] == ["help"]


async def test_forged_callback_data_reaches_the_core_unmodified(
    fake: FakeBotAPI, adapter: TelegramAdapter, core: RecordingCore
) -> None:
    forged = "L:999:not-a-signature\u202e<script>"
    fake.press(forged, chat_id=601, user_id=601)  # under a message the bot never sent
    [answered] = await fake.wait_for("answerCallbackQuery")
    press = core.invocations[-1]
    assert press.command == "callback" and press.callback_data == forged and press.user_id == "601"
    assert answered.params["callback_query_id"].startswith("cq")
    # The core's refusal is a toast for the presser, not a message in the chat.
    assert answered.params["text"] == "That button is not ours." and answered.params["show_alert"] is True
    assert fake.calls_to("sendMessage") == [] and fake.calls_to("editMessageText") == []


async def test_button_press_edits_the_message_it_sits_under(fake: FakeBotAPI, adapter: TelegramAdapter) -> None:
    fake.command("/latest hbm", chat_id=602, user_id=602)
    await replies(fake, 602)
    sent_id = next(iter(k for k in fake._messages if k[0] == 602))[1]
    fake.press("L:2:s", chat_id=602, user_id=602, message_id=sent_id)
    [edit] = await fake.wait_for("editMessageText")
    assert edit.params["message_id"] == sent_id and edit.params["text"] == "Page for L:2:s"
    assert edit.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "L:1:s"


async def test_button_in_a_group_checks_the_presser(
    fake: FakeBotAPI, adapter: TelegramAdapter, core: RecordingCore
) -> None:
    fake.add_chat(-700, "supergroup")
    fake.press("S:hbm:sig", chat_id=-700, user_id=70, chat_type="supergroup")
    await fake.wait_for("answerCallbackQuery")
    inv = core.invocations[-1]
    assert inv.is_admin is not None and await inv.is_admin() is False
    assert fake.calls_to("getChatMember")[-1].params == {"chat_id": -700, "user_id": 70}


async def test_oversized_input_gets_a_clear_reply_not_processing(
    fake: FakeBotAPI, adapter: TelegramAdapter, core: RecordingCore
) -> None:
    fake.command("/subscribe " + "x" * 10_000, chat_id=801, user_id=801)
    fake.command("/subscribe " + " ".join(f"t{i}" for i in range(500)), chat_id=801, user_id=801)
    fake.command("/subscribe " + " ".join("abcdefghijklmnopqrstu"), chat_id=801, user_id=801, language_code="ar")
    too_long, too_long_again, too_many = await replies(fake, 801, 3)
    assert core.invocations == []
    assert "too long" in too_long.params["text"] and "too long" in too_long_again.params["text"]
    assert visible(too_many.params["text"]).strip("\u200e\u200f⚠️ ").startswith("المعطيات كثيرة")


async def test_quoted_arguments_reach_the_core_whole(
    fake: FakeBotAPI, adapter: TelegramAdapter, core: RecordingCore
) -> None:
    fake.command('/latest "export controls" «رقائق الذكاء» 10', chat_id=802, user_id=802)
    await replies(fake, 802)
    assert core.invocations[0].args == ("export controls", "رقائق الذكاء", "10")


async def test_channel_posts_are_commands_from_the_channel(
    fake: FakeBotAPI, adapter: TelegramAdapter, core: RecordingCore
) -> None:
    channel = fake.add_chat(-100300, "channel", title="HBM Watch")
    fake.command("/subscribe hbm", chat_id=-100300, chat_type="channel", sender_chat=channel)
    [answer] = await replies(fake, -100300)
    inv = core.invocations[0]
    assert (inv.chat_type, inv.user_id, core.admin[0]) == ("channel", "-100300", True)
    assert answer.params["text"].startswith("Subscribed -100300")


async def test_channel_managed_from_a_private_chat(
    fake: FakeBotAPI, adapter: TelegramAdapter, core: RecordingCore
) -> None:
    fake.add_chat(-100400, "channel", title="Raqib News", username="RaqibNews")
    fake.set_member(-100400, 9, "administrator")
    fake.command("/subscribe @RaqibNews hbm", chat_id=9, user_id=9)
    fake.command("/subscribe @RaqibNews hbm", chat_id=10, user_id=10)  # not an admin there
    fake.command("/subscribe @nosuchchannel hbm", chat_id=10, user_id=10)
    [ok] = await replies(fake, 9)
    refused, unknown = await replies(fake, 10, 2)
    [inv] = core.invocations
    assert (inv.chat_id, inv.target_chat_id, inv.args, inv.extra["target_title"]) == (
        "9",
        "-100400",
        ("hbm",),
        "Raqib News",
    )
    assert ok.params["text"] == "Subscribed -100400 to: hbm"
    assert "Only administrators of @RaqibNews" in refused.params["text"]
    assert "can't find @nosuchchannel" in unknown.params["text"]


async def test_naming_a_channel_inside_a_group_is_refused(
    fake: FakeBotAPI, adapter: TelegramAdapter, core: RecordingCore
) -> None:
    fake.add_chat(-500, "supergroup")
    fake.command("/subscribe @RaqibNews hbm", chat_id=-500, user_id=3)
    [answer] = await replies(fake, -500)
    assert core.invocations == [] and "private chat" in answer.params["text"]


async def test_a_failing_core_still_answers(fake: FakeBotAPI, adapter: TelegramAdapter) -> None:
    fake.command("/boom", chat_id=901, user_id=901)
    [answer] = await replies(fake, 901)
    assert labels.message("en", "error") in answer.params["text"]


async def test_bad_token_gives_one_clear_error(fake: FakeBotAPI, core: RecordingCore) -> None:
    bad = "999999:this-token-is-wrong-and-secret"
    adapter = TelegramAdapter(TelegramSettings(token=bad, api_url=fake.api_url), core)
    with pytest.raises(TelegramStartError) as info:
        await adapter.start()
    message = str(info.value)
    assert "rejected TELEGRAM_BOT_TOKEN" in message and "@BotFather" in message
    assert bad not in message and "this-token" not in repr(info.value)
    await adapter.stop()  # safe after a failed start
    assert fake.calls == []  # the fake records only calls with the right token: nothing went through


async def test_webhook_mode_checks_the_secret(
    fake: FakeBotAPI, core: RecordingCore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = TelegramSettings(
        token=TOKEN,
        api_url=fake.api_url,
        webhook_url="https://bot.example/tg/hook",
        webhook_secret="s3cret-value",
        webhook_port=0,
    )
    adapter = TelegramAdapter(settings, core, throttle=fast_throttle())
    await adapter.start()
    try:
        [hook] = fake.calls_to("setWebhook")
        assert hook.params["url"] == "https://bot.example/tg/hook" and hook.params["secret_token"] == "s3cret-value"
        update = {
            "update_id": 1,
            "message": {
                "message_id": 5,
                "date": 0,
                "chat": {"id": 11, "type": "private", "first_name": "U"},
                "from": {"id": 11, "is_bot": False, "first_name": "U"},
                "text": "/topics",
                "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
            },
        }
        url = f"http://127.0.0.1:{adapter.webhook_port}/tg/hook"
        async with httpx.AsyncClient() as client:
            wrong = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            missing = await client.post(url, json=update)
            right = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-value"})
        assert (wrong.status_code, missing.status_code, right.status_code) == (403, 403, 200)
        await replies(fake, 11)
        assert [inv.command for inv in core.invocations] == ["topics"]
        assert fake.calls_to("getUpdates") == []
    finally:
        await adapter.stop()
    # PTB and httpx log URLs and parameters at debug level; the service's redactor knows both secrets.
    logged = REDACT(caplog.text)
    assert "s3cret-value" not in logged and TOKEN not in logged


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "TELEGRAM_WEBHOOK_PORT", "TELEGRAM_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    assert TelegramSettings.from_env(Env(_env_file=None).telegram) is None  # type: ignore[call-arg]
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_PORT", "9000")
    s = TelegramSettings.from_env(Env(_env_file=None).telegram)  # type: ignore[call-arg]
    assert s is not None and s.api_url == "http://127.0.0.1:8081" and s.webhook_port == 9000 and s.webhook_url is None
    assert s.webhook_listen == "127.0.0.1" and not s.link_previews
    assert "1:abc" not in repr(s)
