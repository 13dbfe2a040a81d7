"""Markup → plain text for storage and display.

A small stdlib ``HTMLParser`` rather than BeautifulSoup or lxml: feedparser has already sanitized the
markup, and all we need is text with block boundaries kept as line breaks and entities decoded.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
    "figure",
    "figcaption",
    "pre",
    "hr",
}
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
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
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
    else:
        parser = _Stripper()
        try:
            parser.feed(markup)
            parser.close()
            text = "".join(parser.parts)
        except Exception:  # malformed beyond what HTMLParser tolerates: fall back to a crude strip
            text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    return _LINES.sub("\n", text).strip()


def one_line(text: str) -> str:
    return " ".join(text.split())
