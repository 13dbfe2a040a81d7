"""The digest's shared selections: which items are relevant in a period and which entities count.

``build`` (numbers, entities) and ``spikes`` (baselines) both count over them; see ``bot.digest.build``'s
docstring for why some kinds of entities are not counted.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.tables import ItemRow, Match, MatchTopic

# Kinds of lexicon entries that are not counted as entities (``bot.digest.build``'s docstring).
SKIPPED_KINDS = frozenset({"term", "country", "place"})


@lru_cache(maxsize=1)
def _kinds() -> dict[str, str]:
    from bot.match import load_lexicon

    return {e.id: e.kind for e in load_lexicon().entries.values()}


def counted_entity(entity_id: str) -> bool:
    return _kinds().get(entity_id, "term") not in SKIPPED_KINDS


def relevant_items(
    since: datetime, until: datetime, topics: list[str], languages: set[str]
) -> SelectOfScalar[int | None]:
    """Ids of relevant items published in [since, until) on ``topics`` (all when empty) in ``languages``."""
    stmt = (
        select(col(ItemRow.id))
        .join(Match, col(Match.item_id) == col(ItemRow.id))
        .where(
            col(Match.relevant).is_(True),
            col(ItemRow.published) >= since,
            col(ItemRow.published) < until,
            col(ItemRow.language).in_(languages),
        )
    )
    if topics:
        stmt = stmt.where(col(ItemRow.id).in_(select(MatchTopic.item_id).where(col(MatchTopic.topic).in_(topics))))
    return stmt
