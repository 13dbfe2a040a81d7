"""Story pair precision/recall floors on the real-news development corpus (skipped when it is absent).

Measured (``python -m eval.real --only stories``): pairs P 1.000 R 0.925, cross-language P 1.000 R 0.894
(reports the matcher calls irrelevant count as misses). The floors sit a little under: a report lost by
the matcher moves them without failing, a clustering regression does not pass.
"""

from __future__ import annotations

import pytest

from eval.real import corpus, stories


@pytest.fixture(scope="module")
def report() -> stories.StoryReport:
    folder = corpus.location()
    if folder is None:
        pytest.skip("real-news corpus absent (../shared/corpora/real-news)")
    reports = corpus.stories(folder)
    return stories.score(reports, stories.cluster(reports))


def test_pairs_floor(report: stories.StoryReport) -> None:
    assert report.pairs.precision >= 0.95
    assert report.pairs.recall >= 0.88


def test_cross_language_floor(report: stories.StoryReport) -> None:
    assert report.cross_language.precision >= 0.95
    assert report.cross_language.recall >= 0.85
