"""Issue 13.2: character references XML forbids never cost a feed, and nothing in the parse stage escapes.

Through the real path: a feed server on loopback, the real Fetcher and Pipeline, the real SQLite file and
PostgreSQL, the real ``raqib feeds check``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

import bot.parse
from bot.analyze import analyze
from bot.cli import main
from bot.config import parse_config
from bot.demo.server import Document, FeedServer
from bot.fetch import Fetcher
from bot.parse.charrefs import repair_char_refs
from bot.pipeline import Pipeline
from storage.db import session
from storage.feeds import FeedSpec, get_feed, sync_feeds
from storage.queries import count_items, recent_items

HOSTILE_REFS = ("&#xD83D;&#xDE80;", "&#xD800;", "&#x110000;", "&#99999999999999999999;", "&#xDE80;", "&#1;")


def hostile_feed() -> bytes:
    """Every hostile reference in a title, a link and a date of its own item, among ordinary items."""
    items = [
        "<item><guid isPermaLink='false'>plain-1</guid><title>Ordinary news one</title><link>https://n.example/1</link></item>"
    ]
    for n, ref in enumerate(HOSTILE_REFS):
        items += [
            f"<item><guid isPermaLink='false'>t{n}</guid><title>Launch {ref} today</title><link>https://n.example/t{n}</link></item>",
            f"<item><guid isPermaLink='false'>l{n}</guid><title>Link {n}</title><link>https://n.example/l{n}{ref}</link></item>",
            f"<item><guid isPermaLink='false'>d{n}</guid><title>Date {n}</title><link>https://n.example/d{n}</link>"
            f"<pubDate>Mon, 01 Jan 2024 00:00:00 GMT{ref}</pubDate></item>",
        ]
    items.append(
        "<item><guid isPermaLink='false'>plain-2</guid><title>Ordinary news two</title><link>https://n.example/2</link></item>"
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Refs&#x1;</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def doc(body: bytes) -> Callable[[], Document]:
    return lambda: (200, {"Content-Type": "application/rss+xml"}, body)


def test_references_are_repaired_in_the_bytes() -> None:
    assert repair_char_refs(b"a&#xD83D;&#xDE80;b") == b"a&#x1F680;b", "a UTF-16 pair is the character it spells"
    assert repair_char_refs(b"&#55357;&#56960;") == b"&#x1F680;"
    assert repair_char_refs(b"x&#xD800;y") == b"x&#xFFFD;y"
    assert repair_char_refs(b"&#xD800;&#x41;") == b"&#xFFFD;&#x41;", "a high half followed by no low half"
    assert repair_char_refs(b"&#xD800; &#xDC00;") == b"&#xFFFD; &#xFFFD;", "halves apart are two lone halves"
    assert repair_char_refs(b"&#x110000;&#99999999999999999999;") == b"&#xFFFD;&#xFFFD;"
    assert repair_char_refs(b"a&#0;b&#x1F;c&#xFFFE;") == b"abc&#xFFFD;", "controls dropped, non-characters marked"
    valid = b"&#x41;&#1575;&#x1F680;&#9;&amp;&#xE000;"
    assert repair_char_refs(valid) is valid, "nothing to repair: the same bytes"
    utf16 = "<t>&#xD800;\u0639</t>".encode("utf-16")
    assert repair_char_refs(utf16).decode("utf-16") == "<t>&#xFFFD;\u0639</t>"
    declared = "<?xml version='1.0' encoding='utf-16'?><t>&#xD83D;&#xDE80;</t>"
    for encoding in ("utf-16-le", "utf-16-be"):
        assert repair_char_refs(declared.encode(encoding)).decode(encoding) == declared.replace(
            "&#xD83D;&#xDE80;", "&#x1F680;"
        )


def test_every_item_survives_hostile_references() -> None:
    a = analyze(
        hostile_feed(),
        url="https://n.example/feed",
        headers={},
        feed_id="f",
        language="en",
        fetched=datetime.now(UTC),
        classifier=lambda *_: type("C", (), {"relevant": False})(),
    )
    assert a.entries == 2 + 3 * len(HOSTILE_REFS) and len(a.items) == a.entries
    titles = {i.guid: i.title for i in a.items}
    assert titles["t0"] == "Launch 🚀 today"
    assert titles["t1"] == "Launch \ufffd today" and titles["t5"] == "Launch today"
    assert all(c < "\ud800" or c > "\udfff" for i in a.items for c in i.title + (i.url or ""))


async def test_a_feed_with_hostile_references_is_stored_whole(engine: Engine) -> None:
    with FeedServer({"/refs.xml": doc(hostile_feed())}) as server:
        config = parse_config(
            "settings: {allow_private_addresses: true, retries: 0}\n"
            f"feeds:\n  - {{id: refs, url: '{server.base_url}/refs.xml', language: en}}\n"
        )
        with session(engine) as s:
            sync_feeds(s, [FeedSpec(f.id, f.url, f.language) for f in config.feeds])
        async with Fetcher(_settings(config)) as fetcher:
            [result] = await Pipeline(engine=engine, fetcher=fetcher, config=config).poll_once()
    assert result.status == "new" and result.new == 2 + 3 * len(HOSTILE_REFS), result
    with session(engine) as s:
        feed = get_feed(s, "refs")
        assert feed is not None and feed.consecutive_failures == 0 and feed.last_error is None
        assert feed.title == "Refs"
        titles = {i.guid: i.title for i in recent_items(s, feed_id="refs", limit=100)}
    assert titles["t0"] == "Launch 🚀 today" and titles["plain-2"] == "Ordinary news two"


async def test_a_feed_title_with_raw_control_bytes_is_stored(engine: Engine) -> None:
    """A NUL byte in the channel title (PostgreSQL refuses NUL in text) once failed every poll of its feed."""
    body = (
        b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Wire\x00\x01</title>"
        b"<item><guid isPermaLink='false'>w1</guid><title>Item\x00 one</title><link>https://w.example/1</link></item>"
        b"</channel></rss>"
    )
    with FeedServer({"/nul.xml": doc(body)}) as server:
        config = parse_config(
            "settings: {allow_private_addresses: true, retries: 0}\n"
            f"feeds:\n  - {{id: nul, url: '{server.base_url}/nul.xml', language: en}}\n"
        )
        with session(engine) as s:
            sync_feeds(s, [FeedSpec(f.id, f.url, f.language) for f in config.feeds])
        async with Fetcher(_settings(config)) as fetcher:
            [result] = await Pipeline(engine=engine, fetcher=fetcher, config=config).poll_once()
    assert result.status == "new" and result.new == 1, result
    with session(engine) as s:
        feed = get_feed(s, "nul")
        assert feed is not None and feed.title == "Wire" and feed.consecutive_failures == 0
        [item] = recent_items(s, feed_id="nul")
    assert item.title == "Item one"


def _explode_on(monkeypatch: pytest.MonkeyPatch, marker: bytes, exc: Exception) -> None:
    """Both readers — feedparser and the lxml fast path (``bot.parse.fast``) — raise ``exc`` on a body holding
    ``marker``: a parser's bug on one feed, whichever path reads it."""
    real_parse, real_simple = bot.parse.feedparser.parse, bot.parse.read_simple

    def parse(stream, **kw):  # type: ignore[no-untyped-def]
        if marker in stream.getvalue():
            raise exc
        return real_parse(stream, **kw)

    def simple(body, **kw):  # type: ignore[no-untyped-def]
        if marker in body:
            raise exc
        return real_simple(body, **kw)

    monkeypatch.setattr(bot.parse.feedparser, "parse", parse)
    monkeypatch.setattr(bot.parse, "read_simple", simple)


