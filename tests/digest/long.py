"""A busy week's digest built from plain data (no store): long enough for several messages on every platform.

The adapters' packing tests render it with the digest's own renderer and hand the text to each platform.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.digest.model import Digest, DigestStory, Spike
from bot.digest.period import Period

UNTIL = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
TOPICS = ("export-controls", "entity-list", "huawei-smic")
_PHRASE = {
    "ar": "وزارة التجارة الأمريكية تضيف شركات رقائق صينية إلى قائمة الكيانات وتشدد ضوابط تصدير معدات Nvidia H20",
    "en": "US Commerce adds Chinese chip firms to the Entity List and tightens export rules on Nvidia H20 gear",
}


def _story(i: int, topic: str, title_language: str, repeat: int) -> DigestStory:
    return DigestStory(
        story_id=i,
        title=f"{i}. " + " — ".join([_PHRASE[title_language]] * repeat),
        title_language=title_language,
        url=f"https://wire.example/story/{i}",
        sources=2 + i % 4,
        languages=["ar", "en"] if i % 2 else [title_language],
        score=10.0 - i / 10,
        rank=float(i),
        topics=[topic],
        main_topic=topic,
        first_published=UNTIL - timedelta(days=1, hours=i),
    )


def long_digest(language: str = "ar", repeat: int = 2) -> Digest:
    """Three topics of five stories (the digest's caps), titles ``repeat`` phrases long, trends and entities:
    every block fits a Discord message at ``repeat=2`` and the whole is over Telegram's 4096."""
    groups: dict[str, list[DigestStory]] = {}
    for t, topic in enumerate(TOPICS):
        groups[topic] = [_story(t * 5 + k, topic, "ar" if k % 2 else "en", repeat) for k in range(5)]
    stories = [s for group in groups.values() for s in group]
    return Digest(
        period=Period(UNTIL - timedelta(days=7), UNTIL, "UTC", "weekly"),
        language=language,
        topics=[],
        stories=stories,
        groups=groups,
        counts={"stories": len(stories), "items": 61, "sources": 9},
        previous={"stories": 4},
        topic_counts={topic: (len(v), 1) for topic, v in groups.items()},
        entities=[("nvidia", 12), ("smic", 7), ("huawei", 5)],
        new_entities=["smic"],
        spikes=[Spike("entity", "nvidia", 12, 1.5, 8.0), Spike("topic", "entity-list", 6, 0.0, None)],
    )
