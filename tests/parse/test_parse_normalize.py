from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.normalize import normalize_entries, script_language
from bot.normalize.html_text import html_to_text
from bot.parse import NotAFeedError, parse_feed
from tests.conftest import SHARED

FETCHED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
URL = "https://news.example/section/feed.xml"


def _items(body: bytes, language: str = "ar", headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    parsed = parse_feed(body, url=URL, headers=headers)
    return parsed, normalize_entries(parsed.entries, feed_id="f", feed_url=URL, language=language, fetched=FETCHED)


def _rss(items: str, encoding: str = "utf-8") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://news.example/</link>{items}</channel></rss>"
    )


def test_markup_stripped_entities_decoded_relative_links_resolved() -> None:
    body = _rss(
        "<item><title>Chips &amp; rules: &lt;b&gt;H20&lt;/b&gt;</title><link>/2026/11/h20.html</link>"
        "<guid isPermaLink='false'>id-1</guid><pubDate>Thu, 19 Nov 2026 08:30:00 +0300</pubDate>"
        "<description>&lt;p&gt;First &amp;amp; second&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
        "&lt;p&gt;Para two&lt;/p&gt;</description></item>"
    ).encode()
    _, [item] = _items(body, "en")
    assert item.title == "Chips & rules: H20"
    assert item.summary == "First & second\nPara two"
    assert item.url == "https://news.example/2026/11/h20.html"
    assert item.published == datetime(2026, 11, 19, 5, 30, tzinfo=UTC)
    assert item.identity == "guid:id-1" and item.language == "en"


def test_windows_1256_feed_keeps_arabic() -> None:
    title = "ضوابط التصدير على الرقائق"
    body = _rss(f"<item><title>{title}</title><link>https://news.example/a</link></item>", "windows-1256")
    _, [item] = _items(body.encode("cp1256"))
    assert item.title == title


def test_wrong_declared_charset_is_recovered() -> None:
    # Declares windows-1256 but the bytes are UTF-8: feedparser falls back and the text survives.
    title = "هواوي وإنفيديا"
    body = _rss(f"<item><title>{title}</title><link>https://news.example/b</link></item>", "windows-1256")
    _, items = _items(body.encode("utf-8"), headers={"content-type": "application/rss+xml; charset=utf-8"})
    assert items and items[0].title == title


def test_entries_without_link_title_or_date() -> None:
    body = _rss(
        "<item><description>Only a body, no title, link or date.</description></item>"
        "<item><title>Only a title</title></item>"
        "<item><title>Future</title><link>https://news.example/f</link>"
        "<pubDate>Mon, 01 Jan 2180 00:00:00 GMT</pubDate></item>"
        "<item><title>Ancient</title><link>https://news.example/g</link>"
        "<pubDate>Mon, 01 Jan 1970 00:00:00 GMT</pubDate></item>"
    ).encode()
    _, items = _items(body, "en")
    assert len(items) == 4
    assert items[0].title == "" and items[0].identity.startswith("hash:")
    assert items[1].url is None and items[1].identity.startswith("hash:")
    assert items[0].identity != items[1].identity
    assert all(i.published == FETCHED for i in items), "missing or absurd dates become the fetch time"


def test_duplicate_guids_inside_one_feed() -> None:
    body = _rss(
        "<item><title>A</title><link>https://news.example/a</link><guid>same</guid></item>"
        "<item><title>B</title><link>https://news.example/b</link><guid>same</guid></item>"
        "<item><title>A again</title><link>https://news.example/a</link><guid>same</guid></item>"
    ).encode()
    _, items = _items(body, "en")
    assert [i.title for i in items] == ["A", "B"]
    assert len({i.identity for i in items}) == 2


def test_invalid_xml_keeps_what_feedparser_could_read() -> None:
    body = _rss(
        "<item><title>Good one</title><link>https://news.example/1</link></item>"
        "<item><title>Broken & unescaped <b>tag</title><link>https://news.example/2</link></item>"
    ).encode()
    parsed, items = _items(body, "en")
    assert parsed.bozo
    assert "Good one" in [i.title for i in items]


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(NotAFeedError):
        parse_feed(b"<html><body><h1>Welcome</h1></body></html>", url=URL, headers={"content-type": "text/html"})
    with pytest.raises(NotAFeedError):
        parse_feed(b"", url=URL)


def test_language_follows_the_script_when_clear() -> None:
    assert script_language("Nvidia wins approval to ship H20 chips to China", "ar") == "en"
    assert script_language("إنفيديا تحصل على موافقة لشحن رقائق H20 إلى الصين", "en") == "ar"
    assert script_language("H20", "ar") == "ar"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("abcXYZ ءابتـ١٢؟ﻻﭐݐ\u0600-!"), max_size=60), st.sampled_from(["ar", "en", ""]))
def test_script_language_counts_every_letter(text: str, default: str) -> None:
    """Counted by runs of letters (fast), decided as by one count per letter (the rule)."""
    ar = sum(1 for c in text if "\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f" or "\ufb50" <= c <= "\ufdff"
             or "\ufe70" <= c <= "\ufeff")  # fmt: skip
    la = sum(1 for c in text if c.isascii() and c.isalpha())
    want = default if ar + la < 12 else "ar" if ar >= 0.6 * (ar + la) else "en" if la >= 0.8 * (ar + la) else default
    assert script_language(text, default) == want


def test_html_to_text_handles_hostile_markup() -> None:
    assert html_to_text("<p>a</p><style>x{}</style><p>b &amp; c</p>") == "a\nb & c"
    assert html_to_text("x\x00y\ud800z") == "xyz"
    assert html_to_text("") == ""


@pytest.mark.skipif(not (SHARED / "corpora").exists(), reason="../shared is absent")
@pytest.mark.parametrize(
    "name",
    [
        "DERIVED_nabdsharqi_rss2_windows-1256.xml",
        "nabdsharqi_atom.xml",
        "gsidhu_aljazeera.xml",
        "gsidhu_theguardian_world.xml",
    ],
)
def test_real_feed_snapshots(name: str) -> None:
    body = (SHARED / "corpora" / "real-feeds" / name).read_bytes()
    parsed, items = _items(body, "ar" if "nabd" in name else "en")
    assert len(items) == len(parsed.entries) > 0
    assert all(i.title and i.url for i in items)
    if "nabd" in name:
        assert all(i.language == "ar" for i in items)
