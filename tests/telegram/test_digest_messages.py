"""A long digest on Telegram: its blocks packed whole into messages of at most 4096 UTF-16 units, in order, nothing
lost; only a block longer than a message is cut; the chart's photo takes the short caption (1024) and the text
follows it."""

from __future__ import annotations

import re

from bot.adapters.pack import BLOCK_SEPARATOR
from bot.adapters.telegram.markup import CAPTION_LIMIT, MESSAGE_LIMIT
from bot.adapters.telegram.notifier import TelegramNotifier
from bot.adapters.telegram.render import render_reply
from bot.deliver.model import Reply
from bot.digest.render import caption, render_blocks, render_text
from bot.text.length import utf16_len
from tests.digest.long import long_digest
from tests.fakes.telegram_api import FakeBotAPI
from tests.telegram.htmlcheck import check, visible

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


def rendered_block(block: str, language: str) -> str:
    """One block as Telegram renders it on its own, whatever its length."""
    [message] = render_reply(Reply(text=block, language=language), limit=1_000_000)
    return message.text


def test_a_long_digest_is_packed_block_by_block_in_order() -> None:
    for language in ("ar", "en"):
        d = long_digest(language)
        messages = [m.text for m in render_reply(Reply(text=render_text(d), language=language))]
        assert len(messages) > 1
        assert all(check(m, MESSAGE_LIMIT) == [] for m in messages)
        blocks = [rendered_block(b, language) for b in render_blocks(d)]
        # Nothing lost, nothing reordered, no block cut: the messages are the blocks, grouped in order.
        assert BLOCK_SEPARATOR.join(messages) == BLOCK_SEPARATOR.join(blocks)
        where = [next(i for i, m in enumerate(messages) if b in m) for b in blocks]
        assert where == sorted(where) and where[-1] == len(messages) - 1
        # Packed, not one block a message: a block starts a new message only when it would not fit.
        for i in range(1, len(messages)):
            first = next(b for b in blocks if messages[i].startswith(b))
            assert utf16_len(messages[i - 1] + BLOCK_SEPARATOR + first) > MESSAGE_LIMIT


def test_only_a_block_longer_than_a_message_is_cut() -> None:
    d = long_digest("en", repeat=10)  # each topic's block is over 4096
    blocks = render_blocks(d)
    messages = [m.text for m in render_reply(Reply(text=render_text(d), language="en"))]
    assert all(check(m, MESSAGE_LIMIT) == [] for m in messages)
    assert messages[0] == rendered_block(blocks[0], "en")  # the headline is not joined to a cut block
    assert rendered_block(blocks[-1], "en") in messages[-1]  # the entities stay whole
    squeezed = re.sub(r"\s+", "", "".join(visible(m) for m in messages))
    assert squeezed == re.sub(r"\s+", "", "".join(visible(rendered_block(b, "en")) for b in blocks))


def test_at_the_caption_limit_every_piece_fits_1024() -> None:
    d = long_digest("ar")
    messages = [m.text for m in render_reply(Reply(text=render_text(d), language="ar"), limit=CAPTION_LIMIT)]
    assert len(messages) > 4 and all(check(m, CAPTION_LIMIT) == [] for m in messages)
    squeezed = re.sub(r"\s+", "", "".join(visible(m) for m in messages))
    assert squeezed == re.sub(r"\s+", "", "".join(visible(rendered_block(b, "ar")) for b in render_blocks(d)))


async def test_the_digest_arrives_as_a_photo_with_its_caption_then_the_packed_text(
    fake: FakeBotAPI, notifier: TelegramNotifier
) -> None:
    d = long_digest("ar")
    reply = Reply(text=render_text(d), language="ar", image=PNG, caption=caption(d))
    await notifier.send_reply("42", reply)
    [photo] = fake.calls_to("sendPhoto")
    assert utf16_len(photo.params["caption"]) <= CAPTION_LIMIT
    [short] = render_reply(Reply(text=caption(d), language="ar"), limit=CAPTION_LIMIT)
    assert photo.params["caption"] == short.text
    texts = [c.params["text"] for c in fake.calls_to("sendMessage")]
    assert texts == [m.text for m in render_reply(Reply(text=render_text(d), language="ar"))]
    assert len(texts) > 1 and all(utf16_len(t) <= MESSAGE_LIMIT for t in texts)
