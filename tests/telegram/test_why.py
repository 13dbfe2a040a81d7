"""Issue 15 item 11: a Telegram alert says why it matched, in one compact line, escaped and within limits —
rendered alone, and end to end: a stored story through the real dispatcher and notifier to the fake Bot API."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.adapters.telegram.markup import CAPTION_LIMIT, MESSAGE_LIMIT, html_to_text
from bot.adapters.telegram.notifier import TelegramNotifier
from bot.adapters.telegram.render import render_alert
from bot.config import FeedsFile
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.deliver.model import AlertView
from bot.normalize import Item
from storage import subscriptions as subs
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from tests.fakes.store import store_new_items
from tests.fakes.telegram_api import FakeBotAPI
from tests.telegram.htmlcheck import check

NOW = datetime.now(UTC).replace(microsecond=0)
BASE = AlertView(
    story_id=1,
    title="US widens curbs on AI chips",
    url="https://news.example/a",
    source="Example Wire",
    language="en",
    published=datetime(2025, 1, 14, 18, 5, tzinfo=UTC),
    severity="high",
    score=0.8,
    topics=("export-controls",),
    entities=("Nvidia",),
    reasons=(
        "title: 'Nvidia' -> nvidia (company, +3.00)",
        "body: 'H20' -> h20 (chip, +4.50)",
        "rule: control term with a chip/equipment/mineral object (+1.5)",
        "severity: high (never shown: the first three only)",
    ),
)


def _why_line(html_text: str, label: str) -> str:
    """The why line as a reader sees it (direction marks and isolates left out)."""
    [line] = [ln for ln in html_to_text(html_text).split("\n") if label + ":" in ln]
    return "".join(ch for ch in line if ch not in "\u2066\u2067\u2068\u2069\u200e\u200f")


def test_the_why_line_is_compact_and_in_the_chat_language() -> None:
    line = _why_line(render_alert(BASE, language="en"), "Why")
    assert line.endswith(
        "Why: «Nvidia» → nvidia · «H20» → h20 · rule: control term with a chip/equipment/mineral object (+1.5)"
    )
    assert "severity" not in line and "+3.00" not in line
    ar = _why_line(render_alert(BASE, language="ar"), "لماذا")
    assert "«Nvidia»" in ar and "h20" in ar


def test_reasons_quoting_hostile_feed_text_are_escaped() -> None:
    hostile = replace(
        BASE,
        reasons=("title: '<b>x</b> & <a href=\"javascript:1\">' -> nvidia (company, +3.00)", "<script>" * 400),
    )
    for limit in (MESSAGE_LIMIT, CAPTION_LIMIT):
        out = render_alert(hostile, language="en", limit=limit)
        assert check(out, limit) == []
        assert "<script>" not in out and '<a href="javascript' not in out
    line = _why_line(render_alert(hostile, language="en"), "Why")
    assert "«<b>x</b> & <a href=" in line, "shown as text, not markup"
    assert len(line) < 200, "a reason is capped"


def test_a_shrunk_alert_keeps_fewer_reasons_and_none_without_any() -> None:
    assert "Why" not in html_to_text(render_alert(replace(BASE, reasons=()), language="en"))
    huge = replace(BASE, title="t" * 5000, excerpt="word " * 5000, entities=tuple(f"e{i}" for i in range(50)))
    out = render_alert(huge, language="en", limit=CAPTION_LIMIT)
    assert check(out, CAPTION_LIMIT) == []


async def test_a_delivered_alert_says_why_it_matched(
    sqlite_engine: Engine, fake: FakeBotAPI, notifier: TelegramNotifier
) -> None:
    with session(sqlite_engine) as s:
        sync_feeds(s, [FeedSpec("a", "https://a.example/rss", "ar")])
        sub = subs.get_or_create(s, "telegram", "4242", now=NOW, language="en")
        sub.topics = ""
        s.add(sub)
        s.commit()
    item = Item(
        feed_id="a",
        identity="a-1",
        guid="a-1",
        url="https://a.example/1",
        title="واشنطن تمنح تراخيص لـ«إنفيديا» لبيع رقائق H20 <i>",
        summary="قالت وزارة التجارة الأمريكية إنها منحت تراخيص لبيع رقائق H20 إلى الصين.",
        content="",
        language="ar",
        published=NOW - timedelta(minutes=5),
        fetched=NOW,
        content_hash="a1",
    )
    store_new_items(sqlite_engine, "a", [item], first_poll=False, now=NOW, config=FeedsFile())
    d = Dispatcher(sqlite_engine, {"telegram": notifier}, owner="w", settings=DispatchSettings(pace=False))
    assert await d.dispatch_once() == 1
    [call] = fake.calls_to("sendMessage")
    sent = str(call.params["text"])
    assert check(sent, MESSAGE_LIMIT) == []
    line = _why_line(sent, "Why")
    assert "«إنفيديا» → nvidia" in line and "→ h20" in line
