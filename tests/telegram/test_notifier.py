"""TelegramNotifier against the fake Bot API over real HTTP: sends, edits and every error mapping."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.adapters.telegram.errors import MessageRejected, TelegramStartError
from bot.adapters.telegram.notifier import TelegramNotifier
from bot.deliver.model import AlertView, Button, PermanentFailure, Reply, RetryLater, SourceRef, TargetMoved
from tests.fakes.telegram_api import TOKEN, FakeBotAPI
from tests.telegram.conftest import FakeClock
from tests.telegram.htmlcheck import check

ALERT = AlertView(
    story_id=7,
    title="<script>x</script> US adds SMIC units & others to the Entity List",
    url="https://news.example/smic",
    source="Example Wire",
    language="en",
    published=datetime(2025, 2, 1, 9, 30, tzinfo=UTC),
    severity="critical",
    score=0.95,
    topics=("entity-list",),
    entities=("SMIC",),
    excerpt="The Commerce Department added the units on Friday.",
)


def send_kwargs() -> dict[str, str]:
    return {"language": "en", "timezone": "Asia/Dubai"}


async def test_send_alert_posts_escaped_html_without_preview(fake: FakeBotAPI, notifier: TelegramNotifier) -> None:
    message_id = await notifier.send_alert("42", ALERT, **send_kwargs())
    [call] = fake.calls_to("sendMessage")
    assert call.params["chat_id"] == 42 and call.params["parse_mode"] == "HTML"
    assert call.params["link_preview_options"] == {"is_disabled": True}
    assert check(call.params["text"], 4096) == []
    assert "&lt;script&gt;" in call.params["text"] and "13:30 UTC+04" in call.params["text"]
    assert message_id.isdigit()


async def test_edit_alert_updates_the_message_and_same_content_is_fine(
    fake: FakeBotAPI, notifier: TelegramNotifier
) -> None:
    message_id = await notifier.send_alert("-1001", ALERT, **send_kwargs())
    grown = replace(ALERT, also_reported_by=(SourceRef("الجزيرة", "https://aljazeera.example/x", "ar"),))
    await notifier.edit_alert("-1001", message_id, grown, **send_kwargs())
    [edit] = fake.calls_to("editMessageText")
    assert edit.params["message_id"] == int(message_id) and "Also reported by" in edit.params["text"]
    # The same content again: Telegram answers "message is not modified", which is success for us.
    await notifier.edit_alert("-1001", message_id, grown, **send_kwargs())
    assert len(fake.calls_to("editMessageText")) == 2


async def test_edit_of_a_vanished_message_is_skipped(
    fake: FakeBotAPI, notifier: TelegramNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        await notifier.edit_alert("42", "999999", ALERT, **send_kwargs())
    assert "message to edit not found" in caplog.text.lower()
    assert fake.calls_to("sendMessage") == []  # no fresh copy: it would be a duplicate the outbox can't track


async def test_flood_control_is_honoured_per_chat(
    fake: FakeBotAPI, notifier: TelegramNotifier, clock: FakeClock
) -> None:
    fake.inject("sendMessage", 429, "Too Many Requests: retry after 7", chat_id=42, parameters={"retry_after": 7})
    with pytest.raises(RetryLater) as info:
        await notifier.send_alert("42", ALERT, **send_kwargs())
    assert info.value.retry_after == 7
    # The chat cools down: the next send fails fast, without asking Telegram again.
    with pytest.raises(RetryLater) as again:
        await notifier.send_alert("42", ALERT, **send_kwargs())
    assert again.value.retry_after is not None and 0 < again.value.retry_after <= 7
    assert len(fake.calls_to("sendMessage")) == 1
    await notifier.send_alert("43", ALERT, **send_kwargs())  # other chats are not held back
    clock.now += 7.5
    await notifier.send_alert("42", ALERT, **send_kwargs())
    assert [c.chat_id for c in fake.calls_to("sendMessage")] == [42, 43, 42]


@pytest.mark.parametrize(
    "description",
    [
        "Forbidden: bot was blocked by the user",
        "Forbidden: bot was kicked from the supergroup chat",
        "Forbidden: bot is not a member of the channel chat",
    ],
)
async def test_forbidden_pauses_with_the_reason(fake: FakeBotAPI, notifier: TelegramNotifier, description: str) -> None:
    fake.inject("sendMessage", 403, description)
    with pytest.raises(PermanentFailure) as info:
        await notifier.send_alert("42", ALERT, **send_kwargs())
    assert description.split(": ", 1)[1] in str(info.value)
    assert not isinstance(info.value, MessageRejected)


async def test_migrated_group_moves_the_target(fake: FakeBotAPI, notifier: TelegramNotifier) -> None:
    fake.inject(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": -1009876},
    )
    with pytest.raises(TargetMoved) as info:
        await notifier.send_alert("-555", ALERT, **send_kwargs())
    assert info.value.new_target == "-1009876"


async def test_refused_markup_falls_back_to_plain_text_once(
    fake: FakeBotAPI, notifier: TelegramNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    fake.inject("sendMessage", 400, 'Bad Request: can\'t parse entities: unsupported start tag "x" at byte offset 3')
    with caplog.at_level(logging.WARNING):
        await notifier.send_alert("42", ALERT, **send_kwargs())
    first, second = fake.calls_to("sendMessage")
    assert first.params["parse_mode"] == "HTML"
    assert "parse_mode" not in second.params
    assert "<b>" not in second.params["text"] and "<script>x</script> US adds SMIC" in second.params["text"]
    assert "plain text" in caplog.text


async def test_other_bad_requests(fake: FakeBotAPI, notifier: TelegramNotifier) -> None:
    fake.inject("sendMessage", 400, "Bad Request: chat not found", chat_id=1)
    fake.inject("sendMessage", 400, "Bad Request: something new and strange", chat_id=2)
    with pytest.raises(PermanentFailure) as gone:
        await notifier.send_alert("1", ALERT, **send_kwargs())
    assert not isinstance(gone.value, MessageRejected)
    with pytest.raises(MessageRejected):
        await notifier.send_alert("2", ALERT, **send_kwargs())


async def test_server_errors_and_timeouts_go_back_for_retry(fake: FakeBotAPI, clock: FakeClock) -> None:
    fake.inject("sendMessage", 502, "Bad Gateway")
    fake.inject("sendMessage", 500, "Internal Server Error")
    fake.inject("sendMessage", 0, "", hang=True)
    async with TelegramNotifier.create(TOKEN, api_url=fake.api_url, timeout=0.5) as n:
        for _ in range(3):
            with pytest.raises(RetryLater):
                await n.send_alert("42", ALERT, **send_kwargs())


async def test_reply_with_image_and_long_text(fake: FakeBotAPI, notifier: TelegramNotifier) -> None:
    reply = Reply(
        text="Digest line with details & more\n" * 300,
        image=b"\x89PNG\r\n\x1a\n" + b"0" * 100,
        buttons=((Button("Next", "d:2"),),),
    )
    last_id = await notifier.send_reply("42", reply)
    [photo] = fake.calls_to("sendPhoto")
    assert photo.params["photo"]["size"] == 108 and "caption" not in photo.params  # text too long for a caption
    texts = fake.calls_to("sendMessage")
    assert len(texts) >= 3
    assert all("reply_markup" not in c.params for c in texts[:-1])
    assert texts[-1].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "d:2"
    assert last_id.isdigit()


async def test_short_reply_with_image_uses_a_caption(fake: FakeBotAPI, notifier: TelegramNotifier) -> None:
    await notifier.send_reply("42", Reply(text="Your digest", image=b"png", buttons=((Button("More", "m"),),)))
    [photo] = fake.calls_to("sendPhoto")
    assert photo.params["caption"] == "Your digest" and photo.params["reply_markup"]["inline_keyboard"]
    assert fake.calls_to("sendMessage") == []


async def test_bad_token_is_one_clear_error(fake: FakeBotAPI) -> None:
    notifier = TelegramNotifier.create("123:wrong-token-value", api_url=fake.api_url)
    with pytest.raises(TelegramStartError) as info:
        await notifier.start()
    assert "rejected TELEGRAM_BOT_TOKEN" in str(info.value)
    assert "wrong-token-value" not in str(info.value) and info.value.__cause__ is None


async def test_a_mixed_fault_run_classifies_each_chat(fake: FakeBotAPI, notifier: TelegramNotifier) -> None:
    """Forty chats at once, some refusing, some flooded, one migrating, some flaky: each send ends in exactly
    one outcome and healthy chats get exactly one message."""
    fake.inject("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=3, times=-1)
    fake.inject("sendMessage", 403, "Forbidden: bot was kicked from the group chat", chat_id=-17, times=-1)
    fake.inject("sendMessage", 429, "Too Many Requests: retry after 3", chat_id=5, parameters={"retry_after": 3})
    fake.inject(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        chat_id=-9,
        parameters={"migrate_to_chat_id": -1000009},
    )
    fake.inject("sendMessage", 502, "Bad Gateway", chat_id=11)
    chats = [str(i) for i in range(1, 21)] + [str(-i) for i in range(1, 21)]

    async def outcome(chat: str) -> str:
        try:
            await notifier.send_alert(chat, ALERT, **send_kwargs())
        except TargetMoved as moved:
            return f"moved:{moved.new_target}"
        except RetryLater as later:
            return f"retry:{later.retry_after}"
        except PermanentFailure as failure:
            return f"paused:{failure}"
        return "sent"

    results = dict(zip(chats, await asyncio.gather(*(outcome(c) for c in chats)), strict=True))
    assert results["3"].startswith("paused:") and "blocked by the user" in results["3"]
    assert results["-17"].startswith("paused:") and "kicked" in results["-17"]
    assert results["5"] == "retry:3.0" and results["11"] == "retry:None"
    assert results["-9"] == "moved:-1000009"
    healthy = [c for c, r in results.items() if r == "sent"]
    assert len(healthy) == 35
    delivered = [str(c.chat_id) for c in fake.calls_to("sendMessage") if str(c.chat_id) in healthy]
    assert sorted(delivered) == sorted(healthy)  # once each
