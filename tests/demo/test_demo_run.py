"""`raqib demo` end to end: real local feed server, real SQLite, the real matcher and story clustering.

Issue 15.20: the output says why the digest counts more stories than step 3 alerted, says "1 new item",
explains the weights in one line, and carries no bidi isolate characters (chat HTML only).
"""

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

    # Plain text for a terminal: no bidi isolates (U+2066–U+2069), though the digest's titles carry them in chats.
    assert not re.search("[\u2066-\u2069]", text)
    # Counts agree in number with their noun.
    assert not re.search(r"\b1 new items\b", text) and not re.search(r"\b(?!1 )\d+ new item\b", text)
    assert re.search(r"\b1 new item, ", text), "the sample feeds have single-item polls"
    # One line explains the "+3.75"-style weights, next to the alerts that show them.
    step3 = text.split("3) ")[1].split("4) ")[0]
    [weights] = [line for line in step3.splitlines() if "lexicon weight" in line]
    assert "×1.5 in the title" in weights and "+3.75" in weights and "score = evidence / (evidence + 2)" in weights
    # Why the digest counts more stories than step 3: the alerted ones plus the backlog step 1 stored quietly.
    m = re.search(
        r"It counts (\d+) stories first published in the last 7 days: the (\d+) stories alerted in step 3(?:, (\d+)"
        r" from the backlog step 1 stored without alerting and (\d+) of this week's news that joined no alert| and "
        r"(\d+) from the backlog step 1 stored without alerting)",
        text,
    )
    assert m, text
    total, shown = int(m.group(1)), int(m.group(2))
    backlog = int(m.group(3) or m.group(5))
    quiet = int(m.group(4) or 0)
    assert shown == alerts and backlog > 0 and total == shown + backlog + quiet
    digest_total = int(re.search(r"^(\d+) new stories \(", text, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert digest_total == total, "the note explains the digest's own number"
