"""Article pages: fetch once, extract the main text with trafilatura, remember the answer.

Used when a feed entry is only a headline and the matcher needs the story's body. Same fetcher, so the
same SSRF guard and concurrency limits apply, but tighter limits (``ArticleLimits``): one attempt (a page
that does not answer is not worth three), a short total budget, and a body cap far below a feed's (real
articles are well under 2 MB). Extraction is CPU-bound and trafilatura's cost grows faster than the page
(a 10 MB page took minutes and hundreds of MB), so it is bounded twice: pages above
``ArticleLimits.rich_bytes`` go to a cheap linear extractor (lxml, paragraphs only), and every extraction
runs off the event loop (the given process pool, else a thread), one at a time, given up after
``ArticleLimits.extract_timeout``. Every failure (HTTP, not HTML, too large, too slow, nothing extractable)
is ``None``: the caller then works with what the feed gave. Answers, including ``None``, are cached per
URL in a bounded LRU so a story shared by ten feeds is fetched once, and concurrent asks for one URL
share one fetch.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from email.message import Message

from bot.fetch.errors import FetchError
from bot.fetch.fetcher import Fetcher
from bot.fetch.settings import HTML_ACCEPT

log = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 512
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")
MAX_TEXT_CHARS = 50_000  # of extracted text: the matcher reads the first 20,000
RICH_BYTES = 512 * 1024  # trafilatura up to this size: about a second of CPU at worst (measured)


@dataclass(frozen=True, slots=True)
class ArticleLimits:
    """What one article page may cost. The defaults are meant for production."""

    timeout: float = 8.0  # the whole fetch (every hop and the last byte); one attempt, never retried
    max_bytes: int = 2 * 1024 * 1024  # decoded body; a feed may be 10 MiB, an article page is far smaller
    rich_bytes: int = RICH_BYTES  # above this, the cheap extractor (trafilatura: ~2 s of CPU per MB)
    extract_timeout: float = 10.0  # then the text is given up (the worker finishes on its own)

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.extract_timeout <= 0:
            raise ValueError("ArticleLimits timeouts must be positive")
        if self.max_bytes < 1 or self.rich_bytes < 1:
            raise ValueError("ArticleLimits sizes must be at least 1")


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


async def fetch_article_text(
    fetcher: Fetcher,
    url: str,
    *,
    cache: ArticleCache | None = None,
    limits: ArticleLimits | None = None,
    executor: Executor | None = None,
) -> str | None:
    """The main text of the page at ``url``, or None when it cannot be had. Fetched at most once per cache.

    ``executor``: a process pool for the extraction (the service's CPU pool); None: a worker thread."""
    chosen = cache if cache is not None else cache_for(fetcher)
    return await chosen.get_or_load(url, lambda: _load(fetcher, url, limits or ArticleLimits(), executor))


# One extraction at a time per process: a burst of hostile pages takes one worker, never the whole pool.
_extracting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _extraction_slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slot = _extracting.get(loop)
    if slot is None:
        slot = _extracting[loop] = asyncio.Semaphore(1)
    return slot


async def _load(fetcher: Fetcher, url: str, limits: ArticleLimits, executor: Executor | None) -> str | None:
    try:
        result = await fetcher.fetch(
            url, accept=HTML_ACCEPT, retries=0, total_timeout=limits.timeout, max_bytes=limits.max_bytes
        )
    except FetchError as exc:
        log.info("article fetch failed: %s", exc, extra={"url": url, "code": exc.code})
        return None
    if result.not_modified or not result.body:
        return None
    media_type, charset = _content_type(result.headers.get("content-type", ""))
    if media_type not in _HTML_TYPES:
        log.info("article is %s, not HTML", media_type, extra={"url": url})
        return None
    rich = len(result.body) <= limits.rich_bytes
    job = (_extract if rich else _extract_plain, result.body, charset, result.final_url)
    try:
        text = await _run_extraction(job, executor, limits.extract_timeout)
    except TimeoutError:
        log.warning(
            "article extraction gave up after %.0fs (%d bytes)",
            limits.extract_timeout,
            len(result.body),
            extra={"url": url},
        )
        return None
    except Exception:  # a dead pool worker, say: this article only
        log.warning("article extraction failed", exc_info=True, extra={"url": url})
        return None
    if text is None:
        log.info("no main text found in article", extra={"url": url})
    return text


async def _run_extraction(
    job: tuple[Callable[[bytes, str | None, str], str | None], bytes, str | None, str],
    executor: Executor | None,
    within: float,
) -> str | None:
    """Run one extraction off the loop within ``within`` seconds (waiting for the slot included). The slot is freed
    when the extraction really ends, not when we stop waiting: a runaway page never has company."""
    slot = _extraction_slot()
    async with asyncio.timeout(within):
        await slot.acquire()
        try:
            loop = asyncio.get_running_loop()
            extract, body, charset, url = job
            future = asyncio.ensure_future(
                loop.run_in_executor(executor, extract, body, charset, url)
                if executor is not None
                else asyncio.to_thread(extract, body, charset, url)
            )
        except BaseException:
            slot.release()
            raise
        future.add_done_callback(lambda _: slot.release())
        return await asyncio.shield(future)


def _content_type(value: str) -> tuple[str, str | None]:
    message = Message()
    message["content-type"] = value or "application/octet-stream"
    media_type = message.get_content_type().lower() if value else ""
    charset = message.get_param("charset")
    return media_type, charset if isinstance(charset, str) else None


def _decoded(body: bytes, charset: str | None) -> bytes | str:
    # Decode with the server's declared charset when it names a real one (Arabic sites still serve
    # windows-1256); otherwise the parser sniffs <meta charset> and guesses from the bytes.
    if charset:
        try:
            return body.decode(codecs.lookup(charset).name)
        except (LookupError, UnicodeDecodeError):
            return body
    return body


_SKIPPED = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "svg")
_BLOCKS = ("p", "h1", "h2", "h3", "li", "blockquote", "pre")


