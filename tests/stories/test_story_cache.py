"""The story cache's members-for-``decide`` list, kept up to date member by member, equals a recompute."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.stories.assign import _CachedStory, _recent
from bot.stories.cluster import ItemFeatures


def test_recent_members_kept_incrementally_equal_a_full_recompute() -> None:
    rng = random.Random(11)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for max_members in (2, 5, 30):
        story = _CachedStory()
        for key in range(400):
            # ties in time, late backlog (older than the lead) and now and then an authority item
            published = start + timedelta(minutes=rng.choice([rng.randrange(5000), 100, 100]))
            story.add(ItemFeatures(key=key, published=published, lang="en", authority=rng.random() < 0.02))
            if key % 7 == 0 or key > 350:
                assert story.recent(max_members) == _recent(story.members, max_members), (max_members, key)