async def test_a_parse_stage_exception_is_the_feeds_recorded_failure(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever feedparser (or our normalize/match) raises on one feed: classified, on the row, backed off."""
    _explode_on(monkeypatch, b"EXPLODE", UnicodeEncodeError("utf-8", "\ud83d", 0, 1, "surrogates not allowed"))
    bad = b'<?xml version="1.0"?><rss version="2.0"><channel><title>EXPLODE</title></channel></rss>'
    good = hostile_feed()
    with FeedServer({"/bad.xml": doc(bad), "/good.xml": doc(good)}) as server:
        config = parse_config(
            "settings: {allow_private_addresses: true, retries: 0}\nfeeds:\n"
            f"  - {{id: bad, url: '{server.base_url}/bad.xml', language: en}}\n"
            f"  - {{id: good, url: '{server.base_url}/good.xml', language: en}}\n"
        )
        with session(sqlite_engine) as s:
            sync_feeds(s, [FeedSpec(f.id, f.url, f.language) for f in config.feeds])

        def broken_matcher(title: str, text: str, lang: str | None) -> object:
            if "Ordinary" in title:
                raise KeyError("the matcher's own bug")
            return type("C", (), {"relevant": False})()

        async with Fetcher(_settings(config)) as fetcher:
            polled = await Pipeline(engine=sqlite_engine, fetcher=fetcher, config=config).poll_once()
            results = {r.feed_id: r for r in polled}
            assert results["bad"].status == "failed" and results["bad"].error_code == "parse_error"
            assert "UnicodeEncodeError" in (results["bad"].error or "")
            assert results["good"].status == "new"
            # the same feed again, now with a matcher that raises on it: normalize_error, counted again
            pipeline = Pipeline(engine=sqlite_engine, fetcher=fetcher, config=config, classifier=broken_matcher)
            with session(sqlite_engine) as s:
                feed = get_feed(s, "good")
                assert feed is not None
                feed.etag = feed.last_modified = None
                s.add(feed)
                s.commit()
            [again] = await pipeline.poll_once(["good"])
            assert again.status == "failed" and again.error_code == "normalize_error"
    with session(sqlite_engine) as s:
        bad_row, good_row = get_feed(s, "bad"), get_feed(s, "good")
        assert bad_row is not None and good_row is not None
        assert bad_row.last_error_code == "parse_error" and bad_row.consecutive_failures == 1
        assert bad_row.next_poll is not None and bad_row.last_attempt is not None
        assert bad_row.next_poll > bad_row.last_attempt, "backed off like a fetch failure"
        assert good_row.last_error_code == "normalize_error" and good_row.consecutive_failures == 1
        assert "Ordinary" not in (good_row.last_error or ""), "no item text in the stored reason"
        assert count_items(s, "good") == 2 + 3 * len(HOSTILE_REFS)


def test_feeds_check_reports_every_feed_and_never_crashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    bad = b'<?xml version="1.0"?><rss version="2.0"><channel><title>EXPLODE</title></channel></rss>'
    with FeedServer({"/refs.xml": doc(hostile_feed()), "/bad.xml": doc(bad)}) as server:
        cfg = tmp_path / "feeds.yaml"
        cfg.write_text(
            "settings: {allow_private_addresses: true, retries: 0}\nfeeds:\n"
            f"  - {{id: refs, url: '{server.base_url}/refs.xml', language: en}}\n"
            f"  - {{id: bad, url: '{server.base_url}/bad.xml', language: en}}\n"
        )
        assert main(["--config", str(cfg), "feeds", "check"]) == 0
        out = capsys.readouterr().out
        assert f"ok      refs: {2 + 3 * len(HOSTILE_REFS)} entries" in out
        _explode_on(monkeypatch, b"EXPLODE", OverflowError("Python int too large to convert to C int"))
        assert main(["--config", str(cfg), "feeds", "check", "--json"]) == 0
    lines = {r["feed"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert lines["refs"]["ok"] is True
    assert lines["bad"]["ok"] is False and lines["bad"]["error_code"] == "parse_error"


def _settings(config):  # type: ignore[no-untyped-def]
    from bot.app import fetch_settings
    from bot.config import Env

    return fetch_settings(config, Env())
