"""Bilingual matcher: normalizer, lexicon, automaton and ``classify()`` (pure functions on text)."""

from bot.match.classify import Classification, EntityHit, classify
from bot.match.cli_io import classify_json_lines, explain
from bot.match.lexicon import Lexicon, LexiconError, load_lexicon
from bot.match.lookup import entity_lookup, needs_second_look, suggest_topic, topic_lookup

__all__ = [
    "Classification",
    "EntityHit",
    "Lexicon",
    "LexiconError",
    "classify",
    "classify_json_lines",
    "entity_lookup",
    "explain",
    "load_lexicon",
    "needs_second_look",
    "suggest_topic",
    "topic_lookup",
]
