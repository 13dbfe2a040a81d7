"""The database path of story assignment: candidate stories for what ``StoryIndex`` does not hold.

An item older than the index reaches (a late backlog) finds its candidates here: stories of its window that
share specific entities (``entity_stories``), ranked alongside the stories of its window as the live path
ranks them (``window_candidates``); a near-duplicate older than the index brings its story
(``load_candidates``). Each story comes with its representatives only, as the index would hand them over.
The SQL is ``storage.stories``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.stories.cached import representatives
from bot.stories.cluster import StoryCandidate
from bot.stories.features import GENERIC_ENTITIES, FieldWeights, ItemFeatures
from bot.stories.index import MAX_CANDIDATES, StoryIndex, member_features
from bot.stories.score import ClusterConfig
from storage import stories as store

_WINDOW_ROWS = 3000  # members read around a late item: the window of a busy week, not the archive


def load_candidates(s: Session, story_ids: Collection[int], max_members: int) -> list[StoryCandidate]:
    """Stories from the database with their representatives only (``representatives``): per story the newest
    2 · ``max_members`` members, its lead and the earliest member of each language."""
    if not story_ids:
        return []
    members: dict[int, list[ItemFeatures]] = {}
    for row in store.story_members(s, stories=story_ids, per_story=2 * max_members):
        members.setdefault(row.story_id, []).append(member_features(row))
    return [StoryCandidate(sid, representatives(ms, max_members)) for sid, ms in sorted(members.items())]


def window_candidates(
    s: Session, feats: ItemFeatures, weights: FieldWeights, cfg: ClusterConfig
) -> list[StoryCandidate]:
    """For an item older than the cache reaches (a late backlog): the stories of its window, ranked as the
    live path ranks them (a throw-away ``StoryIndex`` of the window's members), so a late item meets the
    reports it would have met on time."""
    if feats.published is None:
        raise ValueError("a late item's window needs its published time")
    reach = max(cfg.window, cfg.dated_window)
    rows = store.story_members(
        s, since=feats.published - reach, until=feats.published + reach, newest_first=True, limit=_WINDOW_ROWS
    )
    window = StoryIndex()
    for row in rows:
        window.learn(int(row.story_id), member_features(row))
    found, _unknown = window.candidates(feats, [], weights, cfg)
    return found


def entity_stories(
    s: Session, entities: frozenset[str], published: datetime, window: timedelta, limit: int = MAX_CANDIDATES
) -> set[int]:
    """Stories inside the window that share specific entities with the item, most shared first."""
    specific = [e for e in entities if e.lower() not in GENERIC_ENTITIES]
    if not specific:
        return set()
    return store.stories_sharing_entities(s, specific, published - window, published + window, limit)
