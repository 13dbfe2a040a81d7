"""The story summary rule: one member at a time (``StorySummary.add``) gives what a recompute from every member
gives (``StorySummary.of``), and the lead is ``choose_lead``'s; members published at the same instant are the
one documented difference."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.stories.summary import Member, StorySummary, choose_lead

T0 = datetime(2026, 11, 20, 8, tzinfo=UTC)


def test_members_added_one_at_a_time_give_the_recomputed_summary() -> None:
    rng = random.Random(16)
    for _story in range(200):
        minutes = rng.sample(range(5000), rng.randint(1, 12))  # distinct times: no ties
        members = [
            Member(
                item_id=rng.randint(1, 10_000),
                published=T0 + timedelta(minutes=m),
                language=rng.choice(["ar", "en"]),
                feed_id=rng.choice(["wire", "gnews", "fr", "ar-outlet"]),
                authority=rng.random() < 0.15,
                score=rng.choice([0.3, 0.55, 0.9]),
                severity=rng.choice(["normal", "high", "critical"]),
                topics=tuple(rng.sample(["hbm", "nvidia", "entity-list", "licences"], rng.randint(0, 2))),
            )
            for m in minutes
        ]
        incremental = StorySummary.start(members[0])
        for m in members[1:]:
            incremental.add(m)
        recomputed = StorySummary.of(members, incremental)
        assert incremental == recomputed
        assert incremental.lead_item_id == choose_lead(members).item_id
        if any(m.authority for m in members):
            assert incremental.lead_item_id == incremental.authority_item_id


def test_an_authority_member_takes_the_lead_from_an_earlier_report() -> None:
    wire = Member(1, T0, "en", "wire", score=0.6, severity="normal", topics=("nvidia",))
    rule = Member(2, T0 + timedelta(hours=3), "en", "fr", authority=True, score=0.9, severity="critical")
    summary = StorySummary.start(wire)
    summary.add(rule)
    assert (summary.lead_item_id, summary.authority_item_id) == (2, 2)
    assert (summary.severity, summary.score, summary.topics, summary.source_count) == ("critical", 0.9, "nvidia", 2)


def test_at_the_same_instant_the_held_lead_stays_and_a_recompute_takes_the_smaller_key_as_text() -> None:
    first, same_second = Member(9, T0, "en", "wire"), Member(10, T0, "ar", "ar-outlet")
    summary = StorySummary.start(first)
    summary.add(same_second)
    assert summary.lead_item_id == 9  # the stored lead does not flip to a report of the same second
    assert StorySummary.of([first, same_second], summary).lead_item_id == 10  # "10" < "9"


def test_members_without_a_verdict_leave_the_verdict_columns_of_a_recompute() -> None:
    held = StorySummary.start(Member(1, T0, "en", "wire", score=0.8, severity="high", topics=("hbm",)))
    unscored = [Member(1, T0, "en", "wire"), Member(2, T0 + timedelta(hours=1), "ar", "ar-outlet")]
    again = StorySummary.of(unscored, held)
    assert (again.score, again.severity, again.topics) == (0.8, "high", "hbm")
    assert (again.member_count, again.languages) == (2, "ar en")
