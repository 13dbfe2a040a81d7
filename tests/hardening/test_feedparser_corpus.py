"""feedparser's own edge-case corpus (~2,100 files) through the real poller, in one cycle.

Every file is served over HTTP on 127.0.0.1 with the headers its comment block asks for (``Header:``
lines; otherwise ``application/xml``), polled by the real Pipeline into a real SQLite file, and then:

* no crash, and every feed row records an outcome (last_success or last_error);
* nothing lost: every entry feedparser itself finds (with a title, link, summary or id) is stored, except
  what our documented rules drop — an entry repeating an earlier entry's identity in the same document,
  and an entry with nothing a person could read (see ``bot.normalize.normalize_entries``);
* every stored item, rendered as a Telegram HTML alert and as a Discord embed, is inert: only our own
  tags, well-formed entities, no script, no markdown or mention that could take effect.

Skipped when ../shared (the corpora) is not beside the project.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import io
import multiprocessing
import random
import re
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.adapters.discord.render import DiscordRenderer
from bot.adapters.telegram.render import render_alert
from bot.analyze import warm_up
from bot.config import FeedsFile
from bot.deliver.model import AlertView
from bot.fetch import Fetcher, FetchSettings
from bot.pipeline import Pipeline
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from storage.tables import Feed, ItemRow
from tests.conftest import SHARED
from tests.fakes.feedserver import FeedServer, Reply, ServerThread
from tests.hardening.figures import record
from tests.telegram.htmlcheck import check

CORPUS = SHARED / "corpora" / "feedparser-tests"
_HEADER = re.compile(r"^Header:\s*([A-Za-z0-9-]+):\s*(.*?)\s*$", re.MULTILINE)
_TAG = re.compile(r"<[^>]*>")
# Tokens Discord turns into a ping, a channel/command link or an emoji.
_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>|</[^>]+:\d+>|<a?:\w+:\d+>")
_MARKDOWN = re.compile(r"\*|__|~~|\|\||`|\]\(")


UNREADABLE_WHY: dict[str, int] = {}


@dataclass(frozen=True)
class Case:
    feed_id: str
    path: Path
    headers: dict[str, str]
    body: bytes


def corpus_cases() -> list[Case]:
    cases = []
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".xml", ".rdf", ".atom", ".rss"))
    for n, path in enumerate(files):
        body = path.read_bytes()
        comment = body[:4000].decode("latin-1")
        headers = {name.title(): value for name, value in _HEADER.findall(comment)}
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "transfer-encoding")}
        if not any(k.lower() == "content-type" for k in headers) and "no_content_type" not in path.name:
            headers["Content-Type"] = "application/xml"
        cases.append(Case(f"c{n:04d}", path, headers, body))
    return cases


def _readable(entry: feedparser.FeedParserDict, base: str) -> tuple[bool, str | None]:
    """(has readable text or a usable link, the absolute link) — written apart from bot.normalize."""
    texts = [entry.get("title", ""), entry.get("summary", "")]
    texts += [c.get("value", "") for c in entry.get("content", [])]
    readable = any(html.unescape(_TAG.sub(" ", t or "")).strip() for t in texts if isinstance(t, str))
    link = entry.get("link")
    url = None
    if isinstance(link, str) and link.strip():
        try:
            absolute = urljoin(base, link.strip())
            parts = urlsplit(absolute)
            url = absolute if parts.scheme in ("http", "https") and parts.netloc else None
        except ValueError:
            url = None
    return readable or url is not None, url


def expected_items(body: bytes, headers: dict[str, str], url: str) -> tuple[int, int, int]:
    """(entries feedparser finds, dropped as repeats, dropped as unreadable) for one document."""
    lowered = {k.lower(): v for k, v in headers.items()}
    lowered.setdefault("content-type", "application/xml")
    lowered["content-location"] = url
    parsed = feedparser.parse(io.BytesIO(body), response_headers=lowered, sanitize_html=True)
    found = repeats = unreadable = 0
    seen: set[str] = set()
    first_link_of_guid: dict[str, str | None] = {}
    for e in parsed.entries:
        if not any(e.get(k) for k in ("title", "link", "summary", "id", "content")):
            continue
        found += 1
        readable, link = _readable(e, url)
        if not readable:
            unreadable += 1
            raw_link = e.get("link")
            why = "a link that is not http(s)" if raw_link else "only an id" if e.get("id") else "empty markup only"
            UNREADABLE_WHY[why] = UNREADABLE_WHY.get(why, 0) + 1
            continue
        guid = (e.get("id") or "").strip() if isinstance(e.get("id"), str) else ""
        if guid:
            key = f"guid:{guid}"
            if guid in first_link_of_guid:
                if first_link_of_guid[guid] == link or not link:
                    repeats += 1
                    continue
                key = f"guid:{guid}|{link}"
            else:
                first_link_of_guid[guid] = link
        elif link:
            key = f"url:{link}"
        else:
            texts = (e.get("title", ""), e.get("summary", ""))
            key = "hash:" + hashlib.sha256("\n".join(map(str, texts)).encode("utf-8", "surrogatepass")).hexdigest()
        if key in seen:
            repeats += 1
            continue
        seen.add(key)
    return found, repeats, unreadable


def telegram_problems(view: AlertView) -> list[str]:
    text = render_alert(view, language="ar" if view.language == "ar" else "en", timezone="UTC")
    problems = check(text, 4096)
    if "<script" in text.lower() or "javascript:" in text.lower():
        problems.append("script survived")
    return problems


def discord_problems(renderer: DiscordRenderer, view: AlertView) -> list[str]:
    embed = renderer.alert_embed(view, language="en")
    problems = []
    texts = [embed.get("title", ""), embed.get("description", ""), embed.get("author", {}).get("name", "")]
    texts += [f["value"] for f in embed.get("fields", ())]
    for t in texts:
        if _MENTION.search(t):
            problems.append(f"mention in {t[:60]!r}")
    # Feed text (title, excerpt) must show literally: after removing escapes no markdown control is left.
    for t in (embed.get("title", ""), embed.get("description", "")):
        bare = re.sub(r"\\.", "", t)
        if _MARKDOWN.search(bare):
            problems.append(f"live markdown in {t[:60]!r}")
    url = embed.get("url")
    if url is not None and not url.startswith(("http://", "https://")):
        problems.append(f"bad url {url!r}")
    return problems


def view_of(row: ItemRow, feed_title: str | None) -> AlertView:
    assert row.id is not None
    return AlertView(
        story_id=row.id,
        title=row.title,
        url=row.url,
        source=row.source_name or feed_title or row.feed_id,
        language=row.language,
        published=row.published,
        severity="normal",
        score=0.0,
        topics=(),
        entities=(),
        excerpt=(row.content or row.summary)[:320],
    )


@pytest.mark.shared
@pytest.mark.slow
async def test_every_corpus_feed_is_recorded_stored_and_rendered_inert(sqlite_engine: Engine) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is not there (../shared is absent)")
    cases = corpus_cases()
    assert len(cases) > 2000

    server = FeedServer("127.0.0.1")
    async with AsyncExitStack() as stack:
        stack.enter_context(ServerThread([server]))  # its own loop: the bot's CPU work cannot stall it
        urls: dict[str, str] = {}
        for case in cases:
            path = f"/{case.feed_id}/{case.path.name}"
            server.route(path, Reply(body=case.body, headers=case.headers))
            urls[case.feed_id] = server.url(path)
        config = FeedsFile.model_validate(
            {
                "settings": {"allow_private_addresses": True, "retries": 0},
                "feeds": [{"id": c.feed_id, "url": urls[c.feed_id], "language": "en"} for c in cases],
            }
        )
        with session(sqlite_engine) as s:
            sync_feeds(s, [FeedSpec(f.id, f.url, f.language) for f in config.feeds])
        settings = FetchSettings(
            connect_timeout=20,
            read_timeout=30,
            total_timeout=60,
            retries=0,
            max_connections=32,
            per_host=32,
            allow_private_addresses=True,
        )
        fetcher = await stack.enter_async_context(Fetcher(settings, rng=random.Random(1)))
        cpu = stack.enter_context(
            ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"), initializer=warm_up)
        )
        pipeline = Pipeline(engine=sqlite_engine, fetcher=fetcher, config=config, rng=random.Random(2), cpu=cpu)
        results = await asyncio.wait_for(pipeline.poll_once(), timeout=240)

    assert len(results) == len(cases)
    internal = [(r.feed_id, r.error) for r in results if r.error_code == "internal"]
    assert internal == []  # a crash inside the pipeline for some feed

    with session(sqlite_engine) as s:
        feeds = {f.id: f for f in s.exec(select(Feed)).all()}
        counts = dict(s.exec(select(ItemRow.feed_id, func.count()).group_by(ItemRow.feed_id)).all())  # type: ignore[call-overload]
        rows = list(s.exec(select(ItemRow)).all())
    unrecorded = [fid for fid, f in feeds.items() if f.last_success is None and f.last_error is None]
    assert unrecorded == []

    UNREADABLE_WHY.clear()
    found_total = stored_total = repeats_total = unreadable_total = 0
    lost: list[str] = []
    for case in cases:
        found, repeats, unreadable = expected_items(case.body, case.headers, urls[case.feed_id])
        stored = counts.get(case.feed_id, 0)
        found_total, stored_total = found_total + found, stored_total + stored
        repeats_total, unreadable_total = repeats_total + repeats, unreadable_total + unreadable
        feed = feeds[case.feed_id]
        if stored != found - repeats - unreadable:
            rel = case.path.relative_to(CORPUS)
            lost.append(
                f"{rel}: found {found} (-{repeats} repeats, -{unreadable} unreadable), stored {stored}, "
                f"feed {feed.last_error_code or 'ok'}"
            )
    assert lost == [], "\n".join(lost)

    renderer = DiscordRenderer.default()
    titles = {fid: f.title for fid, f in feeds.items()}
    unsafe: list[str] = []
    for row in rows:
        view = view_of(row, titles.get(row.feed_id))
        for problem in telegram_problems(view) + discord_problems(renderer, view):
            unsafe.append(f"{row.feed_id} item {row.id}: {problem}")
    assert unsafe == []

    failed = {
        str(c.path.relative_to(CORPUS)): feeds[c.feed_id].last_error_code
        for c in cases
        if feeds[c.feed_id].last_error_code
    }
    record("feedparser corpus", "feeds served and polled", len(cases))
    record("feedparser corpus", "feeds failed (recorded with a reason)", len(failed))
    record("feedparser corpus", "failed feeds", failed)
    record("feedparser corpus", "entries feedparser finds", found_total)
    record("feedparser corpus", "entries stored", stored_total)
    record("feedparser corpus", "dropped: repeated identity in one document", repeats_total)
    record("feedparser corpus", "dropped: nothing readable", f"{unreadable_total} {UNREADABLE_WHY}")
    record("feedparser corpus", "stored items rendered (Telegram + Discord), all inert", len(rows))
