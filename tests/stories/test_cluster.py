"""Clustering decisions: same event joins across languages, different events stay apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.stories.cluster import StoryCandidate, decide
from bot.stories.features import FieldWeights, ItemFeatures, default_weight, idf_weights
from bot.stories.fingerprint import Fingerprint, fingerprint
from bot.stories.score import ClusterConfig, pair_score
from bot.stories.signatures import NearDup
from bot.stories.summary import choose_lead

T0 = datetime(2025, 12, 8, 22, 0, tzinfo=UTC)


def feat(
    key: str,
    title: str,
    text: str = "",
    *,
    hours: float = 0.0,
    lang: str = "en",
    ents: set[str] | None = None,
    informative: bool = True,
    authority: bool = False,
    published: datetime | None = None,
) -> ItemFeatures:
    return ItemFeatures(
        key=key,
        published=published if published is not None else T0 + timedelta(hours=hours),
        lang=lang,
        entities=frozenset(ents or ()),
        fingerprint=fingerprint(title, text),
        informative=informative,
        authority=authority,
    )


H200_EN = feat(
    "h200-en",
    "Trump allows Nvidia H200 sales to China with 25% cut",
    "announced on Monday",
    ents={"nvidia", "h200", "china", "us", "trump"},
)
H200_AR = feat(
    "h200-ar",
    "ترامب يسمح ببيع رقائق H200 للصين مقابل 25%",
    "قال يوم الاثنين",
    hours=3,
    lang="ar",
    ents={"nvidia", "h200", "china", "us", "trump"},
)
H20_BAN = feat(
    "h20-ban",
    "China bars state-funded data centres from Nvidia H20",
    "on Thursday, projects under 30% built",
    hours=59,
    ents={"nvidia", "h20", "china"},
)


def story(*members: ItemFeatures, sid: str = "s1") -> StoryCandidate:
    return StoryCandidate(sid, tuple(members))


def test_same_event_across_languages_joins() -> None:
    d = decide(H200_AR, [story(H200_EN)])
    assert d.story_id == "s1", d.reason
    assert "fingerprint" in d.reason


def test_h20_ban_and_h200_approval_same_week_stay_apart() -> None:
    d = decide(H20_BAN, [story(H200_EN, H200_AR)])
    assert d.story_id is None, d.reason


def test_two_h20_licence_stories_a_month_apart_stay_apart() -> None:
    a = feat("apr", "US requires licence for Nvidia H20; $5.5 billion charge", ents={"nvidia", "h20", "china"})
    b = feat("jul", "US to grant H20 licences; Nvidia resumes sales", hours=24 * 30, ents={"nvidia", "h20", "china"})
    assert decide(b, [story(a)]).story_id is None
    # even an exact copy joins nothing once the story's lead is outside the window
    nd = [NearDup("apr", 1.0, 1.0)]
    assert decide(b, [story(a)], nd).story_id is None


def test_near_duplicate_joins_within_window() -> None:
    a = feat("a", "Headline one", "text", ents={"x"})
    b = feat("b", "A rewritten headline", "text", hours=5)
    d = decide(b, [story(a)], [NearDup("a", 0.8, 0.9)])
    assert d.story_id == "s1" and d.reason.startswith("near-duplicate")


def test_near_duplicate_with_contradicting_model_codes_does_not_join() -> None:
    a = feat("a", "Nvidia H20 licences", "text")
    b = feat("b", "Nvidia H200 licences", "text", hours=1)
    assert decide(b, [story(a)], [NearDup("a", 0.9, 0.95)]).story_id is None


def test_boilerplate_titles_and_title_only_items_never_merge() -> None:
    a = feat("a", "Live updates", informative=False)
    b = feat("b", "Live updates", hours=1, informative=False)
    assert decide(b, [story(a)], [NearDup("a", 1.0, 1.0)]).story_id is None
    c = feat("c", "عاجل", lang="ar", informative=False)
    e = feat("e", "عاجل", lang="ar", hours=0.5, informative=False)
    assert decide(e, [story(c)]).story_id is None
    # generic entities alone are no evidence
    f1 = feat("f1", "US and China talk trade", ents={"us", "china", "trump"})
    f2 = feat("f2", "China and the US: what next", hours=2, ents={"us", "china", "trump"})
    assert decide(f2, [story(f1)]).story_id is None


def test_empty_and_missing_inputs() -> None:
    empty = feat("e", "", "")
    assert decide(empty, []).story_id is None
    assert decide(empty, [story(H200_EN)]).story_id is None
    assert decide(H200_AR, [StoryCandidate("void", ())]).story_id is None
    undated = ItemFeatures("u", None, "en", H200_AR.entities, H200_AR.fingerprint)
    assert decide(undated, [story(H200_EN)]).story_id is None  # no time: only near-dup may join
    assert decide(undated, [story(H200_EN)], [NearDup("h200-en", 0.9, 0.9)]).story_id == "s1"


def test_absurd_dates_do_not_crash_or_merge() -> None:
    far = feat(
        "far",
        H200_AR.fingerprint and "Trump allows Nvidia H200 sales to China with 25% cut",
        published=datetime(2999, 1, 1, tzinfo=UTC),
        ents=set(H200_EN.entities),
    )
    assert decide(far, [story(H200_EN)]).story_id is None
    naive = ItemFeatures("n", datetime(2025, 12, 8, 23, 0), "en", H200_EN.entities, H200_EN.fingerprint)
    assert decide(naive, [story(H200_EN)]).story_id == "s1"  # naive vs aware compared, not crashed
    ancient = feat("old", "x", published=datetime(1970, 1, 1, tzinfo=UTC))
    assert decide(ancient, [story(H200_EN)]).story_id is None


def test_threshold_rises_with_the_time_gap() -> None:
    late = feat(
        "late",
        H200_AR.fingerprint and "Trump allows Nvidia H200 sales to China",
        "shares rose",
        hours=70,
        ents={"nvidia", "h200", "china", "trump"},
    )
    early = feat(
        "early",
        "Trump allows Nvidia H200 sales to China",
        "shares rose",
        hours=2,
        ents={"nvidia", "h200", "china", "trump"},
    )
    cfg = ClusterConfig()
    s_late, _, _ = pair_score(late, H200_EN, None, cfg)
    assert decide(early, [story(H200_EN)]).story_id == "s1"
    if s_late < cfg.base + cfg.ramp:
        assert decide(late, [story(H200_EN)]).story_id is None


def test_best_story_is_chosen_and_reason_given() -> None:
    other = feat("gallium", "China bans gallium exports", "on Tuesday", ents={"gallium", "china"})
    d = decide(H200_AR, [story(other, sid="s0"), story(H200_EN, sid="s1")])
    assert d.story_id == "s1" and "h200" in d.reason


def test_lead_is_authority_else_earliest() -> None:
    rule = feat("fr", "Federal Register: revision of licence requirements", hours=5, authority=True)
    assert choose_lead([H200_AR, H200_EN]).key == "h200-en"
    assert choose_lead([H200_AR, rule, H200_EN]).key == "fr"
    undated = ItemFeatures("u", None, "en")
    assert choose_lead([undated, H200_AR]).key == "h200-ar"


def test_weights() -> None:
    assert default_weight("us") < default_weight("h20")
    assert default_weight("country:china") == default_weight("china")
    w = idf_weights({"us": 900, "h20": 3}, 1000)
    assert w["us"] < w["h20"]
    # caller weights change the score; the shared evidence (the min_shared guard) stays in base weights
    a = feat("a", "x", ents={"acme"})
    b = feat("b", "y", ents={"acme", "zeta"})
    assert pair_score(a, b, {"acme": 2.0})[0] > pair_score(a, b, {"acme": 0.1})[0]
    assert pair_score(a, b, {"acme": 2.0})[1] == pair_score(a, b, {"acme": 0.1})[1]


# --- feature-poor items, actions, field weights ---------------------------------------------------

_ARTICLE = feat(
    "art",
    "Commerce puts 23 firms on Entity List over GPU diversion",
    "The Commerce Department added 23 companies to the Entity List on Thursday, citing diversion of "
    "H100 accelerators through trading houses. The rule takes effect on March 4.",
    ents={"entity-list", "nvidia", "commerce-department", "united-states", "china"},
)


def test_title_only_aggregator_item_joins_by_containment() -> None:
    headline = feat(
        "gn", "أمريكا تضيف 23 شركة إلى قائمة الكيانات", hours=3, lang="ar", ents={"entity-list"}, informative=False
    )
    _score, _shared, expl = pair_score(headline, _ARTICLE)
    assert "containment" in expl
    d = decide(headline, [StoryCandidate("s", (_ARTICLE,))])
    assert d.story_id == "s", d.reason


def test_two_bare_titles_with_one_common_word_never_merge() -> None:
    a = feat("a", "Nvidia: what to watch this week", ents={"nvidia"}, informative=False)
    b = feat("b", "Nvidia shares slip in late trading", hours=1, ents={"nvidia"}, informative=False)
    assert decide(b, [StoryCandidate("s", (a,))]).story_id is None


def test_containment_needs_specific_evidence() -> None:
    # only generic entities and an action in common: no containment bonus
    a = feat("a", "US bans exports to China", ents={"united-states", "china"}, informative=False)
    b = feat("b", "China bans exports of graphite to the US", hours=2, ents={"united-states", "china", "graphite"})
    assert "containment" not in pair_score(a, b)[2]
    assert decide(a, [StoryCandidate("s", (b,))]).story_id is None


def test_different_actions_keep_same_entity_events_apart() -> None:
    ents = {"nvidia", "h20", "china", "united-states"}
    earnings = feat("e", "Nvidia revenue beats estimates as H20 sales to China dry up", ents=ents)
    licence = feat("l", "US grants Nvidia licences to resume H20 sales to China", hours=40, ents=ents)
    same_event = feat("l2", "Washington approves Nvidia H20 shipments to China again", hours=42, ents=ents)
    assert "act differ" in pair_score(licence, earnings)[2]
    assert pair_score(licence, earnings)[0] < pair_score(same_event, licence)[0]
    # a week full of H20 news: Nvidia, H20 and China are in many stories and say little
    busy = FieldWeights({"nvidia": 30, "h20": 20, "code:h20": 20, "china": 80, "united-states": 70}, 100)
    assert decide(licence, [StoryCandidate("earn", (earnings,))], weights=busy).story_id is None
    assert decide(same_event, [StoryCandidate("lic", (licence,))], weights=busy).story_id == "lic"


def test_field_weights_lower_ubiquitous_entities() -> None:
    w = FieldWeights({"nvidia": 40, "code:h20": 30, "mellanox": 1}, 100)
    assert w["mellanox"] == default_weight("mellanox")
    assert w["nvidia"] < 0.5 * default_weight("nvidia")
    assert w["code:h20"] < 2.0
    # too few stories to say anything: no change
    assert FieldWeights({"nvidia": 5}, 6)["nvidia"] == default_weight("nvidia")


def test_a_big_story_is_compared_through_the_earliest_member_of_each_language() -> None:
    """Representatives: a flood of English re-tellings pushed the one Arabic report out of the recent
    members; an Arabic report sharing its facts still meets it (one more pair, not the whole story)."""
    from collections import Counter

    t0 = datetime(2026, 11, 20, 8, tzinfo=UTC)
    facts = Fingerprint(frozenset({"num:5500000000", "pct:15"}))
    lead = ItemFeatures("en-lead", t0, "en", frozenset({"nvidia"}))
    arabic = ItemFeatures("ar-first", t0 + timedelta(minutes=5), "ar", frozenset({"nvidia"}), facts)
    flood = [ItemFeatures(f"en{n}", t0 + timedelta(minutes=10 + n), "en", frozenset({"nvidia"})) for n in range(80)]
    story = StoryCandidate("s", (lead, arabic, *flood))
    item = ItemFeatures("new", t0 + timedelta(hours=3), "ar", frozenset({"nvidia"}), facts)
    counts: Counter[str] = Counter()
    d = decide(item, [story], counts=counts)
    assert d.story_id == "s" and "ar-first" in d.reason
    assert counts["pairs"] == 31  # lead + 29 most recent + the earliest Arabic member
