"""A feed's link made safe to put in a chat: http(s) only, or no link at all.

Feeds write whatever they like in a link. A ``javascript:`` or ``data:`` URL must never become a link, and
a URL with whitespace or control characters inside is not one a browser would follow as written (a host
with a space, a line break from a broken feed): it is shown without a link. Telegram's HTML escapes the
value of ``href`` itself; Discord's markdown link ends at the first ``)``, so ``markdown_url`` also
percent-quotes what would end it early.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

MAX_URL = 1024  # longer links are shown without a link rather than risking a platform's refusal
MAX_MARKDOWN_URL = 500  # longer is a tracking monster (Discord); the title link is enough
# What stays as is in a markdown link: reserved delimiters and "%" (already quoted), not ( ) [ ] < > " or spaces.
_MARKDOWN_SAFE = ":/?#@!$&'*+,;=%~-._"
# An absolute http(s) URL that urllib's joins and splits give back unchanged (``is_plain_absolute``).
_PLAIN_ABSOLUTE = re.compile(
    r"https?://"  # urllib lowercases any other spelling of the scheme
    r"[A-Za-z0-9\-._~%!$&'()*+,=:@]+"  # an ASCII authority, no brackets: urlsplit checks nothing more there
    r"(?:/[^\x00-\x20\x7f;?#\\]*)?"  # a path without parameters (";"), which urlparse splits off
    r"(?:\?[^\x00-\x20\x7f#]+)?"  # a query, not empty (an empty one is dropped)
    r"(?:#[^\x00-\x20\x7f]+)?\Z"  # a fragment, likewise
)


def is_plain_absolute(url: str) -> bool:
    """True when ``url`` is an absolute http(s) URL that ``urljoin`` against any base, and ``urlsplit`` then
    ``urlunsplit``, return unchanged: a parser may then skip them. Almost every item link and GUID a feed
    carries is one; those joins and splits were ~10 % of a parse worker's time in a 500-feed cycle."""
    return _PLAIN_ABSOLUTE.match(url) is not None


def safe_url(url: str | None, *, max_length: int | None = MAX_URL) -> str | None:
    """The URL (trimmed) if it is a plain http(s) link with a host, at most ``max_length`` long, else None."""
    if not url:
        return None
    url = url.strip()
    if max_length is not None and len(url) > max_length:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return url


def markdown_url(url: str | None, *, max_length: int = MAX_MARKDOWN_URL) -> str | None:
    """``safe_url``, percent-quoted for a markdown link or a Discord embed (which refuses the whole message
    for a bad URL); None when the quoted URL is longer than ``max_length``."""
    checked = safe_url(url, max_length=None)
    if checked is None:
        return None
    quoted = quote(checked, safe=_MARKDOWN_SAFE)
    return quoted if len(quoted) <= max_length else None
