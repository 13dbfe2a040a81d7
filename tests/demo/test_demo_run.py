"""`raqib demo` end to end: real local feed server, real SQLite, the real matcher and story clustering."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.demo.run import run_demo


def test_demo_alerts_on_news_not_on_traps_and_groups_stories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the demo writes its digest chart where it runs
    out = io.StringIO()
    assert run_demo(out=out) == 0
    assert (tmp_path / "raqib-demo-digest.png").read_bytes().startswith(b"\x89PNG")
    text = out.getvalue()
    first_poll = text.split("1) First poll")[1].split("2) ")[0]
    assert "failed" not in first_poll
    assert "ALERTED (wrong)" not in text, "a trap item raised an alert"
    alerts = int(re.search(r"3\) (\d+) new stories", text).group(1))  # type: ignore[union-attr]
    assert alerts >= 5
    # At least one story told by several outlets in both languages, shown once with its members.
    stories = re.findall(r"story: (\d+) reports from (\d+) sources \(ar \+ en\)", text)
    assert any(int(n) >= 3 and int(src) >= 3 for n, src in stories), text
    # The primary source (the rule itself) leads the Entity List story.
    assert "[primary source]" in text
