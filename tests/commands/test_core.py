"""The command core on a real SQLite store, with stories made by the real pipeline code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.commands.core import Core
from bot.commands.model import Invocation
from bot.config import FeedsFile
from bot.normalize import Item
from storage import subscriptions as subs
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from tests.fakes.store import store_new_items

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def inv(
    command: str,
    *args: str,
    chat: str = "100",
    chat_type: str = "private",
    admin: bool = True,
    lang: str | None = "en",
    callback: str | None = None,
    target: str | None = None,
) -> Invocation:
    async def is_admin() -> bool:
        return admin

    return Invocation(
        platform="telegram",
        chat_id=chat,
        chat_type=chat_type,
        user_id="7",
        command=command,
        args=args,
        user_language=lang,
        is_admin=is_admin,
        callback_data=callback,
        target_chat_id=target,
    )


@pytest.fixture
def core(sqlite_engine: Engine) -> Core:
    return Core(sqlite_engine, secret=b"test-secret", clock=lambda: NOW)


def seed(engine: Engine) -> None:
    with session(engine) as s:
        sync_feeds(
            s,
            [
                FeedSpec("wire", "https://w.example/rss", "en"),
                FeedSpec("khabar", "https://k.example/rss", "ar"),
            ],
        )
    cfg = FeedsFile()
    items = {
        "wire": [
            (
                "SK Hynix to double HBM output as AI demand soars",
                "The memory maker said high-bandwidth memory capacity will double next year.",
            ),
            ("US adds 12 Chinese firms to Entity List over AI chips", "The Commerce Department's BIS said."),
        ],
        "khabar": [("ارتفاع أسعار رقائق البطاطس في الأسواق", "زادت أسعار الوجبات الخفيفة.")],
    }
    for feed, rows in items.items():
        batch = [
            Item(
                feed_id=feed,
                identity=f"{feed}-{n}",
                guid=f"{feed}-{n}",
                url=f"https://{feed}.example/{n}",
                title=t,
                summary=b,
                content="",
                language="ar" if feed == "khabar" else "en",
                published=NOW - timedelta(hours=n + 1),
                fetched=NOW,
                content_hash=f"{feed}{n}",
            )
            for n, (t, b) in enumerate(rows)
        ]
        store_new_items(engine, feed, batch, first_poll=True, now=NOW, config=cfg)


async def test_subscribe_by_id_arabic_name_and_typo(core: Core, sqlite_engine: Engine) -> None:
    r = await core.handle(inv("subscribe", "hbm"))
    assert not r.error and "High-bandwidth memory" in r.text
    r = await core.handle(inv("subscribe", "ضوابط", "التصدير"))
    assert not r.error
    r = await core.handle(inv("subscribe", "hbmm"))
    assert r.error and "hbm" in r.text  # the closest topic is suggested
    with session(sqlite_engine) as s:
        sub = subs.get_subscription(s, "telegram", "100")
        assert sub is not None and sub.topics.split() == ["hbm", "export-controls"]


async def test_subscribe_without_topics_offers_signed_buttons(core: Core) -> None:
    r = await core.handle(inv("subscribe"))
    assert r.buttons and all(len(b.data.encode()) <= 64 for row in r.buttons for b in row)
    data = r.buttons[0][0].data
    ok = await core.handle(inv("callback", callback=data))
    assert not ok.error
    forged = await core.handle(inv("callback", callback=data.replace("subscribe:", "unsubscribe:")))
    assert forged.error and "expired" in forged.text


async def test_only_admins_change_group_settings(core: Core, sqlite_engine: Engine) -> None:
    r = await core.handle(inv("subscribe", "hbm", chat="-5", chat_type="supergroup", admin=False))
    assert r.error and "administrators" in r.text
    r = await core.handle(inv("settings", "min_score", "0.5", chat="-5", chat_type="supergroup", admin=False))
    assert r.error
    r = await core.handle(inv("help", chat="-5", chat_type="supergroup", admin=False))
    assert not r.error, "anyone may ask for help"
    r = await core.handle(inv("subscribe", "hbm", chat="-5", chat_type="supergroup", admin=True))
    assert not r.error
    # A channel managed from a private chat needs the user to administer the channel.
    r = await core.handle(inv("subscribe", "hbm", chat="100", target="-1009", admin=False))
    assert r.error and "channel" in r.text
    with session(sqlite_engine) as s:
        assert subs.get_subscription(s, "telegram", "-1009") is None


async def test_replies_in_the_chats_language(core: Core) -> None:
    r = await core.handle(inv("subscribe", "hbm", lang="ar"))
    assert "تم الاشتراك" in r.text and "الذاكرة" in r.text
    r = await core.handle(inv("lang", "en", lang="ar"))
    assert r.text == "I will answer in English."
    r = await core.handle(inv("frobnicate", lang="ar"))
    assert r.error and "/help" in r.text


async def test_latest_answers_from_the_store(core: Core, sqlite_engine: Engine) -> None:
    seed(sqlite_engine)
    r = await core.handle(inv("latest", "hbm"))
    assert [a.title for a in r.alerts] == ["SK Hynix to double HBM output as AI demand soars"]
    r = await core.handle(inv("latest", "الذاكرة", "عالية", "النطاق"))
    assert [a.title for a in r.alerts] == ["SK Hynix to double HBM output as AI demand soars"]
    r = await core.handle(inv("latest", "entity-list", "1"))
    assert len(r.alerts) == 1 and r.alerts[0].severity == "critical"
    r = await core.handle(inv("latest", "البطاطس"))
    assert r.alerts == (), "a trap item is stored but is no story"
    r = await core.handle(inv("latest"))
    assert r.error


async def test_bad_input_gets_clear_replies(core: Core) -> None:
    r = await core.handle(inv("subscribe", *(["hbm"] * 500)))
    assert r.error and ("at most" in r.text)
    r = await core.handle(inv("latest", "x" * 10_000))
    assert r.error and "too long" in r.text
    for args, needle in [
        (("timezone", "Mars/Olympus"), "Unknown time zone"),
        (("digest", "weekly", "mon", "25"), "0–23"),
        (("min_score", "2"), "0 to 1"),
        (("colour", "red"), "Unknown setting"),
    ]:
        r = await core.handle(inv("settings", *args))
        assert r.error and needle in r.text, (args, r.text)
    r = await core.handle(inv("settings", "timezone", "Asia/Riyadh"))
    assert not r.error


async def test_watch_and_mute_terms_are_stored(core: Core, sqlite_engine: Engine) -> None:
    await core.handle(inv("watch", "3A090"))
    await core.handle(inv("mute", '"stock price"'))
    r = await core.handle(inv("subscriptions"))
    assert "3A090" in r.text and "stock price" in r.text


async def test_trend_alerts_are_opted_into(core: Core, sqlite_engine: Engine) -> None:
    assert (await core.handle(inv("settings", "trends", "maybe"))).error
    assert not (await core.handle(inv("settings", "trends", "on"))).error
    with session(sqlite_engine) as s:
        sub = subs.get_subscription(s, "telegram", "100")
        assert sub is not None and sub.trend_alerts
