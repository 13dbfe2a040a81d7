"""Issue 13.14: feeds that flip GUIDs, links or invisible text do not grow the store or edit stories.

A feed server on loopback changes its document at every request, as the flippers of the adversarial trial
did; the real pipeline polls it on SQLite and PostgreSQL. A real correction (a new headline) still counts.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from sqlalchemy.engine import Engine

from bot.config import parse_config
from bot.deliver.views import EXCERPT_CHARS
from bot.demo.server import Document, FeedServer
from bot.fetch import Fetcher
from bot.pipeline import Pipeline
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from storage.items import READER_EXCERPT
from storage.queries import count_items, recent_items

POLLS = 6
CORRECTED_AT = 3  # the poll whose document corrects item E's headline


def keyword_classifier(title: str, text: str, lang: str | None) -> SimpleNamespace:
    hit = "chip" in title.lower()
    return SimpleNamespace(
        relevant=hit,
        score=0.9 if hit else 0.0,
        severity="high" if hit else None,
        topics=("ai-chips",) if hit else (),
        entities=(),
        reasons=(),
        evidence=5.0 if hit else 0.0,
    )


def flipping_feed() -> Callable[[], Document]:
    n = 0
    filler = " ".join(f"word{i}" for i in range(80))  # past the alert's excerpt

    def document() -> Document:
        nonlocal n
        items = [
            # A: a new GUID at every request; same link and text
            (f"a-{n}", "https://n.example/a", "Chip export rule A", "Body A"),
            # B: no GUID; the link carries a new session parameter at every request
            (None, f"https://n.example/b?session={n}", "Chip export rule B", "Body B"),
            # C: a fixed GUID; the link flips
            ("c", f"https://n.example/c/{n}", "Chip export rule C", "Body C"),
            # D: a fixed GUID; zero-width characters come and go, and the body's tail says when it was updated
            (
                "d",
                "https://n.example/d",
                "Chip rule\u200b D" if n % 2 else "Chip rule D",
                f"{filler} updated {n} minutes ago",
            ),
            # F: a new GUID at every request, and zero-width characters that come and go; same link
            (f"f-{n}", "https://n.example/f", "Chip export\u200b rule F" if n % 2 else "Chip export rule F", "Body F"),
            # E: a real correction of the headline, once
            ("e", "https://n.example/e", "Chip story E" + (" corrected" if n >= CORRECTED_AT else ""), "Body E"),
        ]
        n += 1
        body = "".join(
            "<item>"
            + (f"<guid isPermaLink='false'>{g}</guid>" if g else "")
            + f"<link>{link.replace('&', '&amp;')}</link><title>{t}</title><description>{d}</description></item>"
            for g, link, t, d in items
        )
        xml = f"<?xml version='1.0'?><rss version='2.0'><channel><title>Flip</title>{body}</channel></rss>"
        return 200, {"Content-Type": "application/rss+xml"}, xml.encode()

    return document


async def test_flippers_do_not_grow_the_store_or_edit_stories(engine: Engine) -> None:
    assert EXCERPT_CHARS == READER_EXCERPT, "storage judges visibility by the excerpt alerts show"
    edited: list[set[int]] = []

    async def on_story_update(stories: set[int]) -> None:
        edited.append(set(stories))

    with FeedServer({"/flip.xml": flipping_feed()}) as server:
        config = parse_config(
            "settings: {allow_private_addresses: true, retries: 0, second_look: false}\n"
            f"feeds:\n  - {{id: flip, url: '{server.base_url}/flip.xml', language: en}}\n"
        )
        with session(engine) as s:
            sync_feeds(s, [FeedSpec(f.id, f.url, f.language) for f in config.feeds])
        async with Fetcher(_settings(config)) as fetcher:
            pipeline = Pipeline(
                engine=engine,
                fetcher=fetcher,
                config=config,
                classifier=keyword_classifier,
                on_story_update=on_story_update,
            )
            results = []
            for poll in range(POLLS):
                edited.clear()
                [r] = await pipeline.poll_once()
                results.append((r, list(edited)))
                assert r.status in ("new", "unchanged"), r
                if poll == 0:
                    assert r.new == 6
                    continue
                assert r.new == 0, f"poll {poll}: a flipped GUID or link made a new item"
                if poll == CORRECTED_AT:
                    assert r.updated == 1 and len(edited) == 1 and len(edited[0]) == 1, "the real correction"
                else:
                    assert r.updated == 0 and edited == [], f"poll {poll}: a story edited with nothing to see"
    with session(engine) as s:
        assert count_items(s, "flip") == 6
        rows = {r.guid or r.url: r for r in recent_items(s, feed_id="flip", limit=20)}
    assert rows["a-0"].url == "https://n.example/a", "A keeps its first identity"
    assert rows["c"].url == "https://n.example/c/0" and rows["d"].url == "https://n.example/d", "links kept"
    assert rows["e"].title == "Chip story E corrected"
    assert rows["d"].summary.endswith(f"updated {POLLS - 1} minutes ago"), "the quiet change is still stored"


def _settings(config):  # type: ignore[no-untyped-def]
    from bot.app import fetch_settings
    from bot.config import Env

    return fetch_settings(config, Env())
