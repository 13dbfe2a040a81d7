"""Retention: old items lose their content but keep their identity (a tombstone), so a feed that still
lists them never brings them back as new. Items of stories with pending deliveries are kept whole."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from storage.db import session
from storage.tables import Delivery, ItemRow, ItemSignature, StoryItem


def prune(engine: Engine, before: datetime, now: datetime | None = None, batch: int = 5000) -> int:
    total = 0
    with session(engine) as s:
        pending_stories = select(Delivery.story_id).where(
            col(Delivery.status).in_(("pending", "sending")), col(Delivery.story_id).is_not(None)
        )
        keep = select(StoryItem.item_id).where(col(StoryItem.story_id).in_(pending_stories))
        while True:
            ids = list(
                s.exec(
                    select(ItemRow.id)
                    .where(
                        col(ItemRow.published) < before, col(ItemRow.pruned_at).is_(None), col(ItemRow.id).not_in(keep)
                    )
                    .limit(batch)
                ).all()
            )
            if not ids:
                break
            s.execute(
                update(ItemRow).where(col(ItemRow.id).in_(ids)).values(summary="", content="", pruned_at=now or before)
            )
            s.execute(delete(ItemSignature).where(col(ItemSignature.item_id).in_(ids)))
            s.commit()
            total += len(ids)
    return total
