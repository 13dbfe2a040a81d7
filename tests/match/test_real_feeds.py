"""Real general-news feeds the matcher was never tuned on (../shared/corpora/real-feeds: Al Jazeera English,
the Guardian's world news, CNET, WIRED, an Arabic culture site — 2015–2016, before today's chip controls).

Almost nothing there is about export controls or AI chips, so almost nothing may be flagged: a guard against
false alarms on the unseen news a newsroom's feeds are mostly made of. Skipped when ../shared is absent.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.match import classify
from bot.normalize import normalize_entries
from bot.parse import parse_feed
from tests.conftest import SHARED

REAL = SHARED / "corpora" / "real-feeds"


@pytest.mark.skipif(not REAL.exists(), reason="../shared is absent")
def test_real_general_news_raises_almost_no_alerts() -> None:
    flagged, total = [], 0
    for path in sorted(REAL.glob("*.xml")):
        parsed = parse_feed(path.read_bytes(), url="https://feeds.example/")
        language = "ar" if "nabd" in path.name else "en"
        items = normalize_entries(
            parsed.entries,
            feed_id=path.stem,
            feed_url="https://feeds.example/",
            language=language,
            fetched=datetime.now(UTC),
        )
        for item in items:
            total += 1
            verdict = classify(item.title, item.content or item.summary, item.language)
            if verdict.relevant:
                flagged.append((path.stem, item.title))
    assert total >= 200
    # Measured 2026-11-22: 1 of 210 (WIRED on Barefoot Networks' data-centre chips — chip-industry news, a
    # defensible borderline). The bound leaves room for one more borderline item, not for a class of errors.
    assert len(flagged) <= 2, flagged


SEEDS = SHARED / "seeds"
SEED_TOPICS = {"000": "hbm", "001": "nvidia", "002": "export-controls", "003": "rare-earths", "004": "us-china-tech"}


@pytest.mark.skipif(not SEEDS.exists(), reason="../shared is absent")
def test_the_five_seed_articles_are_relevant_with_their_topic() -> None:
    """The real Arabic articles the product was conceived from (their vocabulary informed the lexicon, so this is
    a sanity check, not an evaluation): each is relevant and carries its main topic."""
    for path in sorted(SEEDS.glob("*.txt")):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        verdict = classify(lines[0][:200], "\n".join(lines[1:]), "ar")
        assert verdict.relevant, path.name
        assert SEED_TOPICS[path.name[:3]] in verdict.topics, (path.name, verdict.topics)
