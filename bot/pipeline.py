"""``refresh_feed()``: one feed, top to bottom.

fetch → not modified? → parse → normalize → match → store (what is new) → stories → alerts → feed state.

Every failure is classified once (``bot.fetch.FetchError`` codes, ``not_a_feed``, ``storage``) and written
on the feed row; one feed's failure never reaches another feed or the cycle.
"""

from __future__ import annotations

import asyncio
import logging
import random
from asyncio import Semaphore
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.analyze import Analysis, Features, analyze, judge, lexicon_key
from bot.config import FeedsFile
from bot.deliver.alertable import Alertable
from bot.fetch import Fetcher, FetchError
from bot.fetch.article import ArticleCache
from bot.fetch.pacing import Ask, Pacing, header_ask, pace
from bot.fetch.result import FetchResult
from bot.ingest.job import Classifier, PollMark, StoredBatch, StoreJob
from bot.ingest.store import store_jobs
from bot.lease import holding
from bot.log import REDACT
from bot.normalize import Item
from bot.parse import ParseError
from bot.second_look import SecondLook
from bot.stories.assign import StoryIndex
from bot.text.mojibake import GARBLED_TEXT
from bot.writer import BatchWriter
from storage.db import session
from storage.errors import describe_db_error
from storage.feeds import get_feed, list_feeds, record_failure
from storage.leases import FeedClaim
from storage.tables import Feed

log = logging.getLogger("raqib.pipeline")
T = TypeVar("T")

Clock = Callable[[], datetime]
AlertHook = Callable[[Sequence["Alertable"]], Awaitable[None]]
StoryHook = Callable[[set[int]], Awaitable[None]]  # stories that gained members or were corrected


@dataclass
class FeedResult:
    feed_id: str
    status: str  # "new" | "unchanged" | "not_modified" | "failed" | "skipped"
    new: int = 0
    updated: int = 0
    entries: int = 0
    relevant: int = 0
    new_stories: int = 0
    error_code: str | None = None
    error: str | None = None
    disabled: bool = False
    alerts: list[Alertable] = field(default_factory=list)
    pacing: Pacing | None = None  # a successful poll's interval until the next one, and the feed's ask behind it
    warning: str | None = None  # a successful poll's health problem (garbled text), also on the feed row

    def as_dict(self) -> dict[str, object]:
        return {
            "feed": self.feed_id,
            "status": self.status,
            "new": self.new,
            "updated": self.updated,
            "entries": self.entries,
            "relevant": self.relevant,
            "error_code": self.error_code,
            "error": self.error,
            "disabled": self.disabled,
            "warning": self.warning,
            **_pacing_dict(self.pacing),
        }


def _pacing_dict(pacing: Pacing | None) -> dict[str, object]:
    """``poll --once --json``: the interval until the next poll, and what the feed asked (seconds, source)."""
    if pacing is None:
        return {}
    ask = pacing.ask
    return {
        "interval": pacing.interval,
        "feed_asks": None if ask is None else {"seconds": ask.seconds, "source": ask.source},
    }


def _utcnow() -> datetime:
    return datetime.now(UTC)


# url, etag, last_modified, language, first poll, consecutive failures, authority, the document's stored ask
FeedState = tuple[str, str | None, str | None, str, bool, int, bool, Ask | None]


def _feed_state(feed: Feed | None) -> FeedState | str:
    """What a refresh needs of the feed row, or why it is not polled."""
    if feed is None or not feed.enabled:
        return (feed.disabled_reason or "disabled") if feed else "unknown feed"
    return (
        feed.url,
        feed.etag,
        feed.last_modified,
        feed.language,
        feed.polls == 0,
        feed.consecutive_failures,
        feed.authority,
        Ask(feed.document_asks, feed.document_asks_by) if feed.document_asks and feed.document_asks_by else None,
    )


def warm_up_writer() -> None:
    """Build what the writer builds on its first relevant item — the normalizer's tables and the story terms'
    patterns, ~0.7 s of CPU on a slow machine — before the first cycle instead of on its critical path (the
    single writer). The service runs it at start, as the parse workers build their lexicon (``bot.analyze.warm_up``)."""
    from bot.match.normalizer import normalize_text
    from bot.stories.terms import term_weight

    normalize_text("warm up")
    term_weight("warm up")


START_SLICE = 10  # feeds a cycle starts per turn of the event loop (``Pipeline.poll_once``)
STAGED_BATCHES = 2  # feeds analysed and not yet stored, in writer batches (``Pipeline._staged``)


