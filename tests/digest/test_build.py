"""The digest's content from a real SQLite store: ranking, grouping, boundaries, filters, numbers."""

from __future__ import annotations

from datetime import timedelta

from bot.digest.build import build_digest, rank
from bot.digest.period import Period
from storage.db import session
from storage.tables import Story
from tests.digest.conftest import SINCE, UNTIL, Week
from tests.digest.seed import get_sub, subscription


def digest_for(week: Week, **sub: object):  # type: ignore[no-untyped-def]
    sub_id = subscription(week.engine, **sub)  # type: ignore[arg-type]
    with session(week.engine) as s:
        return build_digest(s, get_sub(week.engine, sub_id), period=Period(SINCE, UNTIL, "UTC", "weekly"))


def test_ranking_order_follows_the_documented_score(week: Week) -> None:
    d = digest_for(week)
    ids = [x.story_id for x in d.stories]
    # 4 outlets in two languages beats 2 outlets with a higher match score, which beats one outlet.
    assert ids.index(week.entity_list) < ids.index(week.nvidia) < ids.index(week.huawei)
    assert [x.rank for x in d.stories] == sorted((x.rank for x in d.stories), reverse=True)
    with session(week.engine) as s:
        st = s.get(Story, week.entity_list)
        assert st is not None
        # 4 sources + 2 × 0.9 + both languages + recency (last report 4 days into 7)
        assert abs(rank(st, SINCE, UNTIL) - (4 + 1.8 + 1 + 4 / 7)) < 1e-9


def test_period_boundaries_include_the_start_and_exclude_the_end(week: Week) -> None:
    ids = {x.story_id for x in digest_for(week).stories}
    assert week.at_since in ids
    assert week.at_until not in ids and week.before not in ids


def test_grouping_by_main_topic(week: Week) -> None:
    d = digest_for(week)
    main = {x.story_id: x.main_topic for x in d.stories}
    # Every item carries both topics: the more specific one (fewer stories this week) wins.
    assert main[week.entity_list] == "entity-list"
    # Both items carry nvidia and export-controls, only one ai-chips: most items wins, then specificity.
    assert main[week.nvidia] == "nvidia"
    assert next(iter(d.groups)) == "entity-list"  # groups in the order of their best story
    assert all(x.main_topic == t for t, stories in d.groups.items() for x in stories)


def test_subscription_topics_filter_and_group(week: Week) -> None:
    d = digest_for(week, topics="huawei-smic nvidia")
    assert {x.story_id for x in d.stories} == {week.nvidia, week.huawei}
    assert set(d.groups) == {"huawei-smic", "nvidia"}
    assert set(d.topic_counts) <= {"huawei-smic", "nvidia"}


def test_item_languages_filter_and_title_in_a_wanted_language(week: Week) -> None:
    d = digest_for(week, languages="en")
    ids = {x.story_id: x for x in d.stories}
    assert week.huawei not in ids  # Arabic only
    mixed = ids[week.mixed_lead]
    assert mixed.title == "India weighs rare earth export curbs" and mixed.title_language == "en"
    both = digest_for(week, languages="ar en", target="43")
    lead = next(x for x in both.stories if x.story_id == week.mixed_lead)
    assert lead.title_language == "ar"  # the lead, kept in its own language


def test_numbers_and_change_against_the_previous_period(week: Week) -> None:
    d = digest_for(week)
    assert d.counts["stories"] == 5  # entity list, nvidia, huawei, mixed, at_since
    assert d.counts["items"] == 4 + 2 + 1 + 2 + 1
    assert d.counts["sources"] == 5  # wire, ledger, alkhabar, marsad, gov
    assert d.previous["stories"] == 1 and d.previous["items"] == 1
    assert d.topic_counts["export-controls"] == (2, 1)
    assert d.topic_counts["entity-list"] == (1, 0)


def test_entities_most_mentioned_and_new(week: Week) -> None:
    d = digest_for(week)
    counts = dict(d.entities)
    assert counts["entity-list"] == 4 and counts["smic"] == 3 and counts["nvidia"] == 2
    assert "china" not in counts  # countries are left out: they top every week
    assert [e for e, _ in d.entities][:2] == ["entity-list", "smic"]
    assert "nvidia" not in d.new_entities  # mentioned in the four weeks before
    assert {"entity-list", "smic", "h20"} <= set(d.new_entities)


def test_no_new_entities_without_history(week: Week) -> None:
    # A period that starts with the store's history: everything would look new, so nothing is claimed.
    start = SINCE - timedelta(days=20)
    sub = get_sub(week.engine, subscription(week.engine))
    with session(week.engine) as s:
        d = build_digest(s, sub, period=Period(start, start + timedelta(days=7), "UTC", "weekly"))
    assert d.entities and d.new_entities == []


def test_empty_period(week: Week) -> None:
    sub = get_sub(week.engine, subscription(week.engine))
    with session(week.engine) as s:
        d = build_digest(s, sub, UNTIL + timedelta(days=30))
    assert d.empty and d.counts["stories"] == 0 and d.entities == [] and d.spikes == []
