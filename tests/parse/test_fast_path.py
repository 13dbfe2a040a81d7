"""The lxml fast path (``bot.parse.fast``) reads every feed it accepts exactly as feedparser does.

Each test parses the same bytes twice, ``parse_feed`` as the product calls it and ``parse_feed(fast_path=False)``,
and holds the results equal: on every corpus we have (feedparser's 2,100 test feeds, the real feeds, the demo's,
the benchmark's) under the Content-Types servers send, and on generated RSS made of the elements the fast path
reads, the ones it skips, and ones it must refuse, with text chosen to hit each of feedparser's transforms.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.feedservers import feed_body
from bot.parse import ParsedFeed, ParseError, _parsed_feed, parse_feed
from bot.parse.charrefs import repair_char_refs
from bot.parse.charset import body_charset, with_charset
from bot.parse.fast import read_simple

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
URL = "https://news.example/feeds/world.xml"
CONTENT_TYPES = [
    "application/rss+xml",
    "application/xml; charset=utf-8",
    "text/xml; charset=UTF-8",
    "text/xml",
    None,
]


def _headers(body: bytes, content_type: str | None) -> dict[str, str]:
    """The headers ``bot.analyze.parse_body`` gives the parser: the charset the bytes are really in."""
    headers = {"Content-Type": content_type} if content_type else {}
    charset = body_charset(body, content_type)
    return with_charset(headers, charset[0]) if charset else headers


def _read(body: bytes, headers: Mapping[str, str], **kw: bool) -> ParsedFeed | str:
    try:
        return parse_feed(body, url=URL, headers=headers, **kw)
    except ParseError as exc:
        return f"{type(exc).__name__}: {exc}"


def _fast(body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether the fast path reads this document (rather than handing it to feedparser)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return read_simple(repair_char_refs(body), url=URL, headers=lowered, build=_parsed_feed) is not None


def _corpus() -> list[tuple[str, bytes]]:
    files = sorted((SHARED / "corpora").rglob("*.xml")) + sorted((ROOT / "bot" / "demo" / "feeds").glob("*.xml"))

    def name(f: Path) -> str:
        return str(f.relative_to(f.parents[1] if f.parent.name in ("feeds", "real-feeds") else SHARED / "corpora"))

    out = [(name(f), f.read_bytes()) for f in files]
    out += [(f"bench {w} {n}", feed_body(n, 30, w)) for w in ("field", "events") for n in range(4)]
    return out


@pytest.mark.skipif(not (SHARED / "corpora").is_dir(), reason="../shared/corpora is not here")
def test_every_corpus_feed_reads_the_same_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the fast path declines, ``parse_feed`` goes on to the very code ``fast_path=False`` runs: only the
    documents it reads itself (feedparser never called) are parsed a second time and compared."""
    asked = [0]
    real_parse = feedparser.parse

    def counted(*args: object, **kwargs: object) -> object:
        asked[0] += 1
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(feedparser, "parse", counted)
    taken: dict[str, int] = {}
    differ = []
    for name, body in _corpus():
        for content_type in CONTENT_TYPES:
            headers = _headers(body, content_type)
            before = asked[0]
            product = _read(body, headers)
            if asked[0] > before:  # declined: feedparser read it, as on the other path
                continue
            if product != _read(body, headers, fast_path=False):
                differ.append((name, content_type))
            group = name.split()[0] if name.startswith("bench") else name.split("/")[0]
            taken[group] = taken.get(group, 0) + 1
    assert differ == []
    # The fast path is taken where it should be: the benchmark's and the demo's RSS under every XML type but a
    # bare text/xml, and a share of feedparser's own well-formed cases.
    assert taken["bench"] == 8 * 4
    assert taken["feeds"] >= 5 * 4  # bot/demo/feeds: the RSS ones (Atom and windows-1256 go to feedparser)
    assert taken.get("feedparser-tests", 0) >= 500


