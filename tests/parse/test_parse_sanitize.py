"""Hostile markup after ``parse_feed`` (feedparser's sanitizer runs only on values holding markup).

Stored text is what ``bot.normalize`` makes of a parsed entry; these tests check it carries no live
markup, and that it is exactly what feedparser's full ``sanitize_html=True`` path would have produced.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from bot.normalize import Item, normalize_entries
from bot.normalize.html_text import html_to_text
from bot.parse import _entry, parse_feed
from tests.conftest import SHARED

FETCHED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
URL = "https://news.example/section/feed.xml"
CORPUS = SHARED / "corpora" / "feedparser-tests"
HEADERS = {"content-type": "application/xml"}
# What would be live if stored text were ever rendered unescaped.
_LIVE = re.compile(r"<\s*/?\s*(script|style|iframe|object|embed|img|a|svg|form)\b|\bon[a-z]+\s*=|javascript:", re.I)


def _items(body: bytes, url: str = URL) -> list[Item]:
    parsed = parse_feed(body, url=url, headers=HEADERS)
    return normalize_entries(parsed.entries, feed_id="f", feed_url=url, language="en", fetched=FETCHED)


def _texts(item: Item) -> list[str]:
    return [item.title, item.summary, item.content or ""]


def test_script_style_handlers_and_javascript_urls_never_reach_stored_text() -> None:
    hostile = (
        "<p>Export rules <b>tightened</b>.</p><script>steal(document.cookie)</script>"
        "<style>body{display:none}</style><img src=x onerror=alert(1)>"
        "<a href='javascript:alert(2)' onclick='alert(3)'>licence list</a>"
        "<iframe src='https://evil.example/'>frame text</iframe><svg onload=alert(4)></svg>"
    )
    body = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
        "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel><title>T</title>"
        "<item><title>&lt;script&gt;x()&lt;/script&gt;Chip curbs</title><link>/2026/11/curbs.html</link>"
        f"<description><![CDATA[{hostile}]]></description>"
        f"<content:encoded><![CDATA[{hostile}<p>More.</p>]]></content:encoded></item></channel></rss>"
    ).encode()
    (item,) = _items(body)
    assert item.title == "Chip curbs"
    # Elements are dropped, plain text inside them (the iframe's fallback) stays: text is harmless.
    assert item.summary == "Export rules tightened.\nlicence listframe text"
    assert item.content == "Export rules tightened.\nlicence listframe text\nMore."
    assert item.url == "https://news.example/2026/11/curbs.html"  # relative item link still resolved
    for text in _texts(item):
        assert not _LIVE.search(text), text


def test_relative_links_resolve_against_xml_base_and_the_feed_url() -> None:
    body = (
        b"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom' "
        b"xml:base='https://cdn.example/news/'><title>T</title>"
        b"<entry><title>Based</title><id>urn:1</id><link href='story/1.html'/></entry></feed>"
    )
    (item,) = _items(body)
    assert item.url == "https://cdn.example/news/story/1.html"
    rss = (
        b"<rss version='2.0'><channel><title>T</title><item><title>Relative</title>"
        b"<link>../world/2.html</link></item></channel></rss>"
    )
    (item,) = _items(rss)
    assert item.url == "https://news.example/world/2.html"


def _corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".xml", ".rdf", ".atom", ".rss"))


def _stored(entries: list[object], title: str | None) -> list[object]:
    out: list[object] = [html_to_text(title or "")]
    for e in entries:
        out.append(
            (html_to_text(e.title_html), html_to_text(e.summary_html), html_to_text(e.content_html), e.link)  # type: ignore[attr-defined]
        )
    return out


@pytest.mark.shared
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared is absent")
def test_stored_text_equals_the_full_sanitizer_path_on_the_whole_feedparser_corpus() -> None:
    files = _corpus_files()
    assert len(files) > 2000
    differ = []
    for path in files:
        body = path.read_bytes()
        full = feedparser.parse(
            io.BytesIO(body),
            response_headers={**HEADERS, "content-location": URL},
            sanitize_html=True,
            resolve_relative_uris=True,
        )
        expected = _stored([_entry(e) for e in full.entries], full.feed.get("title"))
        try:
            parsed = parse_feed(body, url=URL, headers=HEADERS)
            got = _stored(list(parsed.entries), parsed.title)
        except ValueError:  # NotAFeedError: only for documents with nothing in them
            got = _stored([], None)
            assert expected == got, path
        if got != expected:
            differ.append(str(path.relative_to(CORPUS)))
    assert differ == []


@pytest.mark.shared
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared is absent")
def test_the_sanitize_corpus_leaves_no_live_markup_in_stored_text() -> None:
    files = [p for p in _corpus_files() if "sanitize" in p.parts]
    assert len(files) > 500
    live = []
    for path in files:
        for item in _items(path.read_bytes()):
            live += [f"{path.name}: {t[:80]!r}" for t in _texts(item) if _LIVE.search(t)]
    assert live == []
