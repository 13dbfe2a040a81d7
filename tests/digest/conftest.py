"""A seeded store: one week (Monday 2025-03-03 08:00 → Monday 2025-03-10 08:00 UTC) and history before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from tests.digest.seed import Report, feeds, story

UNTIL = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)  # a Monday
SINCE = UNTIL - timedelta(days=7)


@dataclass
class Week:
    engine: Engine
    entity_list: int  # 4 outlets, Arabic and English
    nvidia: int  # 2 outlets, English only, strongest match score
    huawei: int  # 1 Arabic outlet
    mixed_lead: int  # lead in Arabic, one English member
    at_since: int  # first published exactly at the period's start: in
    at_until: int  # first published exactly at its end: out (next period)
    before: int  # last week


def at(days: float, hours: float = 0) -> datetime:
    return SINCE + timedelta(days=days, hours=hours)


@pytest.fixture
def week(sqlite_engine: Engine) -> Week:
    e = sqlite_engine
    feeds(e, "wire", "ledger", "alkhabar", "marsad", "gov")
    # History: three weeks before, Nvidia and China were in the news (so neither is "new" this week).
    for d in (20, 15, 10):
        story(
            e,
            f"Older Nvidia export story {d}",
            [Report("wire", "en", SINCE - timedelta(days=d), entities=("nvidia", "china"))],
            topics=("export-controls",),
        )
    before = story(
        e,
        "Last week's chip story",
        [Report("ledger", "en", SINCE - timedelta(days=2), entities=("nvidia",))],
        topics=("export-controls",),
    )
    entity_list = story(
        e,
        "US adds 12 Chinese chip firms to the Entity List",
        [
            Report("wire", "en", at(3), entities=("entity-list", "smic", "china")),
            Report("ledger", "en", at(3, 2), entities=("entity-list", "smic")),
            Report(
                "alkhabar",
                "ar",
                at(3, 5),
                title="واشنطن تضيف 12 شركة صينية إلى قائمة الكيانات",
                entities=("entity-list",),
            ),
            Report("marsad", "ar", at(4), entities=("entity-list", "china")),
        ],
        topics=("entity-list", "export-controls"),
        score=0.9,
        url="https://wire.example/entity-list",
    )
    nvidia = story(
        e,
        "Nvidia gets licences for H20 sales to China",
        [
            Report("wire", "en", at(5), entities=("nvidia", "h20")),
            Report("ledger", "en", at(5, 3), entities=("nvidia", "h20"), topics=("nvidia", "export-controls")),
        ],
        topics=("ai-chips", "export-controls", "nvidia"),
        score=0.95,
    )
    huawei = story(
        e,
        "هواوي تكشف عن رقاقة أسيند جديدة مصنوعة لدى سميك",
        [Report("alkhabar", "ar", at(6), entities=("huawei", "smic"))],
        topics=("huawei-smic",),
        score=0.7,
    )
    mixed_lead = story(
        e,
        "الهند تبحث قيودًا على تصدير المعادن النادرة",
        [
            Report("marsad", "ar", at(1)),
            Report("wire", "en", at(1, 4), title="India weighs rare earth export curbs"),
        ],
        topics=("rare-earths",),
        score=0.6,
    )
    at_since = story(
        e,
        "Dutch rules on ASML servicing take effect",
        [Report("gov", "en", SINCE, entities=("asml",))],
        topics=("chip-equipment",),
        score=0.5,
    )
    at_until = story(e, "Next week's HBM story", [Report("wire", "en", UNTIL, entities=("hbm",))], topics=("hbm",))
    return Week(e, entity_list, nvidia, huawei, mixed_lead, at_since, at_until, before)
