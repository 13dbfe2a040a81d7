"""Markup → plain text for storage and display.

A small stdlib ``HTMLParser`` rather than BeautifulSoup or lxml: all we need is text with block boundaries
kept as line breaks and entities decoded. Plain markup (``bot.text.markup``: formatting tags, links, images,
complete references — most of what feeds carry) skips the parser: its text is what lies between the tags.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from bot.text.markup import BLOCK_TAGS, is_plain_markup, plain_text

_SKIP = {"script", "style", "template", "noscript", "iframe", "object"}
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")
# Control characters (other than tab/newline) and lone surrogates never belong in stored text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class _Stripper(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Plain text of ``markup``: tags dropped, entities decoded, whitespace tidied, paragraphs kept."""
    if not markup:
        return ""
    if "<" not in markup:
        text = html.unescape(markup)
    elif is_plain_markup(markup):
        text = plain_text(markup)
    else:
        text = parsed_text(markup)
    return tidy(text)


def parsed_text(markup: str) -> str:
    """The text html.parser finds in ``markup`` (any markup), before ``tidy``."""
    parser = _Stripper()
    try:
        parser.feed(markup)
        parser.close()
        return "".join(parser.parts)
    except Exception:  # malformed beyond what HTMLParser tolerates: fall back to a crude strip
        return html.unescape(re.sub(r"<[^>]*>", " ", markup))


def tidy(text: str) -> str:
    """No control characters, runs of spaces made one, blank lines and the ends' whitespace gone."""
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    return _LINES.sub("\n", text).strip()


def one_line(text: str) -> str:
    return " ".join(text.split())
