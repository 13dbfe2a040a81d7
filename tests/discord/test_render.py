"""Embeds and replies checked against every Discord limit with hostile, long, Arabic and markup-laden items."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.discord.render import (
    AUTHOR,
    CONTENT,
    DESCRIPTION,
    FIELD_NAME,
    FIELD_VALUE,
    FIELDS,
    FOOTER,
    TITLE,
    TOTAL,
    DiscordRenderer,
    embed_length,
)
from bot.adapters.discord.text import escape, split_plain
from bot.deliver.model import AlertView, Button, Highlight, Reply, SourceRef
from bot.text.bidi import LRI, PDI
from bot.text.length import utf16_len
from bot.text.urls import markdown_url

RENDERER = DiscordRenderer.default()

HOSTILE = [
    "@everyone",
    "@here",
    "<@123>",
    "<@!123456789012345678>",
    "<@&987654321098765432>",
    "<#1>",
    "</subscribe:1>",
    "<t:0:R>",
    "<:pepe:1>",
    "<a:pepe:1>",
    "||spoiler||",
    "**bold**",
    "__under__",
    "~~strike~~",
    "`code`",
    "```block```",
    "[click](https://evil.example/x)",
    "\n# heading\n",
    "\n-# subtext\n",
    "\n> quote\n",
    "\n1. item\n",
    "\u202eevil\u202c",
    "\\",
    "*",
    "_",
    "إنفيديا",
    "هواوي",
    "H200",
    "SK Hynix",
    "HBM3E",
    "ضوابط التصدير",
    "😀",
    "\u0651",
]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40)), min_size=0, max_size=60).map(
    " ".join
)
long_text = st.one_of(hostile_text, hostile_text.map(lambda s: (s + " ") * 50))


@st.composite
def alerts(draw: st.DrawFn) -> AlertView:
    title = draw(long_text)
    excerpt = draw(long_text)
    highlights = []
    for _ in range(draw(st.integers(0, 5))):
        field = draw(st.sampled_from(["title", "excerpt"]))
        n = len(title if field == "title" else excerpt)
        start = draw(st.integers(0, max(0, n)))
        end = draw(st.integers(start, max(start, n)))
        highlights.append(Highlight(field, start, end))
    sources = st.builds(
        SourceRef,
        name=hostile_text,
        url=st.one_of(st.none(), st.just("https://example.com/a (b)"), st.text(max_size=30)),
        language=st.sampled_from(["ar", "en"]),
    )
    return AlertView(
        story_id=1,
        title=title,
        url=draw(st.one_of(st.none(), st.just("https://ex.com/p?q=(1)"), st.text(max_size=50))),
        source=draw(hostile_text),
        language=draw(st.sampled_from(["ar", "en"])),
        published=datetime(2025, 3, 1, 12, tzinfo=UTC),
        severity=draw(st.sampled_from(["critical", "high", "normal"])),
        score=1.0,
        topics=tuple(draw(st.lists(st.sampled_from(["nvidia", "hbm", "export-controls", "unknown"]), max_size=4))),
        entities=tuple(draw(st.lists(hostile_text, max_size=40))),
        excerpt=excerpt,
        highlights=tuple(highlights),
        also_reported_by=tuple(draw(st.lists(sources, max_size=40))),
        primary_source=draw(st.one_of(st.none(), sources)),
        reasons=tuple(draw(st.lists(hostile_text, max_size=10))),
    )


MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>|</[^>]+:\d+>|<a?:\w+:\d+>")


def assert_inert(text: str) -> None:
    """No token Discord would turn into a mention, channel link, command or emoji; no raw bidi override."""
    assert not MENTION.search(text), text
    assert "\u202e" not in text
    assert text.count(LRI) == text.count(PDI)


def assert_embed_within_limits(embed: dict, budget: int = TOTAL) -> None:
    assert utf16_len(embed["title"]) <= TITLE
    assert utf16_len(embed.get("description", "")) <= DESCRIPTION
    assert len(embed["fields"]) <= FIELDS
    for f in embed["fields"]:
        assert 0 < utf16_len(f["name"]) <= FIELD_NAME
        assert 0 < utf16_len(f["value"]) <= FIELD_VALUE
        assert_inert(f["value"])
    assert utf16_len(embed["footer"]["text"]) <= FOOTER
    assert utf16_len(embed["author"]["name"]) <= AUTHOR
    assert embed_length(embed) <= budget
    assert_inert(embed["title"])
    assert_inert(embed.get("description", ""))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(alert=alerts(), language=st.sampled_from(["ar", "en"]))
def test_every_alert_embed_respects_discord_limits(alert: AlertView, language: str) -> None:
    embed = RENDERER.alert_embed(alert, language=language)
    assert_embed_within_limits(embed)
    if "url" in embed:
        assert embed["url"].startswith(("http://", "https://"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(alerts(), min_size=1, max_size=13), text=long_text)
def test_replies_with_many_alerts_fit_every_message(batch: list[AlertView], text: str) -> None:
    messages = RENDERER.reply_messages(Reply(text=text * 3, alerts=tuple(batch), language="ar"))
    for m in messages:
        assert m.content is None or utf16_len(m.content) <= CONTENT
        assert_inert(m.content or "")
        assert len(m.embeds) <= 10
        assert sum(embed_length(e) for e in m.embeds) <= TOTAL
        for e in m.embeds:
            assert_embed_within_limits(e)
    assert sum(len(m.embeds) for m in messages) == len(batch)


def test_hostile_markup_is_shown_literally_not_interpreted() -> None:
    raw = "@everyone <@123> <#1> <@&1> ||secret|| **x** [link](https://evil.example) `c`"
    out = escape(raw)
    assert_inert(out)
    assert "\\|\\|secret\\|\\|" in out
    assert "\\*\\*x\\*\\*" in out
    assert "\\[link]" in out  # a masked link needs an unescaped '['
    # What a reader sees is the original text: remove our escapes and zero-width spaces.
    assert re.sub(r"\\(.)", r"\1", out).replace("\u200b", "") == raw


def test_excerpt_highlights_are_bold_and_arabic_keeps_latin_isolated() -> None:
    excerpt = "أعلنت إنفيديا أن رقائق H20 ستخضع لتراخيص جديدة من SK Hynix"
    start = excerpt.index("إنفيديا")
    alert = AlertView(
        story_id=7,
        title="قيود جديدة على H20",
        url="https://example.com/news/1",
        source="مصدر",
        language="ar",
        published=datetime(2025, 4, 1, tzinfo=UTC),
        severity="critical",
        score=2.0,
        topics=("nvidia",),
        entities=("إنفيديا", "SK Hynix"),
        excerpt=excerpt,
        highlights=(Highlight("excerpt", start, start + len("إنفيديا")),),
        also_reported_by=(SourceRef("Reuters", "https://reuters.example/x", "en"),),
        primary_source=SourceRef("BIS", "https://bis.example/rule", "en"),
    )
    embed = RENDERER.alert_embed(alert, language="ar")
    assert "**إنفيديا**" in embed["description"]
    assert f"{LRI}H20{PDI}" in embed["description"]
    assert f"{LRI}SK Hynix{PDI}" in embed["description"]
    assert f"{LRI}H20{PDI}" in embed["title"]
    names = [f["name"] for f in embed["fields"]]
    assert names == ["المصدر", "الكيانات المرصودة", "المصدر الأصلي", "نشرته أيضًا"]
    assert "[BIS](https://bis.example/rule)" in embed["fields"][2]["value"]
    assert "Reuters" in embed["fields"][3]["value"]
    assert "<t:1743465600:f>" in embed["fields"][0]["value"]
    assert embed["color"] == int("76B900", 16)
    assert embed["footer"]["text"].startswith("عاجل")
    english = RENDERER.alert_embed(alert, language="en")
    assert [f["name"] for f in english["fields"]][:2] == ["Source", "Matched"]


def test_a_ten_thousand_character_summary_is_cut_on_a_word_with_an_ellipsis() -> None:
    words = "export controls on advanced chips tighten again " * 250
    alert = AlertView(
        story_id=1,
        title="t",
        url=None,
        source="s",
        language="en",
        published=datetime(2025, 1, 1, tzinfo=UTC),
        severity="normal",
        score=0.5,
        topics=(),
        entities=(),
        excerpt=words,
    )
    description = RENDERER.alert_embed(alert, language="en")["description"]
    assert description.endswith("…")
    assert utf16_len(description) <= DESCRIPTION
    assert description[:-1].split(" ")[-1] in words.split(" ")


def test_bad_urls_are_dropped_and_parentheses_encoded() -> None:
    assert markdown_url("javascript:alert(1)") is None
    assert markdown_url("not a url") is None
    assert markdown_url("https://x.example/a(b)") == "https://x.example/a%28b%29"
    assert markdown_url("https://x.example/" + "a" * 3000) is None


def test_long_plain_text_is_split_at_lines_within_2000() -> None:
    text = "\n".join(f"سطر {i} with **markup** and @everyone" for i in range(400))
    chunks = split_plain(text)
    assert len(chunks) > 1
    for c in chunks:
        assert utf16_len(c) <= CONTENT
        assert_inert(c)
    assert sum(c.count("سطر") for c in chunks) == 400


def test_buttons_within_component_limits() -> None:
    rows = tuple(tuple(Button(text="x" * 200, data=f"d{i}{j}") for j in range(7)) for i in range(7))
    rows += ((Button(text="too long data", data="x" * 101),),)
    messages = RENDERER.reply_messages(Reply(text="hi", buttons=rows))
    buttons = messages[-1].buttons
    assert len(buttons) == 5 and all(len(r) == 5 for r in buttons)
    assert all(len(b.text) <= 80 for r in buttons for b in r)
