"""Feeds in the wrong charset, through the real refresh path: loopback HTTP, parse, normalize, store (SQLite).

Each mismatch between the Content-Type charset, the XML declaration and the bytes is stored as the right
Arabic; text that cannot be repaired is stored, judged not relevant and never alerted, and the feed's
health says so; feeds in the right charset (Arabic, English, French and German) are stored untouched.
The classifier is a keyword rule, so an alert shows exactly which titles reached the matcher.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.app import fetch_settings
from bot.cli import main
from bot.commands.core import Core
from bot.commands.model import Invocation
from bot.config import Env, parse_config
from bot.fetch import Fetcher
from bot.pipeline import GARBLED_TEXT, Alertable, Pipeline
from bot.text.messages import text
from storage.db import session
from storage.feeds import FeedSpec, get_feed, sync_feeds
from storage.tables import ItemRow, Match
from tests.fakes.feedserver import FeedServer, Reply

NOW = datetime.now(UTC).replace(microsecond=0)
BACKLOG = "قراءة في أرقام صادرات الصين من المعادن النادرة"  # no keyword: never relevant
NEWS = "اليابان وهولندا تقيدان تصدير معدات تصنيع الرقائق إلى الصين"
LATER = "تايوان تحقق في تهريب رقائق متقدمة عبر سنغافورة"
SIGNS = "تراخيص تصدير رقائق H20 تعود إلى «إنفيديا» بشروط"  # «» and ، are continuation bytes in UTF-8


def keyword_classifier(title: str, text: str, lang: str | None) -> SimpleNamespace:
    hit = "رقائق" in title or "chip" in title.lower()
    return SimpleNamespace(
        relevant=hit,
        score=0.9 if hit else 0.0,
        severity="high" if hit else None,
        topics=("ai-chips",) if hit else (),
        entities=(),
        reasons=("keyword in title",) if hit else (),
        evidence=5.0 if hit else 0.0,
    )


def rss(titles: list[str], declaration: str | None) -> str:
    items = "".join(
        f"<item><title>{t}</title><guid>g{n}</guid><link>https://news.example/{n}</link>"
        f"<pubDate>{format_datetime(NOW - timedelta(minutes=n))}</pubDate></item>"
        for n, t in enumerate(titles)
    )
    head = f'<?xml version="1.0" encoding="{declaration}"?>' if declaration else ""
    return f'{head}<rss version="2.0"><channel><title>Feed</title>{items}</channel></rss>'


# feed id → (language, Content-Type, XML declaration, how the bytes are written, titles as the feed means them)
AR = [BACKLOG, NEWS, SIGNS]
MISMATCHED = {
    "utf8-said-1256": ("ar", "application/rss+xml; charset=windows-1256", "utf-8", "utf-8", AR),
    "1256-said-latin1": ("ar", "application/rss+xml; charset=iso-8859-1", None, "cp1256", AR),
    "1256-said-utf8": ("ar", "application/rss+xml; charset=utf-8", None, "cp1256", AR),
    "decl-utf8-bytes-1256": ("ar", "application/rss+xml", "utf-8", "cp1256", AR),
    "decl-1256-bytes-utf8": ("ar", "application/rss+xml", "windows-1256", "utf-8", AR),
    "header-utf8-decl-1256": ("ar", "application/rss+xml; charset=utf-8", "windows-1256", "cp1256", AR),
    "no-charset-1256": ("ar", "text/xml", None, "cp1256", AR),
}
CORRECT = {
    "ar-utf8": ("ar", "application/rss+xml; charset=utf-8", "utf-8", "utf-8", AR),
    "ar-1256": ("ar", "application/rss+xml; charset=windows-1256", "windows-1256", "cp1256", AR),
    "en-utf8": (
        "en",
        "application/rss+xml",
        "utf-8",
        "utf-8",
        ["Nvidia’s H20 licences — “what changes”", "BIS adds 12 firms to the Entity List", "Café in Zürich"],
    ),
    "fr-latin1": (
        "en",
        "application/rss+xml; charset=iso-8859-1",
        "iso-8859-1",
        "latin-1",
        ["Économie : Pékin répond aux contrôles", "Créée en 2019, réélue à Genève", "Søren Ødegård à Zürich"],
    ),
    "de-latin1-undeclared": (
        "en",
        "application/xml",
        None,
        "latin-1",
        ["Größere Fabriken, höhere Kosten", "Ausfuhrkontrollen für Halbleiter: Berlin äußert sich"],
    ),
}


@pytest.fixture
async def fetcher():  # type: ignore[no-untyped-def]
    config = parse_config("settings: {allow_private_addresses: true, retries: 0}\nfeeds: []")
    async with Fetcher(fetch_settings(config, Env())) as f:
        yield f


async def test_mismatched_charsets_are_stored_as_the_right_arabic_and_correct_feeds_untouched(
    sqlite_engine: Engine, fetcher: Fetcher
) -> None:
    feeds = {**MISMATCHED, **CORRECT}
    # A publisher's CMS that stored UTF-8 read as windows-1256 and serves it as (valid) UTF-8.
    cms = [t.encode().decode("cp1256") for t in AR]
    feeds["cms-mojibake"] = ("ar", "application/rss+xml; charset=utf-8", "utf-8", "utf-8", AR)
    async with FeedServer() as server:
        for fid, (_, content_type, declaration, encoding, titles) in feeds.items():
            sent = cms if fid == "cms-mojibake" else titles
            body = rss(sent, declaration).encode(encoding)
            server.route(f"/{fid}.xml", Reply(body=body, headers={"Content-Type": content_type}))
        h = _pipeline(sqlite_engine, server, fetcher, {fid: spec[0] for fid, spec in feeds.items()})
        results = await h.pipeline.poll_once()

    assert {r.feed_id: (r.status, r.warning) for r in results} == {fid: ("new", None) for fid in feeds}
    with session(sqlite_engine) as s:
        for fid, (*_, titles) in feeds.items():
            rows = s.exec(select(ItemRow).where(ItemRow.feed_id == fid).order_by(ItemRow.guid)).all()
            assert [r.title for r in rows] == titles, fid
            verdicts = [s.get(Match, r.id) for r in rows]
            assert [bool(v and v.relevant) for v in verdicts] == [
                keyword_classifier(t, "", None).relevant for t in titles
            ]
            feed = get_feed(s, fid)
            assert feed is not None
            assert (feed.last_error_code, feed.consecutive_failures) == (None, 0), fid


async def test_unrepairable_text_is_stored_flagged_on_the_feed_and_never_alerted(
    engine: Engine, fetcher: Fetcher
) -> None:
    # windows-1256 Arabic that a CMS decoded as UTF-8: its letters became U+FFFD, served as valid UTF-8.
    lost = "رقائق H20 chips: " + "قيود جديدة على الرقائق".encode("cp1256").decode("utf-8", "replace")
    good = rss([BACKLOG], "utf-8").encode()
    async with FeedServer() as server:
        for fid in ("lost", "fine"):
            server.route(f"/{fid}.xml", Reply(body=good, headers={"Content-Type": "application/rss+xml"}))
        h = _pipeline(engine, server, fetcher, {"lost": "ar", "fine": "ar"})
        await h.pipeline.poll_once()  # a first poll stores the backlog without alerting
        server.route(
            "/lost.xml", Reply(body=rss([BACKLOG, lost], "utf-8").encode(), headers={"Content-Type": "text/xml"})
        )
        server.route(
            "/fine.xml", Reply(body=rss([BACKLOG, LATER], "utf-8").encode(), headers={"Content-Type": "text/xml"})
        )
        results = {r.feed_id: r for r in await h.pipeline.poll_once()}

    assert [a.item.title for a in h.alerts] == [LATER], "the garbled item never reaches an alert"
    assert results["lost"].status == "new" and results["lost"].new == 1
    assert results["lost"].warning and "1 of 2 items have garbled text" in results["lost"].warning
    assert results["fine"].warning is None
    with session(engine) as s:
        row = s.exec(select(ItemRow).where(ItemRow.feed_id == "lost", ItemRow.title == lost)).one()  # nothing guessed
        match = s.get(Match, row.id)
        assert match is not None and not match.relevant
        assert any("garbled" in reason for reason in json.loads(match.reasons))
        feed = get_feed(s, "lost")
        assert feed is not None
        assert feed.last_error_code == GARBLED_TEXT and feed.consecutive_failures == 0
        assert feed.last_error and "garbled" in feed.last_error and feed.enabled
        fine = get_feed(s, "fine")
        assert fine is not None and fine.last_error_code is None

    # /feeds tells the chat, in its language, which feed's text is garbled
    core = Core(engine, secret=b"charset", clock=lambda: NOW)
    for lang in ("en", "ar"):

        async def admin() -> bool:
            return True

        asked = Invocation("telegram", "9", "private", "7", "feeds", (), user_language=lang, is_admin=admin)
        lines = (await core.handle(asked)).text.splitlines()
        ago = {"en": "0 min ago", "ar": "منذ 0 دقيقة"}[lang]  # polled just now (the pipeline's clock is real)
        assert text(lang, "feed_garbled", name="Feed", ago=ago) in lines
        assert len([line for line in lines if line.startswith("⚠")]) == 1, "the fine feed shows as fine"


async def test_feeds_check_names_the_real_charset_and_the_garbled_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    lost = "قيود جديدة على الرقائق".encode("cp1256").decode("utf-8", "replace")
    async with FeedServer() as server:
        latin1 = {"Content-Type": "application/rss+xml; charset=iso-8859-1"}
        server.route("/mislabelled.xml", Reply(body=rss(AR, None).encode("cp1256"), headers=latin1))
        server.route("/lost.xml", Reply(body=rss([BACKLOG, lost], "utf-8").encode()))
        cfg = tmp_path / "feeds.yaml"
        cfg.write_text(
            f"settings: {{allow_private_addresses: true, retries: 0, data_dir: '{tmp_path}'}}\nfeeds:\n"
            + "".join(
                f"  - {{id: {f}, url: '{server.url(f'/{f}.xml')}', language: ar}}\n" for f in ("mislabelled", "lost")
            )
        )
        # The CLI runs its own event loop: call it from a thread, as a shell would from another process.
        assert await asyncio.to_thread(main, ["--config", str(cfg), "feeds", "check", "--json"]) == 0
        report = {r["feed"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
        assert report["mislabelled"]["charset"] == "declared iso8859-1, but the bytes are windows-1256 Arabic"
        assert "garbled" not in report["mislabelled"] and "charset" not in report["lost"]
        assert report["lost"]["garbled"] == 1 and report["lost"]["ok"]
        assert await asyncio.to_thread(main, ["--config", str(cfg), "feeds", "check"]) == 0
        assert "1 of 2 entries have garbled text (stored, never alerted)" in capsys.readouterr().out


class _Harness:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.alerts: list[Alertable] = []


def _pipeline(engine: Engine, server: FeedServer, fetcher: Fetcher, languages: dict[str, str]) -> _Harness:
    lines = ["settings: {allow_private_addresses: true, retries: 0, second_look: false}", "feeds:"]
    lines += [
        f"  - {{id: {fid}, url: '{server.url(f'/{fid}.xml')}', language: {lang}}}" for fid, lang in languages.items()
    ]
    config = parse_config("\n".join(lines))
    with session(engine) as s:
        sync_feeds(s, [FeedSpec(f.id, f.url, f.language) for f in config.feeds])
    harness = _Harness(None)  # type: ignore[arg-type]

    async def collect(alerts: object) -> None:
        harness.alerts.extend(alerts)  # type: ignore[arg-type]

    harness.pipeline = Pipeline(
        engine=engine, fetcher=fetcher, config=config, on_alerts=collect, classifier=keyword_classifier
    )
    return harness
