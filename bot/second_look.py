"""The second look: thin new items with some evidence get their article page read once, then are judged again.

A feed entry that is only a headline naming a watched company says too little for the matcher; its page may
say enough. Each page read becomes the item's content (its first ``SECOND_LOOK_CHARS``), and the richer items
go through the same analysis as any item (``bot.analyze.judge``): verdict and story features together, so the
writer gets a complete ``Analysis`` and computes nothing again under its lock.

Never for items with no evidence at all, never for items already stored. What one feed may cost the others is
bounded: at most ``article_pages_per_poll`` pages a poll (the items with most evidence first; the rest are
stored as the feed gave them), fetched in slots shared fairly between feeds (one feed holds at most
``article_slots_per_feed``, so a feed whose pages hang never keeps another feed's page waiting for more than
one slot to come free), each page one attempt within ``article_timeout``, at most ``article_max_bytes``, and
its extraction bounded in time (``bot.fetch.article``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from bot.analyze import Analysis, Features
from bot.config import Settings
from bot.fetch import Fetcher
from bot.fetch.article import RICH_BYTES, ArticleCache, ArticleLimits, fetch_article_text
from bot.fetch.limits import FairSlots
from bot.normalize import Item
from storage.db import session
from storage.items import stored_identities

log = logging.getLogger("raqib.pipeline")
SECOND_LOOK_CHARS = 20_000  # of an article's text kept as the item's content

# items → (verdicts, story features), as ``bot.analyze.judge`` gives them (the pipeline runs it off the loop)
Judge = Callable[[Sequence[Item]], Awaitable[tuple[dict[str, Any], Features]]]


@dataclass
class SecondLook:
    """The article pages of thin items, read in ``slots`` shared fairly between feeds, within ``limits``."""

    engine: Engine
    fetcher: Fetcher
    articles: ArticleCache
    slots: FairSlots
    limits: ArticleLimits

    @classmethod
    def of(cls, engine: Engine, fetcher: Fetcher, articles: ArticleCache, settings: Settings) -> SecondLook:
        return cls(
            engine,
            fetcher,
            articles,
            FairSlots(settings.article_slots, settings.article_slots_per_feed),
            ArticleLimits(
                timeout=settings.article_timeout,
                max_bytes=settings.article_max_bytes,
                rich_bytes=min(RICH_BYTES, settings.article_max_bytes),
                extract_timeout=settings.article_extract_timeout,
            ),
        )

    async def __call__(
        self, feed_id: str, analysis: Analysis, *, pages: int, judge: Judge, executor: Executor | None = None
    ) -> Analysis:
        """``analysis`` with its thin new items read from their pages (at most ``pages`` of them) and judged
        again by ``judge``; the same analysis when none was read. ``executor`` runs the pages' extraction."""
        from bot.match import needs_second_look

        thin = [i for i in analysis.items if i.url and needs_second_look(analysis.verdicts[i.identity])]
        if not thin:
            return analysis
        known = await asyncio.to_thread(self._stored_identities, feed_id, [i.identity for i in thin])
        thin = [i for i in thin if i.identity not in known]
        if not thin:
            return analysis
        if len(thin) > pages:
            log.info("feed %s: %d thin items, reading the pages of %d", feed_id, len(thin), pages)
            thin = sorted(thin, key=lambda i: -float(analysis.verdicts[i.identity].evidence))[:pages]
            if not thin:
                return analysis
        read = [r for r in await asyncio.gather(*(self._read(feed_id, i, executor) for i in thin)) if r is not None]
        if not read:
            return analysis
        verdicts, features = await judge(read)
        replaced = {i.identity: i for i in read}
        log.info(
            "feed %s: second look at %d thin items, %d now relevant",
            feed_id,
            len(read),
            sum(bool(v.relevant) for v in verdicts.values()),
        )
        return dataclasses.replace(
            analysis,
            items=[replaced.get(i.identity, i) for i in analysis.items],
            verdicts={**analysis.verdicts, **verdicts},
            # the richer text's features replace the thin text's (none when it is still not relevant)
            features={**{k: v for k, v in analysis.features.items() if k not in replaced}, **features},
        )

    async def _read(self, feed_id: str, item: Item, executor: Executor | None) -> Item | None:
        """The item with its page's text as content, or None when the page gave none."""
        from bot.stories.urls import is_aggregator, publisher_url

        async with self.slots.slot(feed_id):
            # Aggregator links (Google News) are not the article: read the publisher's page instead.
            # Canonical URLs are for comparing, not fetching, so a plain link is fetched as published.
            page = (publisher_url(item.url, item.source_url) if is_aggregator(item.url or "") else None) or item.url
            text = await fetch_article_text(
                self.fetcher, page or "", cache=self.articles, limits=self.limits, executor=executor
            )
        return dataclasses.replace(item, content=text[:SECOND_LOOK_CHARS]) if text else None

    def _stored_identities(self, feed_id: str, identities: list[str]) -> set[str]:
        with session(self.engine) as s:
            return stored_identities(s, feed_id, identities)
