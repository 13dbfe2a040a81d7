"""The outbox and dispatcher on a real SQLite file (and PostgreSQL), with a recording notifier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.config import FeedsFile
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.deliver.model import AlertView, PermanentFailure, Reply, RetryLater, TargetMoved
from bot.normalize import Item
from storage import subscriptions as subs
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from storage.tables import Delivery, Subscription
from tests.fakes.store import store_new_items

NOW = datetime.now(UTC).replace(microsecond=0)


class Recorder:
    """A notifier that records what it was asked to send and can be told to fail."""

    platform = "test"

    def __init__(self) -> None:
        self.sent: list[tuple[str, AlertView]] = []
        self.edits: list[tuple[str, str, AlertView]] = []
        self.fail: dict[str, Exception] = {}

    async def send_alert(self, target: str, alert: AlertView, *, language: str, timezone: str) -> str:
        if target in self.fail:
            raise self.fail.pop(target)
        self.sent.append((target, alert))
        return f"m{len(self.sent)}"

    async def edit_alert(self, target: str, message_id: str, alert: AlertView, *, language: str, timezone: str) -> None:
        self.edits.append((target, message_id, alert))

    async def send_reply(self, target: str, reply: Reply) -> str:
        return "r"


def item(feed: str, n: int, title: str, body: str, lang: str = "en", minutes: int = 10) -> Item:
    return Item(
        feed_id=feed,
        identity=f"{feed}-{n}",
        guid=f"{feed}-{n}",
        url=f"https://{feed}.example/{n}",
        title=title,
        summary=body,
        content="",
        language=lang,
        published=NOW - timedelta(minutes=minutes),
        fetched=NOW,
        content_hash=f"{feed}{n}{title}",
    )


def setup(engine: Engine, *targets: tuple[str, str]) -> None:
    with session(engine) as s:
        sync_feeds(s, [FeedSpec(f, f"https://{f}.example/rss", "en") for f in ("a", "b")])
        for target, topics in targets:
            sub = subs.get_or_create(s, "test", target, now=NOW)
            sub.topics = topics
            s.add(sub)
        s.commit()


HBM = (
    "SK Hynix to double HBM output for Nvidia",
    "High-bandwidth memory capacity will double next year, "
    "the memory maker said, as demand for AI accelerators keeps rising across the industry.",
)
RARE = (
    "China adds gallium and germanium export licences",
    "Beijing's commerce ministry said exporters of "
    "gallium and germanium will need licences from next month under new export controls.",
)


def ingest(engine: Engine, feed: str, *items: Item) -> None:
    store_new_items(engine, feed, list(items), first_poll=False, now=NOW, config=FeedsFile())


async def test_outbox_routes_by_topic_and_sends_once(engine: Engine) -> None:
    setup(engine, ("chat-hbm", "hbm"), ("chat-all", ""), ("chat-rare", "rare-earths"))
    ingest(engine, "a", item("a", 1, *HBM), item("a", 2, *RARE))
    rec = Recorder()
    d = Dispatcher(engine, {"test": rec}, owner="w1", settings=DispatchSettings(pace=False))
    assert await d.dispatch_once() == 4
    got = sorted((t, a.title) for t, a in rec.sent)
    assert got == sorted([("chat-hbm", HBM[0]), ("chat-all", HBM[0]), ("chat-all", RARE[0]), ("chat-rare", RARE[0])])
    assert await d.dispatch_once() == 0, "nothing is sent twice"
    ingest(engine, "a", item("a", 1, *HBM))  # the same item again: no new delivery
    assert await d.dispatch_once() == 0


async def test_a_story_that_grows_edits_the_sent_message(engine: Engine) -> None:
    setup(engine, ("chat", "hbm"))
    ingest(engine, "a", item("a", 1, *HBM))
    rec = Recorder()
    d = Dispatcher(engine, {"test": rec}, owner="w1", settings=DispatchSettings(pace=False))
    await d.dispatch_once()
    ingest(engine, "b", item("b", 7, HBM[0] + " - report", HBM[1], minutes=5))  # a copy from another outlet
    assert await d.dispatch_once() == 1
    assert len(rec.sent) == 1 and len(rec.edits) == 1
    target, message_id, view = rec.edits[0]
    assert (target, message_id) == ("chat", "m1") and len(view.also_reported_by) == 1


async def test_retry_after_is_honoured_and_permanent_failure_pauses(engine: Engine) -> None:
    setup(engine, ("slow", "hbm"), ("gone", "hbm"))
    ingest(engine, "a", item("a", 1, *HBM))
    rec = Recorder()
    rec.fail = {
        "slow": RetryLater("429 Too Many Requests", retry_after=120),
        "gone": PermanentFailure("bot was blocked"),
    }
    # The dispatcher's clock is the test's (NOW is taken at import: a slow suite reaches this test minutes later)
    d = Dispatcher(engine, {"test": rec}, owner="w1", settings=DispatchSettings(pace=False), clock=lambda: NOW)
    await d.dispatch_once()
    with session(engine) as s:
        rows = {s.get(Subscription, r.subscription_id).target: r for r in s.exec(select(Delivery)).all()}  # type: ignore[union-attr]
        assert rows["slow"].status == "pending" and rows["slow"].next_attempt >= NOW + timedelta(seconds=119)
        assert rows["gone"].status == "failed"
        gone = subs.get_subscription(s, "test", "gone")
        assert gone is not None and gone.paused and gone.paused_reason == "bot was blocked"
    assert await d.dispatch_once() == 0, "not due yet"
    d.clock = lambda: NOW + timedelta(seconds=200)
    assert await d.dispatch_once() == 1
    assert [t for t, _ in rec.sent] == ["slow"]


async def test_migrated_chat_moves_the_subscription(engine: Engine) -> None:
    setup(engine, ("-100", "hbm"))
    ingest(engine, "a", item("a", 1, *HBM))
    rec = Recorder()
    rec.fail = {"-100": TargetMoved("group upgraded", "-1009999")}
    d = Dispatcher(engine, {"test": rec}, owner="w1", settings=DispatchSettings(pace=False))
    await d.dispatch_once()
    await d.dispatch_once()
    assert [t for t, _ in rec.sent] == ["-1009999"]


async def test_a_dead_workers_lease_expires_and_the_row_is_sent(engine: Engine) -> None:
    setup(engine, ("chat", "hbm"))
    ingest(engine, "a", item("a", 1, *HBM))
    dead = Dispatcher(
        engine, {"test": Recorder()}, owner="dead", settings=DispatchSettings(lease=30), clock=lambda: NOW
    )
    [claimed] = dead.outbox.claim()
    assert dead.outbox.mark_sending(claimed)  # the request left, then the worker "died" before recording the answer
    rec = Recorder()
    live = Dispatcher(engine, {"test": rec}, owner="live", settings=DispatchSettings(pace=False), clock=lambda: NOW)
    assert await live.dispatch_once() == 0, "the lease still holds"
    live.clock = lambda: NOW + timedelta(seconds=31)
    assert await live.dispatch_once() == 1
    with session(engine) as s:
        [row] = s.exec(select(Delivery)).all()
        assert row.status == "sent" and row.resent_after_crash


@pytest.mark.parametrize(
    ("lang_filter", "mute", "watch", "expect"),
    [
        ("ar", "[]", "[]", False),  # only Arabic items wanted
        ("ar en", '["Hynix"]', "[]", False),  # muted term
        ("ar en", "[]", '["SK Hynix"]', True),  # a watch term reaches beyond the topics
    ],
)
async def test_language_filter_and_terms(engine: Engine, lang_filter: str, mute: str, watch: str, expect: bool) -> None:
    setup(engine, ("chat", "rare-earths"))
    with session(engine) as s:
        sub = subs.get_subscription(s, "test", "chat")
        assert sub is not None
        sub.languages, sub.mute_terms, sub.watch_terms = lang_filter, mute, watch
        if mute != "[]":
            sub.topics = "hbm"
        s.add(sub)
        s.commit()
    ingest(engine, "a", item("a", 1, *HBM))
    rec = Recorder()
    await Dispatcher(engine, {"test": rec}, owner="w", settings=DispatchSettings(pace=False)).dispatch_once()
    assert bool(rec.sent) is expect


async def test_a_row_claimed_but_never_sent_goes_back_unflagged(engine: Engine) -> None:
    setup(engine, ("chat", "hbm"))
    ingest(engine, "a", item("a", 1, *HBM))
    dead = Dispatcher(
        engine, {"test": Recorder()}, owner="dead", settings=DispatchSettings(lease=30), clock=lambda: NOW
    )
    assert len(dead.outbox.claim()) == 1  # claimed, then the worker died before its request left
    rec = Recorder()
    live = Dispatcher(engine, {"test": rec}, owner="live", settings=DispatchSettings(pace=False), clock=lambda: NOW)
    live.clock = lambda: NOW + timedelta(seconds=31)
    assert await live.dispatch_once() == 1
    with session(engine) as s:
        [row] = s.exec(select(Delivery)).all()
        assert row.status == "sent" and not row.resent_after_crash


async def test_a_slow_worker_does_not_send_a_row_another_worker_took_over(engine: Engine) -> None:
    setup(engine, ("chat", "hbm"))
    ingest(engine, "a", item("a", 1, *HBM))
    slow = Dispatcher(
        engine, {"test": Recorder()}, owner="slow", settings=DispatchSettings(lease=30), clock=lambda: NOW
    )
    [mine] = slow.outbox.claim()
    rec = Recorder()
    other = Dispatcher(engine, {"test": rec}, owner="other", settings=DispatchSettings(pace=False), clock=lambda: NOW)
    other.clock = lambda: NOW + timedelta(seconds=31)  # the slow worker's lease ran out while it waited
    assert await other.dispatch_once() == 1
    assert not slow.outbox.mark_sending(mine), "the row is no longer ours: no second send"
    assert len(rec.sent) == 1


async def test_a_clock_that_jumps_back_does_not_hold_the_outbox(engine: Engine) -> None:
    setup(engine, ("chat", "hbm"))
    ingest(engine, "a", item("a", 1, *HBM))  # written with next_attempt = NOW
    rec = Recorder()
    back = Dispatcher(
        engine,
        {"test": rec},
        owner="w",
        settings=DispatchSettings(pace=False),
        clock=lambda: NOW - timedelta(hours=3),  # the wall clock went back three hours
    )
    assert await back.dispatch_once() == 1, "a never-tried row is due whatever the clock says"
    assert len(rec.sent) == 1
