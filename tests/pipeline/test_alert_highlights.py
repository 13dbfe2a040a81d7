"""Entity highlights survive to the alert (issue 16 part 5).

The matcher reads an item's content, else its summary, and stores each entity's offsets in that text; the alert
view used to cut its excerpt from the summary, else the content, and dropped every highlight whose offsets did
not happen to hold in it. Through the real path — the real matcher, the real store, the alert view and the
Telegram renderer — the excerpt is cut from the text the offsets were computed on, with the offsets carried
through its whitespace collapsing and its window.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.adapters.telegram.render import render_alert
from bot.config import FeedsFile
from bot.deliver.views import EXCERPT_CHARS, alert_view
from bot.normalize import Item
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from storage.tables import StoryItem
from tests.fakes.store import NOW, store_new_items

TITLE = "Washington tightens chip export rules"
TEASER = "A short teaser that names no company at all."
FILLER = "Officials said on Tuesday  that the rules,\n\nfirst drafted last year, would widen. "
NEWS = "The Commerce Department added  Huawei and\nSMIC to the Entity List, restricting access to American tools."


def _alert(engine: Engine, content: str) -> tuple[str, dict[str, int]]:
    """Store one item (summary ``TEASER``, ``content``) past its feed's first poll; its alert's excerpt and
    the highlighted excerpt texts (text → count)."""
    with session(engine) as s:
        sync_feeds(s, [FeedSpec("wire", "https://wire.example/rss", "en", title="Wire")])
        s.commit()
    item = Item(
        feed_id="wire",
        identity="w1",
        guid="w1",
        url="https://wire.example/1",
        title=TITLE,
        summary=TEASER,
        content=content,
        language="en",
        published=NOW,
        fetched=NOW,
        content_hash="h1",
    )
    batch = store_new_items(engine, "wire", [item], first_poll=False, now=NOW, config=FeedsFile())
    assert len(batch.alerts) == 1, "the item is relevant and alerts"
    with session(engine) as s:
        story_id = s.exec(select(StoryItem.story_id)).one()
        view = alert_view(s, story_id)
    assert view is not None
    shown: dict[str, int] = {}
    for h in view.highlights:
        if h.field == "excerpt":
            span = view.excerpt[h.start : h.end]
            shown[span] = shown.get(span, 0) + 1
        else:
            assert view.title[h.start : h.end] == "Washington"
    html = render_alert(view)
    for span in shown:
        assert f"<b>{span}</b>" in html, (span, html)
    return view.excerpt, shown


def test_highlights_of_the_content_survive_when_the_summary_differs(sqlite_engine: Engine) -> None:
    excerpt, shown = _alert(sqlite_engine, FILLER + NEWS)
    assert TEASER not in excerpt, "the excerpt is cut from the text the matcher read"
    assert set(shown) == {"Commerce Department", "Huawei", "SMIC", "Entity List", "American"}


def test_an_entity_past_the_excerpts_length_brings_its_passage_into_view(sqlite_engine: Engine) -> None:
    excerpt, shown = _alert(sqlite_engine, FILLER * 8 + NEWS)
    assert len(" ".join((FILLER * 8).split())) > EXCERPT_CHARS
    assert excerpt.startswith("…") and "Huawei" in excerpt and len(excerpt) <= EXCERPT_CHARS + 2
    assert {"Commerce Department", "Huawei", "SMIC", "Entity List"} <= set(shown)
