"""``warm_up_writer``: the tables the single writer would build on its first relevant item are built before the
first cycle (the service calls it at start), so the first cycle's writer finds them."""

from __future__ import annotations

import pytest

from bot.match import normalizer
from bot.pipeline import warm_up_writer
from bot.stories import terms


def test_warm_up_builds_what_the_writer_would_build_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(normalizer, "_TABLES", None)
    terms._load.cache_clear()
    warm_up_writer()
    assert normalizer._TABLES is not None
    assert terms._load.cache_info().currsize == 1
    built = normalizer._TABLES
    normalizer.normalize_text("رقائق H20")
    assert normalizer._TABLES is built  # used, not built again