def test_the_common_feed_is_read_on_the_fast_path() -> None:
    body = feed_body(7, 30, "field")
    headers = {"Content-Type": "application/rss+xml"}
    assert _fast(body, headers)
    parsed = parse_feed(body, url=URL, headers=headers)
    assert len(parsed.entries) == 30 and parsed.version == "rss20" and not parsed.bozo
    assert parsed == parse_feed(body, url=URL, headers=headers, fast_path=False)


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b.replace(b"<rss version", b'<!DOCTYPE rss [<!ENTITY x "y">]><rss version'),
        lambda b: b.replace(b"<channel>", b'<channel xml:lang="ar">'),
        lambda b: b.replace(b"<title>", b"<dc:title xmlns:dc='http://purl.org/dc/elements/1.1/'>x</dc:title><title>"),
        lambda b: b.replace(b"</item>", b"<summary>other text</summary></item>", 1),
        lambda b: b.replace(b"<description>", b"<description type='application/octet-stream'>", 1),
        lambda b: b.replace(b"</item>", b"<title>twice</title></item>", 1),
        lambda b: b.replace(b'<rss version="2.0">', b'<rss version="0.91">'),
        lambda b: b.replace(b"utf-8", b"iso-8859-1"),
        lambda b: b.replace(b"</title>", b"<b>bold</b></title>", 1),
    ],
    ids=["doctype", "xml-lang", "dc-title", "summary", "base64-type", "two-titles", "rss091", "latin1", "markup"],
)
def test_what_the_fast_path_does_not_read_goes_to_feedparser(change) -> None:  # type: ignore[no-untyped-def]
    body = change(feed_body(2, 3, "field"))
    headers = {"Content-Type": "application/rss+xml"}
    assert not _fast(body, headers)
    assert _read(body, headers) == _read(body, headers, fast_path=False)


# -- generated feeds ---------------------------------------------------------------------------------------

# Text that exercises feedparser's transforms: markup and entities, Arabic, mojibake (UTF-8 read as latin-1,
# which feedparser undoes), windows-1252's C1 range (which it maps), spaces it strips, invisible characters.
_ALPHABET = st.sampled_from(
    [*"ab <>&\"'é", "إنفيديا", "رقائق", "Ã©", "Ù\x85", "\x80", "\x93", "\x9f", "\n", "\t", "\xa0", "\u200b", "&amp;"]
)
_TEXT = st.lists(_ALPHABET, max_size=8).map("".join)
_URL = st.sampled_from(
    [
        "https://a.example/x?a=1&b=2",
        "/news/1",
        "story.html",
        "../up",
        "javascript:alert(1)",
        "",
        " https://b.example/ ",
        "https://a.example/&amp;q",
        "https://a.example/?x=&y;",
    ]
)
_DATE = st.sampled_from(
    [
        "Wed, 02 Oct 2026 13:00:00 GMT",
        "Thu, 3 Dec 2026 08:15:00 +0300",
        "2026-12-03T08:15:00Z",
        "3 Dec 2026",
        "not a date",
        "",
        "Tue, 31 Feb 2026 10:00:00 GMT",
        "Mon, 30 Nov 2026 23:59:59 EST",
    ]
)


def _wrap(tag: str, text: str, attrs: str = "", cdata: bool = False) -> str:
    if cdata and "]]>" not in text:
        return f"<{tag}{attrs}><![CDATA[{text}]]></{tag}>"
    return f"<{tag}{attrs}>{escape(text)}</{tag}>"


