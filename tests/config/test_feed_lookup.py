"""``FeedsFile.feed``: a feed by its id, in one lookup (a cycle asks for every feed's interval)."""

from __future__ import annotations

from bot.config import FeedsFile


def test_a_feed_is_found_by_its_id_and_an_unknown_id_is_none() -> None:
    config = FeedsFile.model_validate(
        {"feeds": [{"id": f"f{n}", "url": f"https://example.org/{n}.xml", "language": "en"} for n in range(3)]}
    )
    assert config.feed("f2") is config.feeds[2]
    assert config.feed("nope") is None
    # the lookup is not part of the model: equal files stay equal, and dumping shows only the fields
    assert config == FeedsFile.model_validate(config.model_dump())
    assert set(config.model_dump()) == {"settings", "feeds", "subscriptions", "lexicon"}
    other = config.model_copy(update={"feeds": config.feeds[:1]})  # the copy carries the first one's lookup
    assert other.feed("f0") is config.feeds[0] and other.feed("f2") is None
