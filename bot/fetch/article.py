"""Article pages: fetch once, extract the main text with trafilatura, remember the answer.

Used when a feed entry is only a headline and the matcher needs the story's body. Same fetcher, so
the same caps, limits, retries and SSRF guard apply. Extraction is CPU-bound (lxml), so it runs in a
worker thread. Every failure (HTTP, not HTML, nothing extractable) is ``None``: the caller then
works with what the feed gave. Answers, including ``None``, are cached per URL in a bounded LRU so a
story shared by ten feeds is fetched once, and concurrent asks for one URL share one fetch.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from email.message import Message

import trafilatura

from bot.fetch.errors import FetchError
from bot.fetch.fetcher import Fetcher
from bot.fetch.settings import HTML_ACCEPT

log = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 512
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


class ArticleCache:
    """A bounded LRU of URL → extracted text (or None), with one shared load per URL in flight."""

    def __init__(self, maxsize: int = DEFAULT_CACHE_SIZE) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._entries: OrderedDict[str, str | None] = OrderedDict()
        self._pending: dict[str, asyncio.Task[str | None]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, url: object) -> bool:
        return url in self._entries

    async def get_or_load(self, url: str, load: Callable[[], Awaitable[str | None]]) -> str | None:
        if url in self._entries:
            self._entries.move_to_end(url)
            return self._entries[url]
        task = self._pending.get(url)
        if task is None:
            task = asyncio.ensure_future(load())
            self._pending[url] = task
            task.add_done_callback(lambda done: self._settle(url, done))
        # shield: one impatient caller being cancelled must not cancel the fetch others wait for.
        return await asyncio.shield(task)

    def _settle(self, url: str, task: asyncio.Task[str | None]) -> None:
        self._pending.pop(url, None)
        if task.cancelled() or task.exception() is not None:
            return
        self._entries[url] = task.result()
        self._entries.move_to_end(url)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)


# One cache per fetcher, without a global the fetcher would have to know about: it goes with the fetcher.
_caches: weakref.WeakKeyDictionary[Fetcher, ArticleCache] = weakref.WeakKeyDictionary()


def cache_for(fetcher: Fetcher) -> ArticleCache:
    cache = _caches.get(fetcher)
    if cache is None:
        cache = _caches[fetcher] = ArticleCache()
    return cache


async def fetch_article_text(fetcher: Fetcher, url: str, *, cache: ArticleCache | None = None) -> str | None:
    """The main text of the page at ``url``, or None when it cannot be had. Fetched at most once per cache."""
    chosen = cache if cache is not None else cache_for(fetcher)
    return await chosen.get_or_load(url, lambda: _load(fetcher, url))


async def _load(fetcher: Fetcher, url: str) -> str | None:
    try:
        result = await fetcher.fetch(url, accept=HTML_ACCEPT)
    except FetchError as exc:
        log.info("article fetch failed: %s", exc, extra={"url": url, "code": exc.code})
        return None
    if result.not_modified or not result.body:
        return None
    media_type, charset = _content_type(result.headers.get("content-type", ""))
    if media_type not in _HTML_TYPES:
        log.info("article is %s, not HTML", media_type, extra={"url": url})
        return None
    text = await asyncio.to_thread(_extract, result.body, charset, result.final_url)
    if text is None:
        log.info("no main text found in article", extra={"url": url})
    return text


def _content_type(value: str) -> tuple[str, str | None]:
    message = Message()
    message["content-type"] = value or "application/octet-stream"
    media_type = message.get_content_type().lower() if value else ""
    charset = message.get_param("charset")
    return media_type, charset if isinstance(charset, str) else None


def _extract(body: bytes, charset: str | None, url: str) -> str | None:
    # Decode with the server's declared charset when it names a real one (Arabic sites still serve
    # windows-1256); otherwise trafilatura sniffs <meta charset> and guesses from the bytes.
    document: bytes | str = body
    if charset:
        try:
            document = body.decode(codecs.lookup(charset).name)
        except (LookupError, UnicodeDecodeError):
            document = body
    try:
        text = trafilatura.extract(
            document, url=url, include_comments=False, include_tables=False, favor_precision=True
        )
    except Exception:  # a parser bug on a hostile page must cost this article only
        log.warning("article extraction crashed", exc_info=True, extra={"url": url})
        return None
    text = (text or "").strip()
    return text or None
