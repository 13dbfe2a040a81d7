"""A topic's or an entity's name in the chat's language: one rule for replies, alerts, digests and exports."""

from __future__ import annotations

from bot.match import load_lexicon
from bot.text.names import entity_name, in_language, topic_name


def test_arabic_chats_get_arabic_names_and_every_other_chat_english() -> None:
    topic = next(iter(load_lexicon().topics.values()))
    assert topic_name(topic.id, "ar") == topic.name_ar
    assert topic_name(topic.id, "en") == topic.name_en == topic_name(topic.id, "fr")
    assert entity_name("nvidia", "ar") == "إنفيديا"
    assert entity_name("nvidia", "en") == "Nvidia"


def test_unknown_ids_and_missing_names_fall_back() -> None:
    assert topic_name("no-such-topic", "ar") == "no-such-topic"
    assert entity_name("no-such-entity", "en") == "no-such-entity"
    assert in_language("ar", "", "Acme Chips", "acme") == "Acme Chips"  # an extension named in English only
    assert in_language("en", "أكمي", "", "acme") == "acme"
