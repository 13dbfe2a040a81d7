"""``is_plain_markup``: markup it accepts reads the same by every route — the text ``plain_text`` finds is
what html.parser finds, and what it finds after feedparser's sanitizer — so ``bot.parse`` may skip the
sanitizer and ``html_to_text`` the parser. Generated markup mixes plain tags with everything that must not
pass (scripts, comments, CDATA, stray ``<`` and ``&``, unknown and skipped elements)."""

from __future__ import annotations

import pytest
from feedparser.sanitizer import _sanitize_html
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.normalize import html_text
from bot.normalize.html_text import html_to_text, parsed_text, tidy
from bot.parse import _clean
from bot.text.markup import BLOCK_TAGS, PLAIN_TAGS, VOID_TAGS, is_plain_markup, plain_text

TEXT = st.text(
    alphabet=st.sampled_from([*"ab z", "\n", "\t", "\r", ">", "=", '"', "'", "/", *"رقائق", "\u00a0", "\u200f", ";"]),
    max_size=12,
)
REFERENCES = ["&amp;", "&lt;", "&gt;", "&nbsp;", "&quot;", "&apos;", "&#8217;", "&#x202B;", "&#0;", "&#xD800;"]
REFERENCES += ["&eacute;", "&Eacute;", "&#150;", "&#x96;", "&#1114112;", "&#X41;"]
RISKY = ["<", "&", "&amp", "&#", "&nosuch;", "&AMP;", "&#99999999;", "&bull", "<!-- c -->", "<![CDATA[x]]>"]
RISKY += ["<!DOCTYPE x>", "<?pi x?>", "</>", "< p>", "<p", "<br/ >"]
RISKY += ["<script>s()</script>", "<style>p{}</style>", "<iframe>f</iframe>", "<noscript>n</noscript>", "<svg>v</svg>"]
RISKY += ["<unknown>u</unknown>", "<p-x>", "<a href='x>y'>", "<textarea>t</textarea>", "<title>t</title>"]
RISKY += ["</br>", "</HR>", "</img>"]
TAGS = [*sorted(PLAIN_TAGS), "B", "P", "Br", "IMG"]
ATTRIBUTES = [
    ' href="https://news.example/a?b=1&amp;c=2"',
    " href='/x?a=1&b=2'",
    " src=pic.jpg",
    ' class="lead"',
    ' style="color: red"',
    " onclick=\"alert('x')\"",
    ' data-id="7"',
    " hidden",
    ' title = "a / b"',
    ' alt=""',
]


@st.composite
def tag(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(TAGS))
    if draw(st.booleans()) and name.lower() not in VOID_TAGS:
        return f"</{name}{draw(st.sampled_from(['', ' ']))}>"
    attributes = "".join(draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=3)))
    return f"<{name}{attributes}{draw(st.sampled_from(['', ' ', '/', ' /']))}>"


def markup(risky: bool) -> st.SearchStrategy[str]:
    pieces = [TEXT, tag(), st.sampled_from(REFERENCES)] + ([st.sampled_from(RISKY)] if risky else [])
    return st.lists(st.one_of(*pieces), max_size=14).map("".join)


def _same_by_every_route(value: str) -> None:
    fast = tidy(plain_text(value))
    assert fast == tidy(parsed_text(value))
    assert fast == tidy(parsed_text(_sanitize_html(value, "utf-8", "text/html")))
    assert html_to_text(value) == html_to_text(_clean(value)) == fast


@settings(max_examples=700, deadline=None)
@given(markup(risky=False))
def test_plain_markup_reads_the_same_by_every_route(value: str) -> None:
    assert is_plain_markup(value)
    _same_by_every_route(value)


@settings(max_examples=700, deadline=None)
@given(markup(risky=True))
def test_whatever_it_accepts_reads_the_same_and_the_rest_still_takes_the_parsers(value: str) -> None:
    if is_plain_markup(value):
        _same_by_every_route(value)
    else:
        # (a value without "<" was never sanitized: it has no element or attribute to remove)
        assert _clean(value) == (_sanitize_html(value, "utf-8", "text/html") if "<" in value else value)
        assert html_to_text(value) == tidy(parsed_text(value))


@pytest.mark.parametrize(
    "value",
    [
        "<p>a</p><script>x()</script>",  # the sanitizer drops the script's text; html.parser reads it raw
        "<p>a <!-- note --> b</p>",
        "a < b",
        "AT&T",  # an "&" that opens no complete reference
        "&amp",
        "<![CDATA[<p>x</p>]]>",
        "<iframe>fallback</iframe>",
        "<noscript>enable it</noscript>",
        "<p class='a>b'>x</p>",
        "<svg><text>x</text></svg>",
        "a</br>b",  # the sanitizer drops an end tag of an element that has none; html.parser breaks the line
    ],
)
def test_what_either_parser_could_read_differently_is_not_plain(value: str) -> None:
    assert not is_plain_markup(value)


def test_the_common_description_of_a_feed_is_plain() -> None:
    value = (
        '<p><img src="https://cdn.example/a.jpg" alt="" width="300" /></p><p>Washington tightened&nbsp;the'
        ' rules on <a href="https://news.example/x?id=1&amp;s=rss" target="_blank" rel="noopener">HBM</a> exports'
        " &#8212; officials said.</p><p>The post <a href='https://news.example/x'>X</a> appeared first on Y.</p>"
    )
    assert is_plain_markup(value)
    assert html_to_text(value) == (
        "Washington tightened the rules on HBM exports \u2014 officials said.\nThe post X appeared first on Y."
    )


def test_block_tags_are_plain_tags_and_no_plain_tag_is_one_html_to_text_skips() -> None:
    assert BLOCK_TAGS <= PLAIN_TAGS
    assert not PLAIN_TAGS & html_text._SKIP
