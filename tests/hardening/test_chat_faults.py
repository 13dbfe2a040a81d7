"""Chat-side faults through the real Dispatcher and the real notifiers, against the fake platforms over HTTP.

Telegram: a 429 storm with retry_after, 5xx, a request that hangs until the client times out, 403 on some
chats only, and a group that migrates to a supergroup mid-run. Discord webhooks: a 429 storm, 5xx, and a
deleted webhook. A fake clock jumps over every backoff (no test sleeps). In the end every delivery to a
working chat was sent exactly once, and every refused chat is paused with the platform's reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.adapters.discord.webhook import DiscordWebhookNotifier
from bot.adapters.telegram.notifier import ChatThrottle, TelegramNotifier
from bot.config import FeedsFile
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.normalize import Item
from storage import subscriptions as subs
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from storage.tables import Delivery, Subscription
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.store import store_new_items
from tests.fakes.telegram_api import TOKEN, FakeBotAPI
from tests.hardening.figures import record

NOW = datetime.now(UTC).replace(microsecond=0)
STORIES = [
    (
        "SK Hynix to double HBM output for Nvidia",
        "High-bandwidth memory capacity will double next year, the "
        "memory maker said, as demand for AI accelerators keeps rising across the industry.",
    ),
    (
        "China adds gallium and germanium export licences",
        "Beijing's commerce ministry said exporters of gallium "
        "and germanium will need licences from next month under new export controls.",
    ),
    (
        "US weighs new curbs on Nvidia H20 sales to China",
        "The Commerce Department is considering licence "
        "requirements for the H20 accelerator, officials said, widening export controls on AI chips.",
    ),
]
MIGRATED_TO = -1000000000105


class Clock:
    """One fake time for the dispatcher (datetime) and the Telegram throttle (monotonic seconds)."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return (self.now - NOW).total_seconds() + 1000.0


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # as the service does; PTB warns otherwise


def _setup(engine: Engine, telegram: list[str], webhooks: dict[str, str]) -> None:
    with session(engine) as s:
        sync_feeds(s, [FeedSpec("wire", "https://wire.example/rss", "en")])
        for chat in telegram:
            subs.get_or_create(s, "telegram", chat, now=NOW)
        for webhook_id, url in webhooks.items():
            sub = subs.get_or_create(s, "discord-webhook", webhook_id, now=NOW)
            sub.secret = url
            s.add(sub)
        s.commit()
    items = [
        Item(
            feed_id="wire",
            identity=f"wire-{n}",
            guid=f"wire-{n}",
            url=f"https://wire.example/{n}",
            title=title,
            summary=body,
            content="",
            language="en",
            published=NOW - timedelta(minutes=5),
            fetched=NOW,
            content_hash=f"h{n}",
        )
        for n, (title, body) in enumerate(STORIES)
    ]
    batch = store_new_items(engine, "wire", items, first_poll=False, now=NOW, config=FeedsFile())
    assert batch.new_stories == len(STORIES), "each test story must be relevant and distinct"


