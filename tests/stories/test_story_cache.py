"""The story cache's members-for-``decide`` list, kept up to date member by member, equals a recompute."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.stories.cached import CachedStory as _CachedStory
from bot.stories.cached import representatives as _recent
from bot.stories.features import ItemFeatures


def test_recent_members_kept_incrementally_equal_a_full_recompute() -> None:
    rng = random.Random(11)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for max_members in (2, 5, 30):
        story = _CachedStory()
        for key in range(400):
            # ties in time, late backlog (older than the lead) and now and then an authority item
            published = start + timedelta(minutes=rng.choice([rng.randrange(5000), 100, 100]))
            undated = rng.random() < 0.03  # an item without a date ranks last
            lang = "ar" if rng.random() < 0.05 else "en"  # a flood in one language, a few reports in the other
            story.add(
                ItemFeatures(
                    key=key, published=None if undated else published, lang=lang, authority=rng.random() < 0.02
                )
            )
            if key % 7 == 0 or key > 350:
                assert story.recent(max_members) == _recent(story.members, max_members), (max_members, key)


def test_a_flood_in_one_language_keeps_the_other_languages_earliest_member() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    story = _CachedStory()
    story.add(ItemFeatures(key="en-lead", published=start, lang="en"))
    story.add(ItemFeatures(key="ar-first", published=start + timedelta(minutes=5), lang="ar"))
    story.add(ItemFeatures(key="ar-later", published=start + timedelta(minutes=9), lang="ar"))
    for n in range(500):
        story.add(ItemFeatures(key=f"en{n}", published=start + timedelta(minutes=10 + n), lang="en"))
    reps = story.recent(30)
    keys = [m.key for m in reps]
    assert len(reps) == 61  # lead + 59 newest + the earliest Arabic member; 503 members in all
    assert "en-lead" in keys and "ar-first" in keys and "ar-later" not in keys and "en499" in keys
    assert reps == _recent(story.members, 30)


def test_the_cache_knows_a_new_transaction_even_at_a_reused_address(tmp_path: Path) -> None:
    """``synced_in`` names the transaction itself, not its ``id()``: CPython reuses a finished transaction's
    address, and a cache that took a new transaction for the old one skipped learning what other processes
    stored (and its rollback listener)."""
    from bot.stories.index import StoryIndex
    from storage.db import make_engine, session, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'tx.db'}")
    upgrade(engine)
    index = StoryIndex()
    wrongly_synced = 0
    for _ in range(200):
        with session(engine) as s:
            s.connection()  # begins a transaction
            wrongly_synced += index.synced_in(s)
            index.sync(s, datetime.now(UTC))
            assert index.synced_in(s)
    assert wrongly_synced == 0
