"""Plain markup: HTML that every route from a feed's value to our stored text reads alike.

An item's title, summary and content reach the store through two pure-Python HTML parsers: feedparser's
sanitizer (sgmllib, ``bot.parse``) and ``bot.normalize.html_text`` (html.parser). Most values a feed carries
are plain formatting — paragraphs, links, images, emphasis, entities — and for those both parsers are
ceremony: the sanitizer would only drop attributes, which no text shows, and the text is what lies between
the tags. The two parsers were a fifth of a parse worker's time in a 500-feed cycle (issue 14).

``is_plain_markup`` says when a value is such markup: every ``<`` opens a well-formed tag of ``PLAIN_TAGS``
(elements feedparser's sanitizer keeps and ``html_to_text`` neither skips nor treats as raw text), every ``&``
opens a complete character reference (a number, or a name of HTML 4), and there is nothing else — no
comment, CDATA section, declaration or processing instruction, no stray ``<``. Anything else takes the
parsers, as before. ``plain_text`` is the text of plain markup, as html.parser would give it; tests hold
the routes equal on generated markup and on feedparser's corpus (``tests/text/test_plain_markup.py``).
"""

from __future__ import annotations

import html
import html.entities
import re

# Elements whose text both routes keep as it is (block ones mark a line break: ``BLOCK_TAGS``). Not here:
# what the sanitizer drops with its text (script, style, applet), what html_to_text skips (iframe, object,
# noscript, template...), what html.parser reads as raw text (script, style), forms and SVG/MathML.
PLAIN_TAGS = frozenset(
    {"a", "abbr", "acronym", "address", "article", "aside", "b", "big", "blockquote", "br", "caption", "center"}
    | {"cite", "code", "dd", "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font", "footer"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q"}
    | {"s", "samp", "section", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td"}
    | {"tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var"}
)
# html_to_text's line breaks (``bot.normalize.html_text``): a block element's start and end tags.
BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "blockquote"}
    | {"section", "article", "header", "footer", "figure", "figcaption", "pre", "hr"}
)
# Elements with no end tag: the sanitizer drops "</br>", which html.parser would read as a line break.
VOID_TAGS = frozenset({"br", "hr", "img"})


def _alternatives(names: frozenset[str]) -> str:
    # longest first: an alternation takes the first that fits ("b" before "blockquote" would stop early)
    return "|".join(sorted(names, key=lambda n: (-len(n), n)))


_ATTRIBUTE = r"""(?:\s+[A-Za-z_:][-A-Za-z0-9_:.]*(?:\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'<>=`]+))?)"""
_OPEN, _CLOSE = _alternatives(PLAIN_TAGS), _alternatives(PLAIN_TAGS - VOID_TAGS)
_TAG = rf"<(?:(?P<open>{_OPEN})(?:{_ATTRIBUTE})*\s*/?|/(?P<close>{_CLOSE})\s*)>"
_REFERENCE = r"&(?:[A-Za-z][A-Za-z0-9]{0,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});"
# Of named references, HTML 4's names (and apos): the sanitizer rewrites any other, even one HTML5 knows
# ("&AMP;" becomes "&amp;AMP"). Checked apart: 253 names in the pattern cost every process 8 ms to compile.
_NAMED = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_HTML4_NAMES = frozenset([*html.entities.name2codepoint, "apos"])
# Text, plain tags and complete references, one after the other (possessive: never backtracking into a tag),
# tag names in any case. No capturing group inside: CPython 3.11's possessive repeats get their spans wrong.
_UNNAMED_TAG = _TAG.replace("?P<open>", "?:").replace("?P<close>", "?:")
_PLAIN = re.compile(rf"(?:[^<&]++|(?i:{_UNNAMED_TAG})|{_REFERENCE})*+")
_TAGS = re.compile(_TAG, re.IGNORECASE)


def is_plain_markup(value: str) -> bool:
    """True when ``value`` holds only plain tags (``PLAIN_TAGS``, attribute values without ``<`` or ``>``),
    complete character references and text: the sanitizer would change no text of it, and ``plain_text``
    reads it as html.parser would."""
    if _PLAIN.fullmatch(value) is None:
        return False
    return "&" not in value or all(name in _HTML4_NAMES for name in _NAMED.findall(value))


def _mark(m: re.Match[str]) -> str:
    name = m["open"] or m["close"]
    return "\n" if name.lower() in BLOCK_TAGS else ""


def plain_text(value: str) -> str:
    """The text of plain markup (``is_plain_markup``): tags dropped, a line break for each block tag, character
    references decoded — what html.parser hands ``html_to_text``, before its whitespace tidying."""
    return html.unescape(_TAGS.sub(_mark, value))