@st.composite
def _item(draw: st.DrawFn) -> str:
    parts = []
    cdata = draw(st.booleans())
    if draw(st.booleans()):
        parts.append(_wrap("title", draw(_TEXT), cdata=cdata))
    if draw(st.booleans()):
        parts.append(_wrap("link", draw(_URL)))
    if draw(st.booleans()):
        parts.append(_wrap("description", draw(_TEXT), cdata=cdata))
    if draw(st.booleans()):
        permalink = draw(st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"', ' isPermaLink="TRUE"']))
        parts.append(_wrap("guid", draw(st.one_of(_URL, _TEXT)), permalink))
    for tag in ("pubDate", "dc:date"):
        if draw(st.booleans()):
            parts.append(_wrap(tag, draw(_DATE)))
    for _ in range(draw(st.integers(0, 2))):
        tag = draw(st.sampled_from(["author", "dc:creator"]))
        parts.append(_wrap(tag, draw(st.one_of(_TEXT, st.just("news@a.example (Desk)")))))
    if draw(st.booleans()):
        parts.append(_wrap("content:encoded", draw(_TEXT), cdata=True))
    if draw(st.booleans()):
        url = draw(st.sampled_from(["", ' url="https://pub.example/rss"', ' url="/rel?a=1&amp;b=2"']))
        parts.append(_wrap("source", draw(_TEXT), url))
    parts += draw(
        st.lists(
            st.sampled_from(
                [
                    '<category domain="x">Chips</category>',
                    "<comments>/c/1</comments>",
                    '<enclosure url="https://a.example/i.jpg" length="1" type="image/jpeg"/>',
                    '<media:content url="https://a.example/i.jpg" medium="image"/>',
                    '<media:thumbnail url="/t.jpg"/>',
                    "<!-- a comment -->",
                    # elements the fast path must refuse: feedparser reads them into fields we use
                    "<summary>s</summary>",
                    "<media:description>d</media:description>",
                    '<atom:link href="https://alt.example/"/>',
                    "<title>again</title>",
                    "<Title>case</Title>",
                ]
            ),
            max_size=3,
        )
    )
    order = draw(st.permutations(parts))
    return "<item>" + "".join(order) + "</item>"


@st.composite
def _feed(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    channel = []
    if draw(st.booleans()):
        channel.append(_wrap("title", draw(_TEXT)))
    if draw(st.booleans()):
        channel.append(_wrap("link", draw(_URL)))
    channel += draw(
        st.lists(
            st.sampled_from(
                [
                    "<description>about</description>",
                    "<language>ar</language>",
                    "<ttl>30</ttl>",
                    "<ttl>soon</ttl>",
                    "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>",
                    "<image><url>/logo.png</url><title>Logo</title><link>/</link></image>",
                    '<atom:link href="https://news.example/rss" rel="self" type="application/rss+xml"/>',
                    "<lastBuildDate>Thu, 03 Dec 2026 08:00:00 GMT</lastBuildDate>",
                ]
            ),
            max_size=4,
        )
    )
    channel += draw(st.lists(_item(), max_size=4))
    channel = draw(st.permutations(channel))
    declaration = draw(st.sampled_from(['<?xml version="1.0" encoding="utf-8"?>', '<?xml version="1.0"?>', ""]))
    namespaces = (
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"'
    )
    body = f'{declaration}<rss version="2.0" {namespaces}><channel>{"".join(channel)}</channel></rss>'
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    return body.encode("utf-8"), ({"Content-Type": content_type} if content_type else {})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_feed())
def test_generated_feeds_read_the_same_on_both_paths(feed: tuple[bytes, dict[str, str]]) -> None:
    body, headers = feed
    assert _read(body, headers) == _read(body, headers, fast_path=False)


def test_generated_feeds_do_reach_the_fast_path() -> None:
    """The property above would hold trivially if the fast path refused everything: it must take plain ones."""
    item = _wrap("title", "Nvidia & Huawei") + _wrap("link", "/n/1") + _wrap("guid", "n1", ' isPermaLink="false"')
    body = f'<rss version="2.0"><channel><title>x</title><item>{item}</item></channel></rss>'
    headers = {"Content-Type": "application/rss+xml"}
    assert _fast(body.encode(), headers)
    parsed = parse_feed(body.encode(), url=URL, headers=headers)
    assert parsed.entries[0].link == "https://news.example/n/1" and parsed.entries[0].title_html == "Nvidia & Huawei"
