"""A topic's or an entity's name in the chat's language, from the lexicon.

The one rule: the Arabic name in an Arabic chat, the English name in any other; a missing name falls back to
the English one, then to the id (a user's lexicon extension may name an entity in one language only).
"""

from __future__ import annotations

from bot.match.lexicon import load_lexicon


def in_language(language: str, ar: str, en: str, fallback: str) -> str:
    """``ar`` for an Arabic chat, ``en`` otherwise; an empty name falls back to ``en``, then ``fallback``."""
    return (ar if language == "ar" else en) or en or fallback


def topic_name(topic_id: str, language: str) -> str:
    """A topic's name (an unknown id is shown as itself)."""
    topic = load_lexicon().topics.get(topic_id)
    return in_language(language, topic.name_ar, topic.name_en, topic_id) if topic else topic_id


def entity_name(entity_id: str, language: str) -> str:
    """An entity's name (an unknown id, or a concept term, is shown as itself)."""
    entry = load_lexicon().entries.get(entity_id)
    if entry is None or entry.kind == "term":
        return entity_id
    return in_language(language, entry.name_ar, entry.name_en, entity_id)
