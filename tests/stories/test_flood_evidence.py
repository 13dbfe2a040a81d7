"""A flooding feed's members are no fingerprint evidence (issue 13): its archive replayed with fresh dates
cannot absorb another feed's real news of the same company on the same day, nor chain its own unrelated
items into one story; a near-copy of its text still joins its story."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.stories.cluster import StoryCandidate, decide
from bot.stories.features import ItemFeatures
from bot.stories.fingerprint import fingerprint
from bot.stories.signatures import NearDup

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def feat(key: str, source: str, title: str, text: str, ents: set[str]) -> ItemFeatures:
    return ItemFeatures(key, T0, "en", frozenset(ents), fingerprint(title, text), source=source)


ARCHIVE = feat(
    "a1",
    "archive",
    "Nvidia H20 'not secure', state media says",
    "Reports about the Nvidia H20 chip.",
    {"nvidia", "h20", "china"},
)
CALM = feat(
    "c1",
    "wire",
    "US adds 8 firms that bought Nvidia H20 chips to the Entity List",
    "The Commerce Department added 8 companies buying the Nvidia H20 through intermediaries.",
    {"nvidia", "h20", "entity-list", "united-states"},
)


def test_a_calm_report_joins_by_fingerprint_unless_the_story_is_a_flooding_feeds() -> None:
    story = StoryCandidate(1, (ARCHIVE,))
    assert decide(CALM, [story]).story_id == 1, "same company, chip and day: close enough without a flood"
    kept_apart = decide(CALM, [story], flooding=frozenset({"archive"}))
    assert kept_apart.story_id is None, kept_apart.reason


def test_a_flooding_feed_chains_none_of_its_own_items_and_a_calm_member_still_counts() -> None:
    other = replace(ARCHIVE, key="a2", fingerprint=fingerprint("What next for the Nvidia H20", ""))
    assert decide(other, [StoryCandidate(1, (ARCHIVE,))]).story_id == 1
    assert decide(other, [StoryCandidate(1, (ARCHIVE,))], flooding=frozenset({"archive"})).story_id is None
    mixed = StoryCandidate(1, (ARCHIVE, replace(CALM, key="c0")))
    assert decide(CALM, [mixed], flooding=frozenset({"archive"})).story_id == 1, "through the calm member"


def test_a_near_copy_of_a_flooding_feeds_text_still_joins_its_story() -> None:
    copy = replace(CALM, key="c2")
    hit = NearDup(key="a1", jaccard=0.8, containment=0.9)
    decision = decide(copy, [StoryCandidate(1, (ARCHIVE,))], [hit], flooding=frozenset({"archive"}))
    assert decision.story_id == 1 and decision.reason.startswith("near-duplicate"), decision.reason
