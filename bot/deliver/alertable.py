"""What the store hands to delivery: a stored item that may alert.

Its own module, at the bottom of ``bot.deliver``: ``bot.ingest.store`` builds it (deciding the alert caps with
``caps``), ``bot.pipeline`` passes it to its alert hook (the console sink), and the demo reads it. Beside the
store (as ``bot.pipeline.Alertable`` it was), delivery and ingest would import one another.
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
