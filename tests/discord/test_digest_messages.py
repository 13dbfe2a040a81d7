"""A long digest on Discord: its blocks packed whole into messages of at most 2000 characters of content, in order,
nothing lost; only a block longer than a message is cut; the chart rides in an embed of the last message, which
carries the PNG; delivered as such through a webhook."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.adapters.discord.endpoints import Endpoints
from bot.adapters.discord.render import CONTENT, EMBEDS_PER_MESSAGE, TOTAL, DiscordRenderer, embed_length
from bot.adapters.discord.text import split_plain
from bot.adapters.discord.webhook import DiscordWebhookNotifier
from bot.adapters.pack import BLOCK_SEPARATOR
from bot.deliver.model import Reply
from bot.digest.render import caption, render_blocks, render_text
from bot.text.length import utf16_len
from tests.digest.long import long_digest
from tests.fakes.discord_api import FakeDiscord

RENDERER = DiscordRenderer.default()
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


def rendered_block(block: str) -> str:
    """One block as Discord shows it on its own, whatever its length (escaped, Latin runs isolated)."""
    [text] = split_plain(block, 1_000_000)
    return text


def contents(reply: Reply) -> list[str]:
    return [m.content or "" for m in RENDERER.reply_messages(reply)]


def test_a_long_digest_is_packed_block_by_block_in_order() -> None:
    for language in ("ar", "en"):
        d = long_digest(language)
        messages = RENDERER.reply_messages(Reply(text=render_text(d), language=language, image=PNG))
        texts = [m.content or "" for m in messages]
        assert len(texts) > 2 and all(utf16_len(t) <= CONTENT for t in texts)
        blocks = [rendered_block(b) for b in render_blocks(d)]
        # Nothing lost, nothing reordered, no block cut: the messages are the blocks, grouped in order.
        assert BLOCK_SEPARATOR.join(texts) == BLOCK_SEPARATOR.join(blocks)
        for i in range(1, len(texts)):  # a block starts a new message only when it would not fit
            first = next(b for b in blocks if texts[i].startswith(b))
            assert utf16_len(texts[i - 1] + BLOCK_SEPARATOR + first) > CONTENT
        # The chart: an embed of the last message, which alone carries the PNG.
        assert [m.png for m in messages] == [None] * (len(messages) - 1) + [PNG]
        assert messages[-1].embeds[-1] == {"image": {"url": "attachment://digest.png"}}
        assert all(len(m.embeds) <= EMBEDS_PER_MESSAGE and sum(map(embed_length, m.embeds)) <= TOTAL for m in messages)


def test_only_a_block_longer_than_a_message_is_cut() -> None:
    d = long_digest("ar", repeat=4)  # each topic's block is over 2000
    blocks = [rendered_block(b) for b in render_blocks(d)]
    texts = contents(Reply(text=render_text(d), language="ar"))
    assert all(utf16_len(t) <= CONTENT for t in texts)
    assert texts[0] == blocks[0]  # the headline is not joined to a cut block
    assert texts[-1].endswith(BLOCK_SEPARATOR.join(blocks[-2:]))  # trends and entities stay whole, together
    assert re.sub(r"\s+", "", "".join(texts)) == re.sub(r"\s+", "", "".join(blocks))


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


async def test_the_digest_arrives_on_a_webhook_as_the_packed_messages(fake: FakeDiscord) -> None:
    d = long_digest("en")
    reply = Reply(text=render_text(d), language="en", image=PNG, caption=caption(d))
    async with DiscordWebhookNotifier(endpoints=Endpoints(fake.base)) as notifier:
        await notifier.send_reply(fake.webhook_url(), reply)
    posts = fake.sent("POST", r"^/webhooks/")
    assert [(p.body or {}).get("content", "") for p in posts] == contents(reply)
    assert posts[-1].form.get("files[0]", b"").startswith(b"\x89PNG")
