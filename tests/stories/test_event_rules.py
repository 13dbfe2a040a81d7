"""The event rules of ``decide``: who acted, which day, what about (our own sentences)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.stories.cluster import StoryCandidate, decide
from bot.stories.features import ItemFeatures
from bot.stories.fingerprint import fingerprint
from bot.stories.score import pair_score

MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)


def feat(key: str, title: str, text: str, ents: set[str], *, days: float = 0, lang: str = "en") -> ItemFeatures:
    return ItemFeatures(
        key=key,
        published=MONDAY + timedelta(days=days),
        lang=lang,
        entities=frozenset(ents),
        fingerprint=fingerprint(title, text),
    )


def story(*members: ItemFeatures) -> StoryCandidate:
    return StoryCandidate("s", members)


LICENCE = feat(
    "licence",
    "US grants Nvidia licences to ship H20 chips to China",
    "The Commerce Department on Monday granted Nvidia licences to resume H20 sales.",
    {"nvidia", "h20", "united-states", "china"},
)


def test_same_event_across_languages_without_shared_entity_names() -> None:
    # the Arabic brief names the company only; the day, the act and the actor say the rest
    ar = feat(
        "ar",
        "واشنطن تمنح إنفيديا تراخيص لتصدير رقائق H20",
        "منحت وزارة التجارة الأمريكية يوم الاثنين إنفيديا تراخيص.",
        {"nvidia", "h20"},
        lang="ar",
    )
    assert decide(ar, [story(LICENCE)]).story_id == "s"


def test_guidance_by_another_government_is_another_event() -> None:
    guidance = feat(
        "guidance",
        "Beijing urges tech firms to avoid Nvidia's H20 chips",
        "Chinese regulators on Wednesday urged companies to avoid buying the H20.",
        {"nvidia", "h20", "china"},
        days=2,
    )
    assert decide(guidance, [story(LICENCE)]).story_id is None


def test_shared_context_without_a_shared_object_is_two_events() -> None:
    a = feat("a", "China condemns Dutch curbs on ASML", "China on Wednesday criticised the rules.", {"asml", "china"})
    b = feat("b", "China urges firms to avoid Nvidia H20", "China on Wednesday urged firms.", {"nvidia", "china"})
    score, _shared, why = pair_score(a, b)
    assert score == 0.0 and "different objects" in why


def test_a_later_development_never_joins_even_when_it_repeats_the_story() -> None:
    late = feat(
        "late",
        "US grants Nvidia licences to ship H20 chips to China",
        "The Commerce Department on Thursday granted Nvidia licences to resume H20 sales.",
        {"nvidia", "h20", "united-states", "china"},
        days=3,
    )
    assert decide(late, [story(LICENCE)]).story_id is None


def test_a_late_retelling_that_dates_the_event_joins() -> None:
    retold = feat(
        "retold",
        "",
        "On March 2, the Commerce Department granted Nvidia licences to resume H20 sales to China.",
        {"nvidia", "h20", "united-states", "china"},
        days=5,
    )
    assert decide(retold, [story(LICENCE)]).story_id == "s"


def test_two_sums_of_money_for_one_company_are_two_deals() -> None:
    a = feat("a", "SoftBank to invest $2 billion in Intel", "SoftBank will buy Intel shares.", {"intel"})
    b = feat("b", "US takes $10 billion stake in Intel", "The government will buy Intel shares.", {"intel"})
    c = feat("c", "SoftBank buys Intel stake worth about $2.1bn", "SoftBank will buy Intel shares.", {"intel"})
    assert "money differ" in pair_score(a, b)[2]
    assert "money differ" not in pair_score(a, c)[2]  # rounding is not another deal
