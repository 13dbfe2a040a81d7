"""Stories for ``/export`` tests, stored by the real ingest code: an English wire and an Arabic outlet, with
headlines a spreadsheet would take for formulas."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.config import FeedsFile
from bot.normalize import Item
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from tests.fakes.store import feed_item, store_new_items

NOW = datetime.now(UTC).replace(microsecond=0)
# One story told in English (3 h ago) and then in Arabic (2 h ago); the English headline is its lead.
HOSTILE = '=HYPERLINK("http://evil.example","x") Nvidia wins US licence to sell H20 chips to China'
ARABIC = "واشنطن تمنح «إنفيديا» تراخيص لبيع رقائق H20 إلى الصين"
MINUS = "-40% for Nvidia in China as Beijing tells firms to avoid its RTX Pro 6000D"  # 2 days ago
HBM = "SK Hynix to double HBM output as AI demand soars"  # 3 days ago, not about Nvidia
OLD = "@SUM(1) Nvidia asks BIS for H20 licences"  # 40 days ago


def _item(feed: str, n: int, title: str, age: timedelta, lang: str = "en") -> Item:
    item = feed_item(feed, n, title, published=NOW - age, fetched=NOW, lang=lang)
    return replace(item, content_hash=f"{feed}-{n}")  # the default (with the title) outgrows the column


def seed_export_stories(engine: Engine) -> None:
    with session(engine) as s:
        sync_feeds(
            s,
            [
                FeedSpec("wire", "https://wire.example/rss", "en", title="Example Wire"),
                FeedSpec("khabar", "https://khabar.example/rss", "ar", title="خبر"),
            ],
        )
    wire = [
        _item("wire", 1, HOSTILE, timedelta(hours=3)),
        _item("wire", 2, MINUS, timedelta(days=2)),
        _item("wire", 3, HBM, timedelta(days=3)),
        _item("wire", 4, OLD, timedelta(days=40)),
    ]
    store_new_items(engine, "wire", wire, first_poll=True, now=NOW, config=FeedsFile())
    arabic = [_item("khabar", 1, ARABIC, timedelta(hours=2), "ar")]
    store_new_items(engine, "khabar", arabic, first_poll=True, now=NOW, config=FeedsFile())