@dataclass
class Pipeline:
    engine: Engine
    fetcher: Fetcher
    config: FeedsFile
    clock: Clock = _utcnow
    rng: random.Random = field(default_factory=random.Random)
    on_alerts: AlertHook | None = None
    classifier: Classifier | None = None  # default: bot.match.classify
    story_index: StoryIndex = field(default_factory=StoryIndex)
    claim: FeedClaim | None = None  # in the service: take each feed (a lease) before polling it
    cpu: Executor | None = None  # a process pool for parse → normalize → match; None: a thread
    articles: ArticleCache = field(default_factory=ArticleCache)
    on_story_update: StoryHook | None = None
    # Storage goes through one writer that batches whatever feeds finished meanwhile into one transaction.
    writer: BatchWriter[StoreJob, StoredBatch] = field(init=False, repr=False)
    # Article pages of thin items: a few slots shared fairly between feeds (``bot.second_look``).
    second_look: SecondLook = field(init=False, repr=False)
    _stage: tuple[object, Semaphore | None] = field(init=False, repr=False, default=(None, None))

    def __post_init__(self) -> None:
        self.writer = BatchWriter(self._write, max_jobs=100, max_weight=3000, weight=lambda j: len(j.items) + 1)
        self.second_look = SecondLook.of(self.engine, self.fetcher, self.articles, self.config.settings)

    def _staged(self) -> Semaphore:
        """Room for one more feed between analysis and commit: two of the writer's batches, as many as it can
        use (one being written, one queued). Made per event loop: a pipeline outlives the loops of tests."""
        loop, staged = asyncio.get_running_loop(), self._stage[1]
        if staged is None or self._stage[0] is not loop:
            staged = Semaphore(STAGED_BATCHES * self.writer.max_jobs)
            self._stage = (loop, staged)
        return staged

    def _write(self, jobs: list[StoreJob]) -> list[StoredBatch | Exception]:
        return store_jobs(self.engine, jobs, config=self.config, story_index=self.story_index)

    def _interval(self, feed_id: str) -> float:
        spec = self.config.feed(feed_id)
        return self.config.interval(spec) if spec else self.config.settings.default_interval

    @property
    def _owner(self) -> str | None:
        return self.claim.owner if self.claim is not None else None

    def _pacing(self, interval: float, headers: Mapping[str, str], document: Ask | None, now: datetime) -> Pacing:
        """The interval until the next poll: what the feed asks (headers, document), within our bounds."""
        asks = (header_ask(headers, now=now), document)
        return pace(interval, self.config.settings.max_feed_interval, asks)

    def _backoff(self, failures: int, interval: float) -> float:
        """Failing feeds wait longer each time (capped), with jitter so they don't retry in step."""
        base = min(interval * (2 ** min(failures, 16)), self.config.settings.max_backoff)
        return base * (0.75 + 0.5 * self.rng.random())

    async def refresh_feed(self, feed_id: str, state: FeedState | str | None = None) -> FeedResult:
        """Poll one feed. ``state``: the feed's row as ``_states`` read it (``poll_once`` reads all at once);
        read here when not given (and always after the claim, when the service leases feeds)."""
        if self.claim is not None:
            claimed = await asyncio.to_thread(self.claim, feed_id, self.clock())
            if not claimed:
                return FeedResult(feed_id, "skipped", error="not due, or polled by another worker")
            async with holding(self.claim, feed_id, self.clock):
                return await self._refresh(feed_id, None)
        return await self._refresh(feed_id, state)

    async def _refresh(self, feed_id: str, state: FeedState | str | None) -> FeedResult:
        if state is None:
            state = await asyncio.to_thread(self._state, feed_id)
        if isinstance(state, str):
            return FeedResult(feed_id, "skipped", error=state)
        url, etag, modified, _language, _first_poll, failures, _authority, document_ask = state
        interval = self._interval(feed_id)
        now = self.clock()

        try:
            fetched = await self.fetcher.fetch(url, etag=etag, last_modified=modified)
        except FetchError as exc:
            return await self._fail(feed_id, exc.code, str(exc), failures, interval, exc.retry_after)

        if fetched.not_modified:
            if fetched.permanent_url:
                log.info("feed %s moved permanently to %s", feed_id, fetched.permanent_url)
            # A 304 carries the headers a 200 would (RFC 9110 15.4.5), and the document is the one we have:
            # its stored ask still holds.
            pacing = self._pacing(interval, fetched.headers, document_ask, now)
            mark = PollMark(
                pacing.interval, etag, modified, fetched.permanent_url, None, pacing, document_ask, self._owner
            )
            await self.writer.submit(StoreJob.polled_only(feed_id, now, mark))
            return FeedResult(feed_id, "not_modified", pacing=pacing)

        # Feeds between their analysis and their commit are bounded: when storing is slower than parsing
        # (a flood of items about the field), analyses would otherwise pile up in memory for the writer.
        async with self._staged():
            return await self._analyse_and_store(feed_id, fetched, state, now, interval)

    async def _analyse_and_store(
        self, feed_id: str, fetched: FetchResult, state: FeedState, now: datetime, interval: float
    ) -> FeedResult:
        """parse → normalize → match in the CPU stage, then the writer: the rest of ``refresh_feed`` for a 200."""
        _url, _etag, _modified, language, first_poll, failures, authority, _ask = state
        analysis_job = partial(
            analyze,
            fetched.body,
            url=fetched.final_url,
            headers=dict(fetched.headers),
            feed_id=feed_id,
            language=language,
            fetched=now,
            lexicon=lexicon_key(self.config.lexicon),
            classifier=self.classifier,
        )
        try:
            analysis = await self._on_cpu(analysis_job)
        except ParseError as exc:  # not_a_feed, parse_error, normalize_error (bot.parse)
            return await self._fail(feed_id, exc.code, str(exc), failures, interval)
        except Exception as exc:  # e.g. a broken worker pool: still this poll's failure, recorded on the row
            log.exception("parse stage of %s failed", feed_id)
            reason = f"parse stage failed: {type(exc).__name__}"
            return await self._fail(feed_id, "parse_error", reason, failures, interval)
        if self.config.settings.second_look:
            pages = self.config.settings.article_pages_per_poll
            analysis = await self.second_look(feed_id, analysis, pages=pages, judge=self._judge, executor=self.cpu)
        if analysis.bozo_reason:
            log.info("feed %s is ill-formed (%s); kept %d entries", feed_id, analysis.bozo_reason, analysis.entries)

        if fetched.permanent_url:
            log.info("feed %s moved permanently to %s", feed_id, fetched.permanent_url)
        document_ask = Ask(*analysis.ask) if analysis.ask else None
        pacing = self._pacing(interval, fetched.headers, document_ask, now)
        job = StoreJob(
            feed_id,
            now,
            analysis.items,
            analysis.verdicts,
            analysis.features,
            analysis.canonical,
            first_poll=first_poll,
            authority=authority,
            # the feed's new validators commit with its items: a crash in between cannot skip them
            polled=PollMark(
                pacing.interval,
                fetched.etag,
                fetched.last_modified,
                fetched.permanent_url,
                analysis.title,
                pacing,
                document_ask,
                self._owner,
            ),
        )
        try:
            stored = await self.writer.submit(job)
        except Exception as exc:  # the database is a dependency like the network: record, never crash
            reason = describe_db_error(exc)  # never the statement's parameters: they hold the feed's text
            log.error("storing items of %s failed: %s", feed_id, reason)
            return await self._fail(feed_id, "storage", reason, failures, interval)

        result = FeedResult(
            feed_id,
            "new" if stored.new else "unchanged",
            new=stored.new,
            updated=stored.updated,
            entries=analysis.entries,
            relevant=stored.relevant,
            new_stories=stored.new_stories,
            alerts=stored.alerts,
            pacing=pacing,
            warning=await self._charset_health(feed_id, analysis),
        )
        if stored.alerts and self.on_alerts is not None:
            await self.on_alerts(stored.alerts)
        if stored.grown_stories and self.on_story_update is not None:
            await self.on_story_update(stored.grown_stories)
        return result

    async def _charset_health(self, feed_id: str, analysis: Analysis) -> str | None:
        """Log what was read in another charset or repaired; put garbled text on the feed's health.

        The warning goes where failures go (``last_error_code``/``last_error``, shown by ``/feeds`` and
        ``raqib feeds check``) without counting as a failure: the feed was polled and its items stored.
        The next successful poll clears it, as it clears any error.
        """
        if analysis.charset:
            log.info("feed %s: %s; read as such", feed_id, analysis.charset)
        if analysis.repaired:
            log.info("feed %s: the text of %d items was mojibake, repaired", feed_id, analysis.repaired)
        if not analysis.garbled:
            return None
        warning = (
            f"{analysis.garbled} of {len(analysis.items)} items have garbled text, stored but never alerted:"
            f" {analysis.garbled_reason} — check the feed's charset"
        )
        log.warning("feed %s: %s", feed_id, warning)

        def write() -> None:
            with session(self.engine) as s:
                feed = get_feed(s, feed_id)
                if feed is not None:
                    feed.last_error_code, feed.last_error = GARBLED_TEXT, warning
                    s.add(feed)
                    s.commit()

        try:
            await asyncio.to_thread(write)
        except Exception:  # the items are stored; a lost warning is logged above
            log.exception("could not record the garbled text of %s", feed_id)
        return warning

    async def _on_cpu(self, job: Callable[[], T]) -> T:
        """The CPU stage's work in the process pool, else (tests' classifiers, small runs) in a thread."""
        if self.cpu is not None and self.classifier is None:
            return await asyncio.get_running_loop().run_in_executor(self.cpu, job)
        return await asyncio.to_thread(job)

    async def _judge(self, items: Sequence[Item]) -> tuple[dict[str, Any], Features]:
        """The second look's items judged as ``analyze`` judges a feed's (``bot.analyze.judge``)."""
        return await self._on_cpu(partial(judge, list(items), lexicon_key(self.config.lexicon), self.classifier))

    def _state(self, feed_id: str) -> FeedState | str:
        with session(self.engine) as s:
            return _feed_state(get_feed(s, feed_id))

    def _states(self, feed_ids: Sequence[str] | None) -> dict[str, FeedState | str]:
        """Every feed's state in one query (default: every enabled feed) rather than one per feed."""
        with session(self.engine) as s:
            if feed_ids is None:
                return {f.id: _feed_state(f) for f in list_feeds(s) if f.enabled}
            feeds: dict[str, Feed] = {}
            for i in range(0, len(feed_ids), 500):
                stmt = select(Feed).where(col(Feed.id).in_(list(feed_ids[i : i + 500])))
                feeds.update({f.id: f for f in s.exec(stmt).all()})
            return {fid: _feed_state(feeds.get(fid)) for fid in feed_ids}

    async def _fail(
        self, feed_id: str, code: str, message: str, failures: int, interval: float, retry_after: float | None = None
    ) -> FeedResult:
        # The reason is stored and shown (/feeds, feeds check): credentials in a feed's URL must not be.
        message = REDACT(message)
        log.warning("feed %s failed: %s (%s)", feed_id, message, code)
        # A server's Retry-After beyond our own backoff is honoured (polling earlier would be refused), up to
        # max_backoff: a server asking for a week must not silence a news feed for a week.
        retry_in = max(self._backoff(failures, interval), min(retry_after or 0.0, self.config.settings.max_backoff))

        def write() -> bool:
            with session(self.engine) as s:
                feed = get_feed(s, feed_id)
                if feed is None:
                    return False
                return record_failure(
                    s,
                    feed,
                    now=self.clock(),
                    code=code,
                    message=message,
                    retry_in=retry_in,
                    disable_after=self.config.settings.disable_after_failures,
                    lease_owner=self._owner,
                )

        try:
            disabled = await asyncio.to_thread(write)
        except Exception:
            log.exception("could not record the failure of %s", feed_id)
            disabled = False
        return FeedResult(feed_id, "failed", error_code=code, error=message, disabled=disabled)

    async def poll_once(
        self, feed_ids: Sequence[str] | None = None, progress: Callable[[FeedResult], None] | None = None
    ) -> list[FeedResult]:
        """One cycle over ``feed_ids`` (default: every enabled feed). Concurrency is the fetcher's."""
        states: dict[str, FeedState | str] = {}
        if self.claim is None:
            states = await asyncio.to_thread(self._states, feed_ids)
            feed_ids = list(states) if feed_ids is None else feed_ids
        elif feed_ids is None:
            feed_ids = await asyncio.to_thread(lambda: list(self._states(None)))

        async def one(fid: str) -> FeedResult:
            try:
                result = await self.refresh_feed(fid, states.get(fid))
            except Exception as exc:  # a bug in one feed's path must not end the cycle
                log.exception("unexpected error refreshing %s", fid)
                result = FeedResult(fid, "failed", error_code="internal", error=f"{type(exc).__name__}: {exc}")
            if progress:
                progress(result)
            return result

        # Started a slice at a time, the loop taking a turn between slices: each feed's first step (state,
        # URL, limits) runs before it first waits, and 500 of them in one turn stalled replies and dispatch
        # for over 100 ms (bench_poll's loop lag).
        tasks: list[asyncio.Task[FeedResult]] = []
        try:
            for start in range(0, len(feed_ids), START_SLICE):
                tasks += [asyncio.create_task(one(f)) for f in feed_ids[start : start + START_SLICE]]
                await asyncio.sleep(0)
        except asyncio.CancelledError:  # as gather would: the feeds started go with the cycle
            for task in tasks:
                task.cancel()
            raise
        return list(await asyncio.gather(*tasks))
