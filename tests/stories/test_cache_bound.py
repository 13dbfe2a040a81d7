"""The story cache holds a living story's recent members only: a story that keeps gaining members (an exact copy
joins at any age) keeps its lead, each language's first and the members of the cache's horizon, and the rest
go — as a reload from the database would hold it (issue 14, memory over simulated weeks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.stories.cached import representatives
from bot.stories.features import ItemFeatures
from bot.stories.index import CLUSTER_HORIZON, StoryIndex
from bot.stories.score import ClusterConfig

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _member(key: int, when: datetime, lang: str = "en") -> ItemFeatures:
    return ItemFeatures(key=key, published=when, lang=lang, entities=frozenset({"org:nvidia", f"x:{key % 5}"}))


def test_a_story_kept_alive_for_weeks_holds_only_its_horizon_of_members() -> None:
    index, max_members = StoryIndex(), ClusterConfig().max_members
    index.learn(1, _member(1, T0, "ar"))  # the story's first, and the Arabic one
    key = 2
    for day in range(40):
        now = T0 + timedelta(days=day)
        for hour in range(0, 24, 3):  # a copy every three hours, English
            index.learn(1, _member(key, now + timedelta(hours=hour)))
            key += 1
        index.evict(now + timedelta(hours=23))
        story = index.stories[1]
        # a day's 8 copies for each day of the horizon (and the one being filled), plus the kept first
        assert len(story.members) <= 8 * (CLUSTER_HORIZON.days + 1) + 1, day
    story = index.stories[1]
    cutoff = T0 + timedelta(days=39, hours=23) - CLUSTER_HORIZON
    kept = [m for m in story.members if m.published is not None and m.published >= cutoff]
    assert story.lead is not None and story.lead in story.members
    assert story.firsts["ar"].key == 1 and story.first is not None and story.first == T0.replace(tzinfo=None)
    # what ``decide`` sees is what it would see of the story's recent members, lead and firsts
    assert story.recent(max_members) == representatives(story.members, max_members)
    assert {m.key for m in kept} <= set(story.position)
    # no dangling entries: only the members held map to the story
    held = {k for k, sid in index.item_story.items() if sid == 1}
    assert held == {int(m.key) for m in story.members}  # type: ignore[call-overload]
    assert len(held) < key // 4


def test_a_story_that_stops_growing_goes_whole() -> None:
    index = StoryIndex()
    for k in range(10):
        index.learn(7, _member(k, T0 + timedelta(hours=k)))
    index.evict(T0 + timedelta(days=3))
    assert len(index.stories[7].members) == 10  # nothing old yet
    index.evict(T0 + timedelta(days=9))
    assert 7 not in index.stories and not index.item_story
