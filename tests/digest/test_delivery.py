"""Scheduled digests through the outbox: once per period, rebuilt at send time with the chart, retried on
failure; and delivered for real to the fake Telegram Bot API and the fake Discord webhook."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.adapters.discord.webhook import DiscordWebhookNotifier
from bot.adapters.telegram.notifier import ChatThrottle, TelegramNotifier
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.deliver.model import AlertView, Reply, RetryLater
from bot.digest.deliver import PAYLOADS, digest_reply
from bot.digest.schedule import catch_up, enqueue_digest
from storage.db import session
from storage.tables import Delivery, Subscription
from tests.digest.conftest import UNTIL, Week
from tests.digest.seed import get_sub, subscription
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import TOKEN, FakeBotAPI

FAST = DispatchSettings(pace=False)
RUN_AT = UNTIL + timedelta(seconds=2)  # the Monday 08:00 UTC job


class Recorder:
    """A Notifier that records replies and can fail the first ``fail`` sends."""

    platform = "telegram"

    def __init__(self, fail: int = 0) -> None:
        self.replies: list[Reply] = []
        self.fail = fail

    async def send_alert(self, target: str, alert: AlertView, *, language: str, timezone: str) -> str:
        raise AssertionError("no alerts here")

    async def edit_alert(self, target: str, message_id: str, alert: AlertView, *, language: str, timezone: str) -> None:
        raise AssertionError("no alerts here")

    async def send_reply(self, target: str, reply: Reply) -> str:
        if self.fail:
            self.fail -= 1
            raise RetryLater("network down")
        self.replies.append(reply)
        return str(len(self.replies))


def rows(week: Week) -> list[Delivery]:
    with session(week.engine) as s:
        return list(s.exec(select(Delivery)).all())


def test_enqueued_once_per_period_with_its_period_in_the_payload(week: Week) -> None:
    sub_id = subscription(week.engine, digest="weekly", day=0, hour=8)
    assert enqueue_digest(week.engine, sub_id, RUN_AT) is True
    assert enqueue_digest(week.engine, sub_id, RUN_AT + timedelta(minutes=30)) is False  # same slot
    assert catch_up(week.engine, RUN_AT + timedelta(hours=1)) == 0  # already queued
    [row] = rows(week)
    payload = json.loads(row.payload or "{}")
    assert row.kind == "digest" and row.key == "digest:weekly:2025-03-10"
    assert (payload["since"], payload["until"]) == ("2025-03-03T08:00:00+00:00", "2025-03-10T08:00:00+00:00")
    assert payload["text"].startswith("Raqib weekly digest · 2025-03-03 – 2025-03-10")
    # Next week is another period.
    assert enqueue_digest(week.engine, sub_id, RUN_AT + timedelta(days=7)) is True


def test_catch_up_queues_a_missed_slot(week: Week) -> None:
    sub_id = subscription(week.engine, digest="daily", hour=8)
    subscription(week.engine, digest="off", target="99")
    assert catch_up(week.engine, RUN_AT + timedelta(hours=3)) == 1
    [row] = rows(week)
    assert row.subscription_id == sub_id and row.key == "digest:daily:2025-03-10"


async def test_dispatcher_rebuilds_the_digest_with_chart_and_retries(week: Week) -> None:
    sub_id = subscription(week.engine, language="ar")
    enqueue_digest(week.engine, sub_id, RUN_AT)
    clock = {"now": RUN_AT}
    notifier = Recorder(fail=1)
    dispatcher = Dispatcher(
        week.engine, {"telegram": notifier}, owner="t", settings=FAST, clock=lambda: clock["now"], payloads=PAYLOADS
    )
    assert await dispatcher.dispatch_once() == 1
    [row] = rows(week)
    assert row.status == "pending" and row.attempts == 1 and notifier.replies == []
    clock["now"] = RUN_AT + timedelta(hours=1)
    assert await dispatcher.dispatch_once() == 1
    [reply] = notifier.replies
    assert reply.image is not None and reply.image.startswith(b"\x89PNG")
    assert reply.text.startswith("موجز رقيب الأسبوعي") and reply.language == "ar"
    assert reply.caption and len(reply.caption) < 300
    assert rows(week)[0].status == "sent"
    assert await dispatcher.dispatch_once() == 0  # never twice


async def test_legacy_text_payload_still_sends(week: Week) -> None:
    sub_id = subscription(week.engine)
    with session(week.engine) as s:
        s.add(
            Delivery(
                subscription_id=sub_id,
                key="digest:old",
                kind="digest",
                next_attempt=UNTIL,
                created_at=UNTIL,
                payload=json.dumps({"text": "old digest"}),
            )
        )
        s.commit()
    notifier = Recorder()
    old = Dispatcher(
        week.engine, {"telegram": notifier}, owner="t", settings=FAST, clock=lambda: UNTIL, payloads=PAYLOADS
    )
    await old.dispatch_once()
    assert [r.text for r in notifier.replies] == ["old digest"] and notifier.replies[0].image is None


def test_slash_digest_is_this_chats_digest_now(week: Week) -> None:
    sub = get_sub(week.engine, subscription(week.engine, topics="huawei-smic"))
    with session(week.engine) as s:
        reply = digest_reply(s, sub, UNTIL)
        empty = digest_reply(s, sub, UNTIL + timedelta(days=60))
    assert "هواوي تكشف" in reply.text and "Entity List" not in reply.text and reply.image
    assert "\n" not in empty.text and empty.image is None


# ---- the platforms' test harnesses --------------------------------------------------------------------


@pytest.fixture
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def telegram(_ptb_timedelta: None) -> AsyncIterator[tuple[FakeBotAPI, TelegramNotifier]]:
    throttle = ChatThrottle(per_second=1000, private_per_second=1000, group_per_minute=60_000)
    async with (
        FakeBotAPI() as fake,
        TelegramNotifier.create(TOKEN, api_url=fake.api_url, throttle=throttle, timeout=5.0) as n,
    ):
        yield fake, n


async def test_weekly_digest_arrives_on_telegram(week: Week, telegram: tuple[FakeBotAPI, TelegramNotifier]) -> None:
    fake, notifier = telegram
    sub_id = subscription(week.engine, target="42")
    enqueue_digest(week.engine, sub_id, RUN_AT)
    await Dispatcher(
        week.engine, {"telegram": notifier}, owner="t", settings=FAST, clock=lambda: RUN_AT, payloads=PAYLOADS
    ).dispatch_once()
    [photo] = fake.calls_to("sendPhoto")
    assert photo.params["photo"]["size"] > 10_000
    texts = [c.params["text"] for c in fake.calls_to("sendMessage")]
    body = "\n".join(texts) + str(photo.params.get("caption", ""))
    assert "US adds 12 Chinese chip firms to the Entity List" in body and "Raqib weekly digest" in body
    assert rows(week)[0].status == "sent"


async def test_weekly_digest_arrives_on_a_discord_webhook(week: Week) -> None:
    async with FakeDiscord() as fake:
        with fake.patched():
            url = fake.webhook_url()
            sub_id = subscription(week.engine, platform="discord-webhook", target="1600000000000000001")
            with session(week.engine) as s:
                sub = s.get(Subscription, sub_id)
                assert sub is not None
                sub.secret = url
                s.add(sub)
                s.commit()
            enqueue_digest(week.engine, sub_id, RUN_AT)
            async with DiscordWebhookNotifier() as notifier:
                dispatcher = Dispatcher(
                    week.engine,
                    {"discord-webhook": notifier},
                    owner="t",
                    settings=FAST,
                    clock=lambda: RUN_AT,
                    payloads=PAYLOADS,
                )
                await dispatcher.dispatch_once()
            posts = fake.sent("POST", r"^/webhooks/")
    assert posts and all(len((p.body or {}).get("content") or "") <= 2000 for p in posts)
    assert posts[-1].form.get("files[0]", b"").startswith(b"\x89PNG")
    assert "Raqib weekly digest" in (posts[0].body or {}).get("content", "")
    assert rows(week)[0].status == "sent"
