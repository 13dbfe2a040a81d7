"""`raqib match` and `raqib classify` are the matcher alone: they start without reading settings (pydantic-settings
costs ~0.1 s to import and a bad variable would stop them), and they use the on-disk lexicon cache."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.match import lexicon
from bot.match.lexicon import clear_memory_cache


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RAQIB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RAQIB_HEALTH_PORT", "not-a-port")  # Env() would refuse this
    clear_memory_cache()
    yield tmp_path / "cache"
    clear_memory_cache()


def test_match_needs_no_settings_and_fills_the_cache(cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "واشنطن تمنح تراخيص لـ«إنفيديا» لبيع رقائق H20"]) == 0
    out = capsys.readouterr().out
    assert "relevant: yes" in out and "nvidia" in out
    assert len(list(cache_dir.glob("lexicon-*.pickle"))) == 1, "the next `raqib match` loads instead of building"

    clear_memory_cache()  # as a second process would start
    before = lexicon.build_count()
    assert main(["match", "potato crisps prices"]) == 0
    assert "relevant: no" in capsys.readouterr().out
    assert before == lexicon.build_count()


def test_classify_needs_no_settings(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"title": "BIS adds 12 Chinese firms to Entity List"})))
    assert main(["classify"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["relevant"] is True


def test_commands_that_read_settings_still_refuse_a_bad_environment(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["items"]) == 2
    assert "bad environment" in capsys.readouterr().err
