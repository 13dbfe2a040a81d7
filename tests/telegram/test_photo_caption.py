"""A reply with a chart and a short caption (``Reply.caption``, a digest): Telegram decides whether the photo
takes the whole text or the short caption, by its own caption limit (the digest no longer knows it)."""

from __future__ import annotations

from bot.adapters.telegram.notifier import TelegramNotifier
from bot.deliver.model import Reply
from tests.fakes.telegram_api import FakeBotAPI

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32
SHORT = "Weekly digest: 3 stories\nThe full digest follows."


async def test_a_text_too_long_for_a_caption_follows_the_photo_with_the_short_one(
    fake: FakeBotAPI, notifier: TelegramNotifier
) -> None:
    long = "ضوابط التصدير على رقائق الذكاء الاصطناعي\n" * 60  # over 1024 UTF-16 units
    await notifier.send_reply("42", Reply(text=long, image=PNG, caption=SHORT, language="ar"))
    [photo] = fake.calls_to("sendPhoto")
    assert photo.params["caption"] == SHORT
    sent = "".join(c.params["text"] for c in fake.calls_to("sendMessage"))
    assert sent.count("ضوابط التصدير") == 60


async def test_a_text_that_fits_is_the_caption_and_the_short_one_is_unused(
    fake: FakeBotAPI, notifier: TelegramNotifier
) -> None:
    await notifier.send_reply("42", Reply(text="Weekly digest: nothing new", image=PNG, caption=SHORT))
    [photo] = fake.calls_to("sendPhoto")
    assert photo.params["caption"] == "Weekly digest: nothing new"
    assert fake.calls_to("sendMessage") == []