@pytest.mark.slow
async def test_every_delivery_sent_exactly_once_through_chat_faults(sqlite_engine: Engine) -> None:
    clock = Clock()
    async with FakeBotAPI() as tg, FakeDiscord() as dc:
        with dc.patched():
            # Telegram chats: healthy, 429 storm, 5xx, hang, 403 in two chats only, a migrating group.
            tg.inject(
                "sendMessage",
                429,
                "Too Many Requests: retry after 30",
                chat_id=101,
                parameters={"retry_after": 30},
                times=4,
            )
            tg.inject("sendMessage", 502, "Bad Gateway", chat_id=102, times=3)
            tg.inject("sendMessage", 500, "Internal Server Error", chat_id=102, times=2)
            tg.inject("sendMessage", 0, "", chat_id=103, hang=True, times=1)
            tg.inject("sendMessage", 403, "Forbidden: bot was kicked from the group chat", chat_id=-104, times=-1)
            tg.inject("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=107, times=-1)
            tg.inject(
                "sendMessage",
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                chat_id=-105,
                parameters={"migrate_to_chat_id": MIGRATED_TO},
                times=1,
            )
            telegram = ["100", "101", "102", "103", "-104", "-105", "107"]
            working_tg = {100, 101, 102, 103, MIGRATED_TO}
            paused_tg = {"-104": "kicked", "107": "blocked"}

            hooks = {str(1600000000000000000 + n): dc.webhook_url(1600000000000000000 + n) for n in (1, 2, 3, 4)}
            dc.fail("POST", r"^/webhooks/1600000000000000002/", status=429, retry_after=45, via=False, times=4)
            dc.fail("POST", r"^/webhooks/1600000000000000003/", status=503, times=3)
            dc.fail("POST", r"^/webhooks/1600000000000000004/", status=404, code=10015, times=1)
            injected = {wid: f.times for f in dc.faults for wid in hooks if wid in f.path.pattern}
            working_dc, paused_dc = (
                {k for k in hooks if not k.endswith("4")},
                {"1600000000000000004": "Unknown Webhook"},
            )
            _setup(sqlite_engine, telegram, hooks)

            throttle = ChatThrottle(
                per_second=1000, private_per_second=1000, group_per_minute=60_000, clock=clock.monotonic
            )
            async with (
                TelegramNotifier.create(TOKEN, api_url=tg.api_url, throttle=throttle, timeout=1.0) as tn,
                DiscordWebhookNotifier(timeout=1.0) as dn,
            ):
                dispatcher = Dispatcher(
                    sqlite_engine,
                    {"telegram": tn, "discord-webhook": dn},
                    owner="hardening",
                    settings=DispatchSettings(pace=False),
                    clock=clock,
                )
                rounds = 0
                while _open_rows(sqlite_engine) and rounds < 30:
                    rounds += 1
                    await dispatcher.dispatch_once()
                    clock.now += timedelta(hours=2)  # past any backoff (capped at an hour) or retry_after
            assert _open_rows(sqlite_engine) == 0, "deliveries still pending after 30 rounds"

            # Telegram: each working chat got each story exactly once (the migrated group at its new id).
            got: dict[int, list[str]] = {}
            for message in tg._messages.values():
                got.setdefault(int(message.chat_id), []).append(message.text)
            for chat in working_tg:
                for title, _ in STORIES:
                    n = sum(title in text for text in got.get(chat, []))
                    assert n == 1, f"telegram chat {chat}: {title!r} sent {n} times"
            assert set(got) == working_tg

            # Discord: successful posts per webhook = requests - faults consumed (discord.py retries 5xx itself).
            for wid in hooks:
                posts = len(dc.sent("POST", rf"^/webhooks/{wid}/"))
                left = sum(f.times for f in dc.faults if wid in f.path.pattern)
                successes = posts - (injected.get(wid, 0) - left)
                assert successes == (len(STORIES) if wid in working_dc else 0), f"webhook {wid}: {successes}"

    with session(sqlite_engine) as s:
        by_target = {(x.platform, x.target): x for x in s.exec(select(Subscription)).all()}
        for target, reason in {**paused_tg}.items():
            sub = by_target[("telegram", target)]
            assert sub.paused and reason in (sub.paused_reason or ""), (target, sub.paused_reason)
        for target, reason in paused_dc.items():
            sub = by_target[("discord-webhook", target)]
            assert sub.paused and reason in (sub.paused_reason or ""), (target, sub.paused_reason)
            assert "s3cr3t" not in (sub.paused_reason or "")  # the webhook token never lands in a reason
        assert ("telegram", str(MIGRATED_TO)) in by_target and ("telegram", "-105") not in by_target
        working = [x for x in by_target.values() if not x.paused]
        assert len(working) == len(working_tg) + len(working_dc)
        sent = s.exec(select(Delivery).where(Delivery.status == "sent")).all()
        assert len(sent) == len(STORIES) * len(working)
        assert len({(d.subscription_id, d.key) for d in sent}) == len(sent)

    faults = sum(1 for _ in tg.faults) + len(injected)
    record("chat faults", "fault scripts (telegram + discord)", faults)
    record("chat faults", "deliveries sent exactly once", len(sent))
    record("chat faults", "subscriptions paused with reason", len(paused_tg) + len(paused_dc))
    record("chat faults", "dispatch rounds (fake clock, +2 h each)", rounds)


def _open_rows(engine: Engine) -> int:
    with session(engine) as s:
        rows = s.exec(select(Delivery).where(col(Delivery.status).in_(("pending", "sending")))).all()
        return len(rows)