def _extract_plain(body: bytes, charset: str | None, url: str) -> str | None:
    """A large page's text in time and memory linear in its size: the paragraphs, outside navigation.

    Not as clean as trafilatura (no boilerplate scoring), but a page this large is rare and the matcher
    only needs the words."""
    import lxml.html  # here, not at the top: a poll with no thin item never reads a page

    try:
        root = lxml.html.document_fromstring(_decoded(body, charset))
    except ValueError:  # a str with an XML encoding declaration: let lxml read the bytes
        try:
            root = lxml.html.document_fromstring(body)
        except Exception:
            return None
    except Exception:  # empty or unparsable: no text, not a crash
        return None
    for element in list(root.iter(*_SKIPPED)):
        if element.getparent() is not None:
            element.drop_tree()
    parts: list[str] = []
    size = 0
    for element in root.iter(*_BLOCKS):
        line = " ".join(element.text_content().split())
        if len(line) < 25:  # menus, bylines, "Share"
            continue
        parts.append(line)
        size += len(line) + 1
        if size >= MAX_TEXT_CHARS:
            break
    text = "\n".join(parts).strip()
    return text[:MAX_TEXT_CHARS] or None


def _extract(body: bytes, charset: str | None, url: str) -> str | None:
    import trafilatura  # ~0.1 s to import: paid by the first page read, not by every start

    document = _decoded(body, charset)
    try:
        text = trafilatura.extract(
            document, url=url, include_comments=False, include_tables=False, favor_precision=True
        )
    except Exception:  # a parser bug on a hostile page must cost this article only
        log.warning("article extraction crashed", exc_info=True, extra={"url": url})
        return None
    text = (text or "").strip()
    return text[:MAX_TEXT_CHARS] or None
