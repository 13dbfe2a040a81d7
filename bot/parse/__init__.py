"""Parse stage: bytes we fetched → feedparser → ``RawEntry``.

feedparser only ever sees bytes (a string argument could make it open files or URLs itself), and its
dictionaries never leave this package: ``RawEntry`` carries the few fields the normalize stage needs.

Errors (each with a stable ``code``, written on the feed row like a fetch failure)::

    ParseError
    ├── NotAFeedError      not_a_feed       the body holds no feed (an HTML page, an empty document)
    └── BrokenFeedError    parse_error      feedparser itself raised on this body
                           normalize_error  our normalize or match stage raised on this feed's entries
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser
from feedparser.sanitizer import _sanitize_html

from bot.parse import speedups  # noqa: F401 (feedparser's URL joins memoized at import)
from bot.parse.charrefs import repair_char_refs
from bot.parse.fast import read_simple
from bot.parse.pacing import document_ask
from bot.text.markup import is_plain_markup

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class RawEntry:
    guid: str | None
    link: str | None
    title_html: str
    summary_html: str
    content_html: str  # the longest content block
    published: datetime | None  # UTC, as the feed says (may be absurd; normalize decides)
    source_href: str | None  # aggregators (Google News) name the publisher here
    source_title: str | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None  # xml:lang of the entry, when declared


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    link: str | None
    entries: tuple[RawEntry, ...]
    encoding: str | None
    bozo: bool
    bozo_reason: str | None = None
    version: str | None = None
    warnings: tuple[str, ...] = field(default=())
    ask: tuple[float, str] | None = None  # (seconds, source) the channel's <ttl> or sy:updatePeriod asks for


class ParseError(ValueError):
    """A feed body we could not turn into entries; ``code`` is stored on the feed row."""

    code = "parse_error"


class NotAFeedError(ParseError):
    """The body holds no feed at all (an HTML page, an empty or broken document)."""

    code = "not_a_feed"


class BrokenFeedError(ParseError):
    """A stage raised on this feed's content. The message names the stage and the exception, never item text."""

    def __init__(self, message: str, code: str = "parse_error") -> None:
        super().__init__(message, code)
        self.code = code

    def __str__(self) -> str:
        return str(self.args[0])

    @classmethod
    def of(cls, stage: str, exc: BaseException, code: str = "parse_error") -> BrokenFeedError:
        # The exception's own words can quote the offending text: only its first line, shortened.
        detail = (str(exc).splitlines() or [""])[0][:120]
        # stored on the feed row: no lone surrogate or NUL that a database would refuse
        detail = detail.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
        return cls(f"{stage} failed on this feed: {type(exc).__name__}" + (f" ({detail})" if detail else ""), code)


