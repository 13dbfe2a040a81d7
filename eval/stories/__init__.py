"""Near-duplicate and story-clustering evaluation (``python -m eval.stories``).

``pairs.jsonl`` holds hand-written labeled pairs (built by ``eval.stories.build`` from
``articles.py``); ``metrics.evaluate()`` returns a :class:`~eval.stories.metrics.Report`.
"""

from eval.stories.metrics import KINDS, Prf, Report, evaluate, load


def main(argv: list[str] | None = None) -> int:
    """Print the report; exit status 0 (figures are judged by the floor test, not here)."""
    from eval.stories.__main__ import run

    return run(argv)


__all__ = ["KINDS", "Prf", "Report", "evaluate", "load", "main"]
