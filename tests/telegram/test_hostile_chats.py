"""Issue 13 through the real Telegram path: python-telegram-bot polling the fake Bot API over HTTP, the real
command core on a real SQLite store, and the adapter's real send pacing (20 messages a minute in a group, one a
second in a private chat) — the pacing that let one user's flood hold every other chat's answers.

No test waits on the clock: each waits for a request to reach the fake API (with a timeout) or for the update
processor to be idle. The only time bound is a generous one that proves the quiet user is not queued behind
the flood (before the fix, 30 s).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from bot.adapters.telegram.app import TelegramAdapter, TelegramSettings
from bot.commands.core import MAX_REPLY_CHARS, Core
from bot.commands.limits import CommandLimiter
from bot.match import load_lexicon
from bot.text.messages import text
from storage import subscriptions as subs
from storage.db import session
from storage.feeds import FeedSpec, get_feed, sync_feeds
from tests.fakes.store import mark_polled
from tests.fakes.telegram_api import TOKEN, Call, FakeBotAPI
from tests.telegram.htmlcheck import visible

GROUP, ATTACKER, MEMBER, QUIET = -1001300, 66, 67, 77
QUIET_BOUND = 5.0  # seconds; the flood itself takes 30 s to send at the group's pace


@pytest.fixture
async def adapter(fake: FakeBotAPI, sqlite_engine: Engine) -> AsyncIterator[TelegramAdapter]:
    # The default throttle and the default cooldown; the cooldown's clock stands still so that no token comes
    # back while a flood is being handled, however slow the machine.
    bot = TelegramAdapter(
        TelegramSettings(token=TOKEN, api_url=fake.api_url, poll_timeout=5),
        Core(sqlite_engine, secret=b"flood"),
        limiter=CommandLimiter(clock=lambda: 0.0),
    )
    await asyncio.to_thread(load_lexicon)  # as in a running service: built at its first poll
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


def said(call: Call, chat: int, needle: str) -> bool:
    return call.chat_id in (chat, str(chat)) and needle in visible(str(call.params.get("text", "")))


HELP = "Raqib watches"
SLOW = text("en", "slow_down")


async def test_a_group_flood_does_not_hold_a_quiet_users_answer(fake: FakeBotAPI, adapter: TelegramAdapter) -> None:
    fake.add_chat(GROUP, "supergroup")
    for _ in range(30):
        fake.command("/help", chat_id=GROUP, user_id=ATTACKER, chat_type="supergroup")
    fake.command("/help", chat_id=QUIET, user_id=QUIET)

    await fake.wait_for("sendMessage", where=lambda c: said(c, QUIET, HELP), within=QUIET_BOUND)
    [slow] = await fake.wait_for("sendMessage", where=lambda c: said(c, GROUP, SLOW))
    await asyncio.wait_for(adapter.updates.idle(), 10)
    answered = [c for c in fake.calls_to("sendMessage") if said(c, GROUP, HELP)]
    assert len(answered) == adapter.limiter.per_user.burst, "the user's burst, then the cooldown"
    assert [c for c in fake.calls_to("sendMessage") if said(c, GROUP, SLOW)] == [slow], "said once"

    # The cooldown is the user's: another member of the same group is still answered.
    fake.command("/help", chat_id=GROUP, user_id=MEMBER, chat_type="supergroup")
    await fake.wait_for("sendMessage", count=len(answered) + 1, where=lambda c: said(c, GROUP, HELP))


async def test_a_private_flood_gets_a_few_answers_and_no_queue(fake: FakeBotAPI, adapter: TelegramAdapter) -> None:
    for _ in range(30):
        fake.command("/help", chat_id=ATTACKER, user_id=ATTACKER)
    fake.command("/help", chat_id=QUIET, user_id=QUIET)

    await fake.wait_for("sendMessage", where=lambda c: said(c, QUIET, HELP), within=QUIET_BOUND)
    await fake.wait_for("sendMessage", where=lambda c: said(c, ATTACKER, SLOW))
    await asyncio.wait_for(adapter.updates.idle(), 10)
    answered = [c for c in fake.calls_to("sendMessage") if said(c, ATTACKER, HELP)]
    # At one message a second, only the answers that can go out within reply_max_wait of their command do;
    # the rest of the admitted burst is dropped, not sent over the next ten seconds.
    assert 1 <= len(answered) <= adapter.settings.reply_max_wait + 2
    assert len(answered) < adapter.limiter.per_user.burst


async def test_subscribe_at_channel_buttons_subscribe_the_channel(
    fake: FakeBotAPI, adapter: TelegramAdapter, sqlite_engine: Engine
) -> None:
    owner, stranger, channel = 555, 556, -1001777
    fake.add_chat(channel, "channel", title="Chip News", username="chipnews")
    fake.set_member(channel, owner, "administrator")
    fake.set_member(channel, stranger, "member")
    fake.command("/subscribe @chipnews", chat_id=owner, user_id=owner)
    [menu] = await fake.wait_for("sendMessage", where=lambda c: c.chat_id in (owner, str(owner)))
    buttons = [b for row in menu.params["reply_markup"]["inline_keyboard"] for b in row]
    hbm = next(b["callback_data"] for b in buttons if "High-bandwidth" in b["text"])
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)

    fake.press(hbm, chat_id=owner, user_id=owner)
    await fake.wait_for("answerCallbackQuery")
    await asyncio.wait_for(adapter.updates.idle(), 10)
    with session(sqlite_engine) as s:
        assert subs.get_subscription(s, "telegram", str(owner)) is None, "the private chat is not subscribed"
        sub = subs.get_subscription(s, "telegram", str(channel))
        assert sub is not None and sub.topics == "hbm"

    # The same button in a stranger's hands (forwarded), or re-pointed at another chat, does nothing.
    fake.press(hbm, chat_id=stranger, user_id=stranger)
    moved = hbm.replace(str(channel), "-1001778")
    fake.press(moved, chat_id=owner, user_id=owner)
    refusals = await fake.wait_for("answerCallbackQuery", count=3)
    # the two presses come from two chats, handled concurrently: their answers may arrive in either order
    texts = [str(r.params["text"]) for r in refusals[1:]]
    assert sum("administrator" in t for t in texts) == 1 and sum("expired" in t for t in texts) == 1, texts
    with session(sqlite_engine) as s:
        assert [x.target for x in subs.list_subscriptions(s)] == [str(channel)]


async def test_feeds_with_huge_titles_is_one_message(
    fake: FakeBotAPI, adapter: TelegramAdapter, sqlite_engine: Engine
) -> None:
    now = datetime.now(UTC)
    with session(sqlite_engine) as s:
        specs = [FeedSpec(f"feed-{i:03}", f"https://f{i}.example/rss", "en") for i in range(300)]
        sync_feeds(s, specs)
        for spec in specs:
            mark_polled(s, spec.id, now=now, interval=600, etag=None, last_modified=None, title="T" * 200_000)
        feed = get_feed(s, "feed-000")
        assert feed is not None
        feed.title = "Old row " * 25_000  # a title stored before the cap is cut when shown
        s.add(feed)
        s.commit()
    fake.add_chat(GROUP, "supergroup")
    fake.command("/feeds", chat_id=GROUP, user_id=MEMBER, chat_type="supergroup")
    [answer] = await fake.wait_for("sendMessage", where=lambda c: c.chat_id in (GROUP, str(GROUP)))
    await asyncio.wait_for(adapter.updates.idle(), 10)
    assert len(fake.calls_to("sendMessage")) == 1
    shown = visible(answer.params["text"])
    assert len(shown) <= MAX_REPLY_CHARS and shown.splitlines()[-1].startswith("…and ")


async def test_a_button_flood_gets_one_slow_down_toast(fake: FakeBotAPI, adapter: TelegramAdapter) -> None:
    for _ in range(15):
        fake.press("subscribe:hbm|forged", chat_id=ATTACKER, user_id=ATTACKER)
    answers = await fake.wait_for("answerCallbackQuery", count=15)
    texts = [a.params.get("text") for a in answers]
    burst = int(adapter.limiter.per_user.burst)
    assert texts.count(SLOW) == 1 and texts.count(None) == 15 - burst - 1
    assert all("expired" in t for t in texts if t not in (None, SLOW)), "the admitted ones reached the core"
    assert not fake.calls_to("sendMessage"), "nothing was posted in the chat"
