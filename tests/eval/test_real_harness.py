"""The real-news harness itself: its pair and topic arithmetic, and a clean skip without the corpus.

The floors on the real corpus live beside the matcher's and the stories' own tests; these check that the
figures they assert are computed right.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from eval.real import corpus  # noqa: E402
from eval.real.__main__ import main  # noqa: E402
from eval.real.corpus import LabeledItem, Report  # noqa: E402
from eval.real.relevance import evaluate  # noqa: E402
from eval.real.stories import partition, score  # noqa: E402

T = datetime(2025, 10, 13, 12, tzinfo=UTC)


def report(rid: str, event: str, lang: str) -> Report:
    return Report(rid, event, lang, f"{rid}.example", "", "", f"https://{rid}.example/", T)


def test_story_pairs_count_splits_merges_and_missing_reports() -> None:
    reports = [report("a", "e1", "en"), report("b", "e1", "ar"), report("c", "e1", "en"), report("d", "e2", "en")]
    # e1 split in two, c merged with the other event d, b never stored (judged irrelevant)
    assigned = {"a": 1, "c": 2, "d": 2}
    rep = score(reports, assigned)
    assert (rep.pairs.tp, rep.pairs.fp, rep.pairs.fn) == (0, 1, 3)
    assert (rep.cross_language.tp, rep.cross_language.fp, rep.cross_language.fn) == (0, 0, 2)
    assert rep.irrelevant == ["b"]
    assert any(e.startswith("split  e1") for e in rep.errors)
    assert any("merged story 2" in e for e in rep.errors)
    assert partition(assigned) == partition({"a": 7, "c": 9, "d": 9})
    assert partition(assigned) != partition({"a": 7, "c": 7, "d": 9})


def test_topic_recall_counts_only_what_a_subscriber_receives() -> None:
    items = [
        LabeledItem("1", "ar", "t", "x", "u", True, ("entity-list", "export-controls"), ""),
        LabeledItem("2", "en", "t", "y", "u", True, ("hbm",), ""),
        LabeledItem("3", "en", "t", "z", "u", False, (), ""),
    ]
    verdicts = {
        "x": (True, ("export-controls", "nvidia")),  # one of two topics, one extra
        "y": (False, ("hbm",)),  # topics of an item judged irrelevant reach nobody
        "z": (True, ("ai-chips",)),  # a false alert
    }
    rep = evaluate(items, lambda title, text, lang: (*verdicts[text], ()))
    assert (rep.topics_micro.tp, rep.topics_micro.fn, rep.topics_micro.fp) == (1, 2, 1)
    assert rep.by_topic["entity-list"].recall == 0.0 and rep.by_topic["export-controls"].recall == 1.0
    assert (rep.by_lang["en"].tp, rep.by_lang["en"].fp, rep.by_lang["en"].fn) == (0, 1, 1)
    assert rep.by_lang["ar"].f1 == 1.0


def test_make_eval_skips_cleanly_without_the_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(corpus.ENV, str(tmp_path))
    monkeypatch.setattr(corpus, "ROOT", tmp_path / "project")
    assert corpus.location() is None
    assert main([]) == 0
    assert "skipped" in capsys.readouterr().out
