"""Property tests: whatever a feed sends, alerts and replies are valid Telegram HTML within the limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.telegram.markup import CAPTION_LIMIT, MESSAGE_LIMIT, split_html
from bot.adapters.telegram.render import render_alert, render_reply
from bot.deliver.model import AlertView, Highlight, Reply, SourceRef
from bot.text.length import utf16_len
from tests.telegram.htmlcheck import check, visible

# Arabic letters and marks, Latin, digits, markup and entity characters, emoji outside the BMP, bidi and
# control characters, whitespace of every kind.
_ALPHABET = st.sampled_from(
    list("ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإةىئؤ")
    + list("\u064b\u064e\u0650\u0651\u0652\u0670")
    + list("abcHSMIC0123456789")
    + list("<>&\"';/#@.-_%")
    + ["&amp;", "<b>", "</a>", "&#", "🔴", "👩‍💻", "\u202e", "\u2066", "\u200f", "\x00", "\x1b"]
    + list(" \n\t\u00a0\u2029")
)
_TEXT = st.lists(_ALPHABET, max_size=400).map("".join)


@st.composite
def long_text(draw: st.DrawFn) -> str:
    # Repeat a drawn chunk to reach feed-sized texts (up to ~20,000 characters) without slow generation.
    return draw(_TEXT) * draw(st.integers(1, 60))


@st.composite
def alerts(draw: st.DrawFn) -> AlertView:
    excerpt = draw(long_text())
    title = draw(st.one_of(_TEXT, long_text()))
    n = max(len(excerpt), 1)
    highlights = tuple(
        Highlight(draw(st.sampled_from(["excerpt", "title"])), s, s + draw(st.integers(-2, 40)))
        for s in draw(st.lists(st.integers(-5, n + 5), max_size=6))
    )
    refs = st.builds(SourceRef, _TEXT, st.one_of(st.none(), st.just('https://x.example/?a=<1>&b="2"')), st.just("ar"))
    return AlertView(
        story_id=1,
        title=title,
        url=draw(st.sampled_from([None, "https://n.example/a?b=1&c=<2>", "javascript:x", "http://" + "a" * 2000])),
        source=draw(_TEXT),
        language=draw(st.sampled_from(["ar", "en"])),
        published=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
        severity=draw(st.sampled_from(["critical", "high", "normal", "weird"])),
        score=0.5,
        topics=tuple(draw(st.lists(_TEXT, max_size=15))),
        entities=tuple(draw(st.lists(_TEXT, max_size=20))),
        excerpt=excerpt,
        highlights=highlights,
        also_reported_by=tuple(draw(st.lists(refs, max_size=12))),
        primary_source=draw(st.one_of(st.none(), refs)),
        # The matcher's reasons quote the feed's text: hits in the matcher's form, and anything at all.
        reasons=tuple(
            draw(
                st.lists(st.one_of(_TEXT, _TEXT.map(lambda t: f"title: '{t}' -> nvidia (company, +3.00)")), max_size=5)
            )
        ),
    )


_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(alerts(), st.sampled_from(["ar", "en"]), st.sampled_from(["UTC", "Asia/Riyadh", "Nowhere/Zone"]))
def test_alerts_are_valid_and_within_limits(a: AlertView, lang: str, tz: str) -> None:
    for limit in (MESSAGE_LIMIT, CAPTION_LIMIT):
        out = render_alert(a, language=lang, timezone=tz, limit=limit)
        assert check(out, limit) == []
        assert "\u202e" not in out and "\x00" not in out
    assert check(render_alert(a, language=lang, compact=True), MESSAGE_LIMIT) == []


@_SETTINGS
@given(st.lists(alerts(), max_size=12), long_text(), st.sampled_from(["ar", "en"]))
def test_replies_split_into_valid_pieces(items: list[AlertView], text: str, lang: str) -> None:
    messages = render_reply(Reply(text=text, alerts=tuple(items), language=lang))
    for m in messages:
        assert check(m.text, MESSAGE_LIMIT) == []


@_SETTINGS
@given(alerts(), st.integers(64, 5000))
def test_split_pieces_reassemble_the_text(a: AlertView, limit: int) -> None:
    text = render_alert(a, limit=100_000)
    pieces = split_html(text, limit)
    for p in pieces:
        assert check(p, limit) == []
        assert utf16_len(p) <= limit
    # Telegram trims each message, so only whitespace at the cuts may differ; no character is lost or doubled.
    assert re.sub(r"\s+", "", "".join(visible(p) for p in pieces)) == re.sub(r"\s+", "", visible(text))
