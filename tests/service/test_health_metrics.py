"""Issue 15 items 18 and 19: every declared metric is fed, and /healthz says when the service is degraded.

Both through the real endpoint on 127.0.0.1 (scraped over HTTP), with a real SQLite database, the real
dispatcher and the real Telegram notifier sending to the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot import metrics
from bot.adapters.telegram.notifier import ChatThrottle, TelegramNotifier
from bot.app import build_service
from bot.config import Env, FeedConfig, FeedsFile
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.normalize import Item
from bot.pipeline import FeedResult
from bot.service.lifecycle import Service
from storage import subscriptions as subs
from storage.db import make_engine, session
from storage.feeds import FeedSpec, sync_feeds
from storage.tables import Delivery, Feed
from tests.fakes.store import feed_item, store_new_items
from tests.fakes.telegram_api import TOKEN, FakeBotAPI

NOW = datetime.now(UTC).replace(microsecond=0)
HBM = (
    "SK Hynix to double HBM output for Nvidia",
    "High-bandwidth memory capacity will double next year, the memory maker said, as demand for AI "
    "accelerators keeps rising across the industry.",
)
RARE = (
    "China adds gallium and germanium export licences",
    "Beijing's commerce ministry said exporters of gallium and germanium will need licences from next month "
    "under new export controls.",
)


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def _item(n: int, title: str, body: str) -> Item:
    return feed_item("a", n, title, body, published=NOW - timedelta(minutes=10), fetched=NOW)


def _config() -> FeedsFile:
    return FeedsFile(
        feeds=(
            FeedConfig(id="a", url="https://a.example/rss", language="en"),
            FeedConfig(id="b", url="https://b.example/rss", language="en"),
        )
    )


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


async def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, body = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


async def _health(port: int) -> tuple[int, dict[str, object]]:
    status, body = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/healthz")
    return status, json.loads(body)


@pytest.fixture
async def service(sqlite_engine: Engine) -> AsyncIterator[tuple[Service, int]]:
    """A service's health and metrics endpoint on a free loopback port, its scheduler running (no jobs)."""
    svc = build_service(_config(), Env(_env_file=None), config_path=None, engine=sqlite_engine)
    with session(sqlite_engine) as s:
        sync_feeds(s, [FeedSpec(f.id, f.url, f.language) for f in svc.config.feeds])
    svc.scheduler.start(paused=True)
    runner = await metrics.serve(0, svc.health)
    try:
        yield svc, runner.addresses[0][1]
    finally:
        await runner.cleanup()
        svc.scheduler.shutdown(wait=False)


