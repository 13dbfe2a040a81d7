"""``is_plain_absolute``: a URL it accepts is one that urllib's joins (and feedparser's) and a split then
unsplit give back unchanged, whatever the base; so the parser and the normalizer may skip them."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
from feedparser import urls as fp_urls
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import normalize
from bot.normalize import _absolute
from bot.parse import fast as parse_fast
from bot.parse.fast import _finish
from bot.text.urls import is_plain_absolute

BASES = ["https://news.example/feed.xml", "http://news.example/a/b/", "", "ftp://files.example/", "feed.xml"]
# Mostly what links are made of; a few of every character that changes what urllib does with a URL.
SAFE = list("abcxyz0129-._~%/=&+") * 4 + list("شرائح")
RISKY = [*"!$'()*,:@;?#\\[] \t\n\x00\x7fA", "\u00e4", "\u3000"]
AUTHORITY = st.text(alphabet=st.sampled_from(list("abcxyz0129-.") * 12 + list("%:@[]_~\u00e4 ")), max_size=20)
PIECE = st.text(alphabet=st.sampled_from(SAFE), max_size=30)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https"] * 8 + ["HTTP", "Https", "ftp", ""]))
    slashes = draw(st.sampled_from(["://"] * 6 + [":///", ":/", ""]))
    end = draw(st.sampled_from(["", "", "", "/", "/", "?q=1", "#f", "?", "#", ";p"]))
    piece = draw(PIECE)
    for _ in range(draw(st.integers(0, 2))):  # a risky character or two, anywhere
        at = draw(st.integers(0, len(piece)))
        piece = piece[:at] + draw(st.sampled_from(RISKY)) + piece[at:]
    return scheme + slashes + draw(AUTHORITY) + draw(st.sampled_from(["", "/"])) + piece + end


def _unchanged(url: str) -> None:
    for base in BASES:
        assert urljoin(base, url) == url
        assert fp_urls._urljoin(base, url) == url
    assert urlunsplit(urlsplit(url)) == url


@settings(max_examples=600, deadline=None)
@given(urls())
def test_an_accepted_url_is_one_urllib_gives_back_unchanged(url: str) -> None:
    if is_plain_absolute(url):
        _unchanged(url)


@settings(max_examples=300, deadline=None)
@given(urls(), st.sampled_from(BASES))
def test_the_parser_and_the_normalizer_give_what_the_full_path_gives(url: str, base: str) -> None:
    """Whatever the link, with or without the shortcut: the same value (``_absolute`` strips first, so a link
    ending in a wide space is not returned as it came, either way)."""
    fast = (_absolute(url, base), _finish(url, base))
    for module in (normalize, parse_fast):
        module.is_plain_absolute = lambda _url: False  # type: ignore[attr-defined]
    try:
        assert (_absolute(url, base), _finish(url, base)) == fast
    finally:
        for module in (normalize, parse_fast):
            module.is_plain_absolute = is_plain_absolute  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "url",
    [
        "https://aawsat.example/article/5012345/واشنطن-تشدد-قيود-الرقائق",
        "http://wire.example/2026/12/03/hbm?utm_source=rss&id=7#top",
        "https://user:pw@news.example:8443/a/b/",
        "https://news.example",
    ],
)
def test_everyday_article_links_are_plain(url: str) -> None:
    assert is_plain_absolute(url)
    _unchanged(url)


@pytest.mark.parametrize(
    "url",
    [
        "HTTP://news.example/a",  # urllib lowercases the scheme
        "http://news.example/a;jsessionid=1",  # urlparse splits parameters off the path
        "http://news.example/a?",  # an empty query is dropped
        "http://news.example/a#",  # an empty fragment too
        "http:///news.example/a",  # feedparser removes the extra slash
        "http://[::1]/a",  # brackets: urlsplit validates them
        "http://news.example/a b",  # a space: not a link as written
        "http://ex\u00e4mple.example/",  # a non-ASCII host: urlsplit checks its normalization
        "/relative/path",
        "javascript:alert(1)",
    ],
)
def test_urls_urllib_would_touch_are_not(url: str) -> None:
    assert not is_plain_absolute(url)
