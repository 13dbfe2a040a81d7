"""The feeds table follows the feeds file (``sync_feeds``), and a file that says what the table already holds
costs a read of plain rows: no feed is loaded as an object (every command opens the store through it)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

from storage.db import session
from storage.feeds import FeedSpec, get_feed, list_feeds, sync_feeds
from storage.tables import Feed


def _sync(engine: Engine, *specs: FeedSpec) -> tuple[list[str], list[str]]:
    with session(engine) as s:
        return sync_feeds(s, list(specs))


def _state(engine: Engine) -> dict[str, tuple[str, str | None, bool, str | None]]:
    with session(engine) as s:
        return {f.id: (f.url, f.etag, f.enabled, f.disabled_reason) for f in list_feeds(s)}


def test_the_table_follows_the_file(engine: Engine) -> None:
    a, b = FeedSpec("a", "https://a.example/rss", "ar"), FeedSpec("b", "https://b.example/rss", "en")
    assert _sync(engine, a, b) == (["a", "b"], [])
    with session(engine) as s:  # a poll stored validators, a failure streak disabled b
        fa, fb = get_feed(s, "a"), get_feed(s, "b")
        assert fa is not None and fb is not None
        fa.etag, fb.enabled, fb.disabled_reason = '"v1"', False, "disabled after 10 failures"
        s.add_all([fa, fb])
        s.commit()

    assert _sync(engine, a, b) == ([], [])
    assert _state(engine)["b"] == ("https://b.example/rss", None, False, "disabled after 10 failures")

    moved = FeedSpec("a", "https://a.example/feed", "ar")
    assert _sync(engine, moved, b) == ([], ["a"])
    assert _state(engine)["a"] == ("https://a.example/feed", None, True, None), "a new URL forgets the validators"

    assert _sync(engine, FeedSpec("a", moved.url, "ar", enabled=False), b) == ([], [])
    assert _state(engine)["a"][2:] == (False, "disabled in the configuration")
    assert _sync(engine, moved, b) == ([], [])
    assert _state(engine)["a"][2:] == (True, None)

    assert _sync(engine, b) == ([], [])  # a left the file: kept, disabled
    assert _state(engine)["a"][2:] == (False, "removed from the configuration")
    assert _sync(engine, moved, b) == ([], [])
    assert _state(engine)["a"][2:] == (True, None)
    assert _state(engine)["b"][2:] == (False, "disabled after 10 failures"), "failures are not the file's to undo"

    titled = FeedSpec("b", b.url, "en", title="Wire", authority=True)
    assert _sync(engine, moved, titled) == ([], ["b"])


def test_a_file_that_changes_nothing_loads_no_feed_object(engine: Engine) -> None:
    specs = [FeedSpec(f"f{n}", f"https://f{n}.example/rss", "en") for n in range(30)]
    _sync(engine, *specs)
    loaded: list[str] = []

    def on_load(target: Feed, _context: object) -> None:
        loaded.append(target.id)

    event.listen(Feed, "load", on_load)
    try:
        assert _sync(engine, *specs) == ([], [])
        assert loaded == []
        assert _sync(engine, *specs[:-1], FeedSpec("f29", "https://f29.example/rss", "ar")) == ([], ["f29"])
        assert loaded == ["f29"], "only the row that changes is loaded"
    finally:
        event.remove(Feed, "load", on_load)