def _v(m: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return m.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_a_delivery_and_a_poll_feed_every_declared_metric(
    service: tuple[Service, int], sqlite_engine: Engine
) -> None:
    svc, port = service
    with session(sqlite_engine) as s:
        sub = subs.get_or_create(s, "telegram", "4242", now=NOW)
        sub.topics = ""
        s.add(sub)
        s.commit()
    store_new_items(
        sqlite_engine, "a", [_item(1, *HBM), _item(2, *RARE)], first_poll=False, now=NOW, config=FeedsFile()
    )
    with session(sqlite_engine) as s:
        created = {d.created_at for d in s.exec(select(Delivery)).all()}
    assert len(created) == 1, "both rows were written in one transaction"
    sent_at = created.pop() + timedelta(seconds=42)  # the dispatcher's clock: each row waited exactly 42 s

    before = await _scrape(port)
    assert _v(before, "raqib_deliveries_pending") == 2, "a scrape reads the outbox"
    throttle = ChatThrottle(per_second=1000, private_per_second=1000, group_per_minute=60_000)
    async with FakeBotAPI() as fake:
        async with TelegramNotifier.create(TOKEN, api_url=fake.api_url, throttle=throttle, timeout=2.0) as tg:
            d = Dispatcher(
                sqlite_engine,
                {"telegram": tg},
                owner="w1",
                settings=DispatchSettings(pace=False),
                clock=lambda: sent_at,
            )
            assert await d.dispatch_once() == 2
        assert [str(c.chat_id) for c in fake.calls_to("sendMessage")] == ["4242", "4242"]

    # A poll through the service's own handler: 3 new items, 1 of them relevant, 1 new story.
    class _Pipeline:
        async def refresh_feed(self, feed_id: str) -> FeedResult:
            return FeedResult(feed_id, "new", new=3, relevant=1, new_stories=1)

    svc.jobs.pipeline = _Pipeline()  # type: ignore[assignment]
    await svc.jobs.poll("a")

    after = await _scrape(port)

    def delta(name: str, **labels: str) -> float:
        return _v(after, name, **labels) - _v(before, name, **labels)

    assert delta("raqib_deliveries_total", outcome="sent") == 2
    assert delta("raqib_dispatch_latency_seconds_count") == 2
    assert delta("raqib_dispatch_latency_seconds_sum") == pytest.approx(84)
    assert delta("raqib_dispatch_latency_seconds_bucket", le="30.0") == 0
    assert delta("raqib_dispatch_latency_seconds_bucket", le="60.0") == 2
    assert delta("raqib_matches_total", relevant="true") == 1
    assert delta("raqib_matches_total", relevant="false") == 2
    assert delta("raqib_items_new_total") == 3
    assert delta("raqib_stories_new_total") == 1
    assert delta("raqib_feeds_polled_total", status="new") == 1
    assert delta("raqib_poll_duration_seconds_count") == 1
    assert _v(after, "raqib_deliveries_pending") == 0

    # Every metric the module declares appears in the scrape with a sample this test caused.
    declared = {c._name for c in metrics.REGISTRY._collector_to_names}  # type: ignore[attr-defined]
    fed = {name for (name, _), value in after.items() if value != before.get((name, _), 0.0)}
    for name in declared:
        assert any(f == name or f.startswith(name + "_") for f in fed), f"{name} never fed"


async def test_healthz_degrades_when_every_feed_fails_and_recovers(
    service: tuple[Service, int], sqlite_engine: Engine
) -> None:
    _svc, port = service
    status, report = await _health(port)
    assert status == 200 and report["ok"] and report["reasons"] == []

    with session(sqlite_engine) as s:
        feeds = list(s.exec(select(Feed)).all())
        feeds[0].consecutive_failures = 4
        s.add(feeds[0])
        s.commit()
    status, report = await _health(port)
    assert status == 200, "one failing feed of two is not a degraded service"

    with session(sqlite_engine) as s:
        for f in s.exec(select(Feed)).all():
            f.consecutive_failures = 4
            s.add(f)
        s.commit()
    status, report = await _health(port)
    assert status == 503 and not report["ok"]
    assert report["reasons"] == ["every feed is failing (2 of 2)"]

    # One of them disabled by the service after its failures is still a failing feed; one disabled in the
    # configuration is not counted, and the other one working again makes the service healthy.
    with session(sqlite_engine) as s:
        a, b = sorted(s.exec(select(Feed)).all(), key=lambda f: f.id)
        a.enabled, a.disabled_reason = False, "4 consecutive failures; last: HTTP 500"
        s.add(a)
        s.commit()
    assert (await _health(port))[1]["reasons"] == ["every feed is failing (2 of 2)"]
    with session(sqlite_engine) as s:
        a, b = sorted(s.exec(select(Feed)).all(), key=lambda f: f.id)
        a.disabled_reason = "disabled in the configuration"
        b.consecutive_failures = 0
        s.add(a)
        s.add(b)
        s.commit()
    status, report = await _health(port)
    assert status == 200 and report["reasons"] == []


async def test_healthz_degrades_when_the_dispatcher_makes_no_progress(
    service: tuple[Service, int], sqlite_engine: Engine
) -> None:
    svc, port = service
    with session(sqlite_engine) as s:
        sub = subs.get_or_create(s, "telegram", "7", now=NOW)
        assert sub.id is not None
        subs.enqueue(s, [sub.id], story_id=None, key="notice:1", kind="notice", now=NOW, payload='{"text": "hi"}')
        s.commit()
        row = s.exec(select(Delivery)).one()
        row.next_attempt = datetime.now(UTC) - timedelta(minutes=20)
        s.add(row)
        s.commit()

    svc.dispatcher = Dispatcher(sqlite_engine, {}, owner="w1")  # running, but it never cycled
    status, report = await _health(port)
    assert status == 503
    [reason] = report["reasons"]  # type: ignore[misc]
    assert reason.startswith("dispatcher stalled: a delivery has been due for ")

    svc.dispatcher.last_cycle = datetime.now(UTC) - timedelta(minutes=30)  # it stopped long ago
    assert (await _health(port))[0] == 503
    svc.dispatcher.last_cycle = datetime.now(UTC)  # it cycles (the row may wait on a platform's pacing)
    assert (await _health(port))[0] == 200

    svc.dispatcher = None  # a worker without a dispatcher does not judge one
    assert (await _health(port))[0] == 200


async def test_healthz_degrades_when_the_database_is_unreachable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'raqib.db'}")
    svc = build_service(_config(), Env(_env_file=None), config_path=None, engine=engine)
    svc.scheduler.start(paused=True)
    runner = await metrics.serve(0, svc.health)
    try:
        status, report = await _health(runner.addresses[0][1])
    finally:
        await runner.cleanup()
        svc.scheduler.shutdown(wait=False)
        engine.dispose()
    assert status == 503 and report["database"] is False
    assert report["reasons"] == ["database unreachable"]