def _when(struct: time.struct_time | None) -> datetime | None:
    if not struct:
        return None
    try:
        return datetime(*struct[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _text(entry: Any, key: str) -> str:
    value = entry.get(key)
    return value if isinstance(value, str) else ""


def _clean(value: str) -> str:
    """feedparser's HTML sanitizer, run only on text that holds markup it could change the text of.

    We parse with ``sanitize_html=False``: feedparser would otherwise run its sanitizer over every
    title, summary and content block, markup or not — a fifth of its parse time on a typical feed. A
    value without ``<`` has no element or attribute to remove (entities are decoded by ``html_to_text``
    and everything is escaped again at render). Nor has plain markup (``bot.text.markup``: formatting tags,
    links, images) any text the sanitizer would drop: it would only remove attributes, which the stored
    text never holds. Only the rest — scripts, comments, unknown elements, broken tags — pays for it.
    """
    return value if "<" not in value or is_plain_markup(value) else _sanitized(value)


def _sanitized(value: str) -> str:
    """feedparser's sanitizer on a value holding markup. A feed's own title takes it always, plain or not: the
    title is stored as it is, markup included (``feeds.mark_polled_many``)."""
    return _sanitize_html(value, "utf-8", "text/html") if "<" in value else value


def _entry(e: Any) -> RawEntry:
    contents = [_clean(c.get("value") or "") for c in e.get("content", []) if isinstance(c, Mapping)]
    source = e.get("source") if isinstance(e.get("source"), Mapping) else {}
    authors = tuple(
        a["name"] for a in e.get("authors", []) if isinstance(a, Mapping) and isinstance(a.get("name"), str)
    )
    detail = e.get("title_detail") if isinstance(e.get("title_detail"), Mapping) else {}
    return RawEntry(
        guid=(_text(e, "id") or None),
        link=(_text(e, "link") or None),
        title_html=_clean(_text(e, "title")),
        summary_html=_clean(_text(e, "summary")),
        content_html=max(contents, key=len, default=""),
        published=_when(e.get("published_parsed") or e.get("updated_parsed")),
        source_href=(source.get("href") or None) if isinstance(source.get("href"), str) else None,
        source_title=(source.get("title") or None) if isinstance(source.get("title"), str) else None,
        authors=authors,
        language=detail.get("language") if isinstance(detail.get("language"), str) else None,
    )


def _parsed_feed(
    feed: Mapping[str, Any],
    entries: Sequence[Mapping[str, Any]],
    encoding: str | None,
    *,
    bozo: bool = False,
    bozo_reason: str | None = None,
    version: str | None = "rss20",
) -> ParsedFeed:
    """Our ``ParsedFeed`` of feedparser-shaped dictionaries: feedparser's own, or the fast path's
    (``bot.parse.fast``, whose documents are well-formed RSS 2.0: the defaults)."""
    link = feed.get("link")
    return ParsedFeed(
        # the feed's own title is stored as it is (``feeds.mark_polled_many``): no NUL, control or lone surrogate
        title=_CONTROL.sub("", _sanitized(_text(feed, "title"))).strip() or None,
        link=link if isinstance(link, str) and link else None,
        entries=tuple(_entry(e) for e in entries),
        encoding=encoding,
        bozo=bozo,
        bozo_reason=bozo_reason,
        version=version,
        ask=document_ask(feed),
    )


def parse_feed(
    body: bytes, *, url: str, headers: Mapping[str, str] | None = None, fast_path: bool = True
) -> ParsedFeed:
    """Parse ``body`` fetched from ``url``. Entries feedparser could read from ill-formed XML are kept.

    Raises ``NotAFeedError`` when nothing feed-like is found, ``BrokenFeedError`` when feedparser raises.
    ``fast_path=False`` always asks feedparser (the tests that hold the two readers equal).
    """
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers.setdefault("content-location", url)
    # file:// and some servers send no type; the XML declaration then decides the encoding.
    response_headers.setdefault("content-type", "application/xml")
    # resolve_relative_uris only rewrites links inside content markup, which html_to_text discards; item
    # links are still resolved against xml:base by feedparser and against the feed URL by bot.normalize.
    body = repair_char_refs(body)
    try:
        # the common feed, read with lxml exactly as feedparser would read it (``bot.parse.fast``)
        simple = read_simple(body, url=url, headers=response_headers, build=_parsed_feed) if fast_path else None
    except Exception as exc:  # as feedparser's own failures: one feed's loss
        raise BrokenFeedError.of("parsing", exc) from exc
    if simple is not None:
        return simple
    try:
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers=response_headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
        reason = str(parsed.get("bozo_exception")) if parsed.bozo else None
        out = _parsed_feed(
            parsed.feed,
            parsed.entries,
            parsed.get("encoding"),
            bozo=bool(parsed.bozo),
            bozo_reason=reason,
            version=parsed.get("version") or None,
        )
    except Exception as exc:  # feedparser's fallback paths raise on inputs we have not met yet: one feed's loss
        raise BrokenFeedError.of("parsing", exc) from exc
    if not out.entries and not out.version and not out.title:
        raise NotAFeedError(f"no feed found in the response ({reason or 'unknown format'})")
    return out
