"""What the store hands on: a stored item that may alert.

Its own module because ``bot.ingest.store`` builds it and ``bot.pipeline``, ``bot.deliver`` (caps, console) and
the demo read it; with the type beside the store, they would import one another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.normalize import Item


@dataclass(frozen=True)
class Alertable:
    """A stored, matched item that passed the alerting rules (first poll, age)."""

    item_id: int
    item: Item
    match: Any  # bot.match.Classification
    story_id: int | None = None
