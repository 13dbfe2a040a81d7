"""The old home of the feed, item and story queries, kept for the callers that still import it as ``repo``.

Everything here lives in one of three modules (issue 16): ``storage.feeds`` (the feeds table: ``sync_feeds``,
``record_failure``, ``mark_polled_many``), ``storage.items`` (``store_items`` and its flipped-identity
checks) and ``storage.queries`` (what commands, the CLI and views read). New code imports from those.
"""

from __future__ import annotations

from storage.feeds import (
    MAX_FEED_TITLE,
    FeedSpec,
    PolledFeed,
    get_feed,
    list_feeds,
    mark_polled_many,
    record_failure,
    sync_feeds,
)
from storage.items import READER_EXCERPT, StoreResult, store_items, stored_identities
from storage.queries import (
    StoryMember,
    StoryView,
    count_items,
    latest_stories,
    recent_items,
    recent_leads,
    search_stories,
    story_view,
)

__all__ = [
    "MAX_FEED_TITLE",
    "READER_EXCERPT",
    "FeedSpec",
    "PolledFeed",
    "StoreResult",
    "StoryMember",
    "StoryView",
    "count_items",
    "get_feed",
    "latest_stories",
    "list_feeds",
    "mark_polled_many",
    "recent_items",
    "recent_leads",
    "record_failure",
    "search_stories",
    "store_items",
    "stored_identities",
    "story_view",
    "sync_feeds",
]
