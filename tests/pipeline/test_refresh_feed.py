"""refresh_feed() end to end against real HTTP servers on 127.0.0.1 and a real SQLite file.

The classifier here is a transparent keyword rule so these tests pin down the pipeline's own rules
(first poll quiet, age limit, corrections, failures); the real matcher is exercised by tests/match and
the demo test.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot import pipeline as pipeline_module
from bot.analyze import story_features
from bot.config import parse_config
from bot.demo.server import Document, FeedServer
from bot.fetch import Fetcher
from bot.ingest.job import StoredBatch, StoreJob
from bot.ingest.store import store_jobs
from bot.pipeline import Alertable, Pipeline
from storage import subscriptions as subs
from storage.db import session
from storage.feeds import FeedSpec, get_feed, sync_feeds
from storage.queries import count_items, recent_items
from storage.tables import Delivery

NOW = datetime.now(UTC).replace(microsecond=0)


def keyword_classifier(title: str, text: str, lang: str | None) -> SimpleNamespace:
    hit = "chip" in title.lower()
    return SimpleNamespace(
        relevant=hit,
        score=0.9 if hit else 0.0,
        severity="high" if hit else None,
        topics=("ai-chips",) if hit else (),
        entities=(),
        reasons=("'chip' in title",) if hit else (),
        evidence=5.0 if hit else 0.0,
    )


def rss(*items: tuple[str, str, datetime]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>https://news.example/{g}</link><guid>{g}</guid>"
        f"<pubDate>{format_datetime(d)}</pubDate></item>"
        for g, t, d in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed</title>{body}</channel></rss>'
    ).encode()


def doc(body: bytes, status: int = 200) -> Callable[[], Document]:
    return lambda: (status, {"Content-Type": "application/rss+xml"}, body)


class Harness:
    def __init__(self, engine: Engine, server: FeedServer, feeds: dict[str, str], fetcher: Fetcher) -> None:
        lines = ["settings: {allow_private_addresses: true, retries: 0}", "feeds:"]
        lines += [f"  - {{id: {fid}, url: '{server.base_url}{path}', language: en}}" for fid, path in feeds.items()]
        self.config = parse_config("\n".join(lines))
        with session(engine) as s:
            sync_feeds(s, [FeedSpec(f.id, f.url, f.language) for f in self.config.feeds])
        self.alerts: list[Alertable] = []

        async def collect(alerts: object) -> None:
            self.alerts.extend(alerts)  # type: ignore[arg-type]

        self.pipeline = Pipeline(
            engine=engine, fetcher=fetcher, config=self.config, on_alerts=collect, classifier=keyword_classifier
        )


@pytest.fixture
async def fetcher():  # type: ignore[no-untyped-def]
    from bot.app import fetch_settings
    from bot.config import Env, FeedsFile

    cfg = FeedsFile.model_validate({"settings": {"allow_private_addresses": True, "retries": 0}})
    async with Fetcher(fetch_settings(cfg, Env())) as f:
        yield f


async def test_first_poll_is_quiet_then_news_alerts_once(sqlite_engine: Engine, fetcher: Fetcher) -> None:
    old = ("old-1", "Backlog chip story about memory", NOW - timedelta(hours=3))
    fresh = ("new-1", "Nvidia cleared to ship chips", NOW - timedelta(minutes=5))
    stale = ("new-2", "Chip story from last month", NOW - timedelta(days=30))
    trap = ("new-3", "Potato crisp prices rise", NOW - timedelta(minutes=4))
    with FeedServer({"/a.xml": doc(rss(old))}) as server:
        h = Harness(sqlite_engine, server, {"a": "/a.xml"}, fetcher)
        [r1] = await h.pipeline.poll_once()
        assert (r1.status, r1.new, r1.relevant) == ("new", 1, 1)
        assert h.alerts == [], "a feed's first poll stores its backlog without alerting"

        server.routes["/a.xml"] = doc(rss(old, fresh, stale, trap))
        [r2] = await h.pipeline.poll_once()
        assert (r2.status, r2.new) == ("new", 3)
        assert [a.item.title for a in h.alerts] == ["Nvidia cleared to ship chips"], "old news is stored, not alerted"

        [r3] = await h.pipeline.poll_once()
        assert r3.status == "not_modified", "an unchanged feed answers 304 and costs no parse"
        assert server.requests[-1][1].get("if-none-match")
        assert len(h.alerts) == 1
    with session(sqlite_engine) as s:
        assert count_items(s, "a") == 4


async def test_correction_of_an_alerted_item_edits_its_story_without_a_new_alert(
    engine: Engine, fetcher: Fetcher
) -> None:
    with FeedServer({"/a.xml": doc(rss(("g0", "Old news", NOW)))}) as server:
        h = Harness(engine, server, {"a": "/a.xml"}, fetcher)
        await h.pipeline.poll_once()  # the quiet first poll
        server.routes["/a.xml"] = doc(rss(("g0", "Old news", NOW), ("g1", "Chip licence granted", NOW)))
        await h.pipeline.poll_once()
        assert [a.item.title for a in h.alerts] == ["Chip licence granted"]
        server.routes["/a.xml"] = doc(rss(("g0", "Old news", NOW), ("g1", "Chip licence granted, corrected", NOW)))
        [r] = await h.pipeline.poll_once()
        assert (r.new, r.updated) == (0, 1)
        assert len(h.alerts) == 1, "a correction never alerts a second time"
    with session(engine) as s:
        item = next(i for i in recent_items(s, feed_id="a") if i.title.startswith("Chip"))
        assert item.title == "Chip licence granted, corrected" and item.updated_at is not None


async def test_a_placeholder_corrected_into_a_relevant_item_alerts_once_as_a_new_story(
    engine: Engine, fetcher: Fetcher
) -> None:
    """Issue 13, item 10: a headline updated in place that becomes relevant is alerted, once."""
    with session(engine) as s:
        subs.get_or_create(s, "console", "stdout", now=NOW)
        s.commit()
    with FeedServer({"/a.xml": doc(rss(("g0", "Old news", NOW)))}) as server:
        h = Harness(engine, server, {"a": "/a.xml"}, fetcher)
        await h.pipeline.poll_once()  # the quiet first poll
        server.routes["/a.xml"] = doc(rss(("g0", "Old news", NOW), ("g1", "Breaking: developing story", NOW)))
        [r1] = await h.pipeline.poll_once()
        assert (r1.new, r1.relevant) == (1, 0) and h.alerts == []
        server.routes["/a.xml"] = doc(rss(("g0", "Old news", NOW), ("g1", "Chip export licences revoked", NOW)))
        [r2] = await h.pipeline.poll_once()
        assert (r2.new, r2.updated, r2.relevant, r2.new_stories) == (0, 1, 1, 1)
        assert [a.item.title for a in h.alerts] == ["Chip export licences revoked"]
        server.routes["/a.xml"] = doc(rss(("g0", "Old news", NOW), ("g1", "Chip export licences revoked (2)", NOW)))
        [r3] = await h.pipeline.poll_once()
        assert r3.updated == 1 and len(h.alerts) == 1, "alerted once: a further correction only edits the story"
    with session(engine) as s:
        rows = s.exec(select(Delivery)).all()
        assert [(d.key, d.kind) for d in rows] == [(f"story:{h.alerts[0].story_id}", "alert")], "one alert queued"


async def test_an_old_item_corrected_into_a_relevant_one_stays_quiet(engine: Engine, fetcher: Fetcher) -> None:
    month_ago = NOW - timedelta(days=30)
    with FeedServer({"/a.xml": doc(rss(("g0", "Old news", NOW)))}) as server:
        h = Harness(engine, server, {"a": "/a.xml"}, fetcher)
        await h.pipeline.poll_once()
        server.routes["/a.xml"] = doc(rss(("g1", "Placeholder", month_ago)))
        await h.pipeline.poll_once()
        server.routes["/a.xml"] = doc(rss(("g1", "Chip ban lifted", month_ago)))
        [r] = await h.pipeline.poll_once()
        assert (r.updated, r.relevant) == (1, 1)
        assert h.alerts == [], "old news stays quiet, corrected or not"


async def test_one_broken_feed_never_stops_the_others(sqlite_engine: Engine, fetcher: Fetcher) -> None:
    routes = {
        "/ok.xml": doc(rss(("x", "Fine", NOW))),
        "/gone.xml": doc(b"gone", 410),
        "/html.xml": lambda: (200, {"Content-Type": "text/html"}, b"<html><body>Not a feed</body></html>"),
    }
    with FeedServer(routes) as server:
        h = Harness(
            sqlite_engine,
            server,
            {"ok": "/ok.xml", "gone": "/gone.xml", "html": "/html.xml", "missing": "/nothing-here.xml"},
            fetcher,
        )
        results = {r.feed_id: r for r in await h.pipeline.poll_once()}
    assert results["ok"].status == "new"
    assert (results["gone"].status, results["gone"].error_code) == ("failed", "http_410")
    assert (results["missing"].status, results["missing"].error_code) == ("failed", "http_404")
    assert (results["html"].status, results["html"].error_code) == ("failed", "not_a_feed")
    with session(sqlite_engine) as s:
        gone = get_feed(s, "gone")
        assert gone is not None and gone.consecutive_failures == 1 and gone.last_error_code == "http_410"
        assert gone.next_poll is not None and gone.next_poll > gone.last_attempt  # backed off
        ok = get_feed(s, "ok")
        assert ok is not None and ok.last_success is not None and ok.consecutive_failures == 0


async def test_permanent_redirect_updates_the_stored_url(sqlite_engine: Engine, fetcher: Fetcher) -> None:
    with FeedServer({"/new.xml": doc(rss(("m", "Moved", NOW)))}) as server:
        server.routes["/old.xml"] = lambda: (301, {"Location": f"{server.base_url}/new.xml"}, b"")
        h = Harness(sqlite_engine, server, {"m": "/old.xml"}, fetcher)
        [r] = await h.pipeline.poll_once()
        assert r.status == "new"
        with session(sqlite_engine) as s:
            feed = get_feed(s, "m")
            assert feed is not None and feed.url == f"{server.base_url}/new.xml"


async def test_second_look_reads_thin_items_with_some_evidence_only(
    sqlite_engine: Engine, fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A title-only item naming a watched company is read once more from its page; one with no evidence is not.
    The page's text is analysed as a feed's is: the writer gets its story features with its verdict."""
    jobs: list[StoreJob] = []

    def spy(engine: Engine, batch: list[StoreJob], **options: Any) -> list[StoredBatch | Exception]:
        jobs.extend(batch)
        return store_jobs(engine, batch, **options)

    monkeypatch.setattr(pipeline_module, "store_jobs", spy)
    article = (
        b"<html><body><article><h1>Huawei unveils plan</h1><p>Huawei said its new Ascend AI chips will be made "
        b"by SMIC despite US export controls on advanced chipmaking equipment, according to the company.</p>"
        b"<p>The Commerce Department added more Chinese chip firms to the Entity List last month, and officials "
        b"in Washington said further restrictions on AI accelerators and high-bandwidth memory were under review.</p>"
        b"<p>Analysts said the company's ability to ship the processors in volume would depend on the yields of "
        b"SMIC's most advanced production lines, which rely on older deep-ultraviolet lithography tools.</p>"
        b"</article></body></html>"
    )

    def feed_with(server_url: str) -> bytes:
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            f"<item><title>Huawei unveils its plan for next year</title><link>{server_url}/a/huawei</link>"
            f'<guid isPermaLink="false">h1</guid><pubDate>{format_datetime(NOW)}</pubDate></item>'
            f"<item><title>City marathon closes roads on Sunday</title><link>{server_url}/a/marathon</link>"
            f'<guid isPermaLink="false">m1</guid><pubDate>{format_datetime(NOW)}</pubDate></item>'
            "</channel></rss>"
        ).encode()

    with FeedServer({"/a/huawei": lambda: (200, {"Content-Type": "text/html; charset=utf-8"}, article)}) as server:
        server.routes["/f.xml"] = doc(feed_with(server.base_url))
        lines = [
            "settings: {allow_private_addresses: true, retries: 0}",
            "feeds:",
            f"  - {{id: t, url: '{server.base_url}/f.xml', language: en}}",
        ]
        config = parse_config("\n".join(lines))
        with session(sqlite_engine) as s:
            sync_feeds(s, [FeedSpec("t", config.feeds[0].url, "en")])
        pipeline = Pipeline(engine=sqlite_engine, fetcher=fetcher, config=config)  # the real matcher
        [r] = await pipeline.poll_once()
        assert r.relevant == 1, "the page's text made the thin Huawei headline relevant"
        [huawei] = [i for job in jobs for i in job.items if i.guid == "h1"]
        assert "SMIC" in huawei.content
        (sig, fp), [(page_sig, page_fp)] = jobs[0].features[huawei.identity], story_features([huawei]).values()
        assert sig.to_bytes() == page_sig.to_bytes() and fp == page_fp, "the features are the page text's"
        paths = [p for p, _ in server.requests]
        assert paths.count("/a/huawei") == 1 and "/a/marathon" not in paths
        await pipeline.poll_once()  # nothing new: no page is fetched again
        assert [p for p, _ in server.requests].count("/a/huawei") == 1
    with session(sqlite_engine) as s:
        stored = {i.guid: i for i in recent_items(s, feed_id="t")}
        assert set(stored) == {"h1", "m1"}, stored
        assert "SMIC" in stored["h1"].content and stored["m1"].content == ""


async def test_a_failing_feeds_stored_reason_holds_no_credentials(sqlite_engine: Engine, fetcher: Fetcher) -> None:
    with FeedServer() as server:  # every path: 404
        url = server.base_url.replace("http://", "http://reader:hunter2pass@") + "/private.xml"
        settings = "settings: {allow_private_addresses: true, retries: 0}\n"
        config = parse_config(settings + f"feeds:\n  - {{id: p, url: '{url}', language: en}}\n")
        with session(sqlite_engine) as s:
            sync_feeds(s, [FeedSpec("p", url, "en")])
        [r] = await Pipeline(engine=sqlite_engine, fetcher=fetcher, config=config).poll_once()
    assert r.status == "failed" and "hunter2pass" not in (r.error or "")
    with session(sqlite_engine) as s:
        feed = get_feed(s, "p")
        assert feed is not None and feed.last_error and "hunter2pass" not in feed.last_error
