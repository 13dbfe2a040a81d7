"""Labeled corpus and metrics for the relevance matcher (``bot.match.classify``).

``corpus`` loads and validates ``dev.jsonl`` / ``holdout.jsonl``; ``metrics.evaluate`` turns a list
of items and a classifier into a :class:`~eval.match.metrics.Report`; ``__main__`` prints it.
"""

from eval.match.corpus import TOPICS, CorpusError, Item, load, load_split, validate
from eval.match.metrics import Prf, Report, evaluate

__all__ = [
    "TOPICS",
    "CorpusError",
    "Item",
    "Prf",
    "Report",
    "evaluate",
    "load",
    "load_split",
    "validate",
]
