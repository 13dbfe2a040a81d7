"""Our own model of one feed entry.

feedparser's dictionaries never leave ``bot.parse``; everything downstream sees ``Item`` only.
Identity precedence (documented, Miniflux-style): guid, then canonical link, then a hash of
title + content. ``identity`` is unique per feed in storage. A GUID or link too long to store whole is kept
as a prefix and its hash (at most 512 characters in all). The store also knows an entry whose GUID or link
flipped while its text stayed the same (``storage.items.store_items``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Item:
    feed_id: str
    identity: str  # dedup key within the feed (see module docstring)
    guid: str | None
    url: str | None  # absolute link as published (relative links already resolved)
    title: str  # plain text, markup stripped, entities decoded
    summary: str  # plain text
    content: str  # plain text of the longest content block ('' when none)
    language: str  # "ar" | "en"
    published: datetime  # aware, UTC; the fetch time when missing or absurd
    fetched: datetime  # aware, UTC
    content_hash: str  # sha256 of normalized title + summary + content
    source_url: str | None = None  # publisher URL when an aggregator entry carries it
    source_name: str | None = None  # the publisher's name when an aggregator entry carries it
    authors: tuple[str, ...] = field(default=())
    repaired: str | None = None  # the charset mix-up undone in its text (``bot.text.mojibake``)
    garbled: str | None = None  # why its title or body still reads as mojibake: stored, never alerted

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled as a constructor call: a frozen slotted dataclass otherwise unpickles through a Python loop of
        # setattr calls, paid by the main process for every item a parse worker sends back (as ``EntityHit``).
        text = (self.feed_id, self.identity, self.guid, self.url, self.title, self.summary, self.content)
        facts = (self.language, self.published, self.fetched, self.content_hash, self.source_url, self.source_name)
        return (Item, (*text, *facts, self.authors, self.repaired, self.garbled))

    @property
    def text(self) -> str:
        """Body text for matching: content when present, else summary."""
        return self.content or self.summary
