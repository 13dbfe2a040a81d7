"""Alert and reply rendering: escaping, limits, highlights, right-to-left layout, labels."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import yaml

from bot.adapters.telegram import labels
from bot.adapters.telegram.markup import CAPTION_LIMIT, MESSAGE_LIMIT, split_html, truncate_html
from bot.adapters.telegram.render import format_time, hashtag, render_alert, render_reply
from bot.deliver.model import AlertView, Button, Highlight, Reply, SourceRef
from bot.text.bidi import LRI, PDI, RLM, clean_text, latin_phrases
from bot.text.length import utf16_len
from bot.text.urls import safe_url
from tests.telegram.htmlcheck import check, visible

WHEN = datetime(2025, 1, 14, 18, 5, tzinfo=UTC)


def alert(**kw: object) -> AlertView:
    base = AlertView(
        story_id=1,
        title="US widens curbs on AI chips",
        url="https://news.example/a",
        source="Example Wire",
        language="en",
        published=WHEN,
        severity="high",
        score=0.8,
        topics=("export-controls", "ai-chips"),
        entities=("Nvidia",),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_markup_in_feed_fields_is_escaped() -> None:
    a = alert(
        title="<script>alert(1)</script> <b>bold</b> & co",
        source="<i>Wire</i> & Sons",
        entities=("<a href='x'>Evil</a>",),
        excerpt="text with <b>tags</b> & &amp; entities",
        also_reported_by=(SourceRef("<b>Other</b>", "javascript:alert(1)", "en"),),
    )
    out = render_alert(a)
    assert check(out, MESSAGE_LIMIT) == []
    shown = visible(out)
    assert "<script>alert(1)</script> <b>bold</b> & co" in shown
    assert "<i>Wire</i> & Sons" in shown
    assert "&amp; entities" in shown  # a literal "&amp;" in the feed stays literal text
    assert "<script" not in out and "javascript:" not in out


def test_only_http_links_are_linked() -> None:
    assert safe_url("https://a.example/x?y=1") == "https://a.example/x?y=1"
    for bad in ("javascript:alert(1)", "data:text/html,x", "https://", "http://a b", "ftp://x.example/", ""):
        assert safe_url(bad) is None
    out = render_alert(alert(url="javascript:alert(1)"))
    assert "<a " not in out.split("\n")[0] and check(out) == []


def test_huge_summary_is_cut_within_message_and_caption_limits() -> None:
    words = "The rule covers advanced computing items & HBM stacks <note>. "
    excerpt = (words * 400)[:20_000]
    a = alert(excerpt=excerpt, title="T" * 5000, highlights=(Highlight("excerpt", 15_000, 15_020),))
    for limit in (MESSAGE_LIMIT, CAPTION_LIMIT):
        out = render_alert(a, limit=limit)
        assert check(out, limit) == []
    out = render_alert(a)
    assert "…" in visible(out)


def test_highlights_are_bold_and_follow_the_cleaning() -> None:
    excerpt = "Officials   said\u202e the H20 chip\nneeds a licence."
    start = excerpt.index("H20")
    out = render_alert(alert(excerpt=excerpt, highlights=(Highlight("excerpt", start, start + 3),)))
    assert "the <b>H20</b> chip needs" in out
    assert "\u202e" not in out  # a feed's bidi override never reaches the chat


def test_far_highlight_is_inside_the_excerpt_window() -> None:
    excerpt = "filler words here. " * 1000 + "the SMIC deal was blocked. " + "more text. " * 100
    start = excerpt.index("SMIC")
    out = render_alert(alert(excerpt=excerpt, highlights=(Highlight("excerpt", start, start + 4),)))
    assert "<b>SMIC</b>" in out
    assert check(out, MESSAGE_LIMIT) == []


def test_overlapping_and_out_of_range_highlights_are_tolerated() -> None:
    hl = (Highlight("excerpt", 0, 5), Highlight("excerpt", 3, 8), Highlight("excerpt", 50, 900), Highlight("x", 0, 2))
    out = render_alert(alert(excerpt="abcdefghij klm", highlights=hl))
    assert check(out) == [] and "<b>abcdefgh</b>" in out


def test_arabic_alert_isolates_latin_tokens_and_starts_rtl() -> None:
    title = "قيود أمريكية على رقائق H20 وشركة SMIC ضمن الفئة 3A090"
    excerpt = "قالت الوزارة إن رقائق Nvidia H20 ستخضع لترخيص."
    start = excerpt.index("رقائق")
    a = alert(
        title=title,
        language="ar",
        source="الجزيرة",
        excerpt=excerpt,
        highlights=(Highlight("excerpt", start, start + 5),),
        entities=("إنفيديا", "SMIC"),
    )
    out = render_alert(a, language="ar", timezone="Asia/Riyadh")
    assert check(out) == []
    lines = out.split("\n")
    assert all(line.startswith(RLM) for line in lines)
    for token in ("H20", "SMIC", "3A090"):
        assert f"{LRI}{token}{PDI}" in lines[0]
    assert f"{LRI}Nvidia H20{PDI}" in out  # one isolate per phrase: the two words keep their order
    assert "<b>رقائق</b>" in out
    assert labels.alert_labels("ar")["entities"] in out
    assert f"{LRI}2025-01-14 21:05 UTC+03{PDI}" in out


def test_english_chat_with_arabic_item_keeps_english_labels() -> None:
    a = alert(title="رقائق الذاكرة HBM", language="ar", source="الشرق")
    out = render_alert(a, language="en")
    assert out.split("\n")[0].startswith(RLM)  # the Arabic title line is RTL
    assert "Important" in out and "\u2067الشرق\u2069" in out  # Arabic value isolated RTL in an LTR line


def test_mixed_script_source_names_keep_their_reading_order() -> None:
    out = render_alert(alert(source="CNN بالعربية", language="ar", title="عنوان"), language="ar")
    assert "<i>\u2066CNN\u2069 بالعربية</i>" in out  # an Arabic name: only its Latin part is isolated
    out = render_alert(alert(source="Reuters"), language="ar")
    assert "<i>\u2066Reuters\u2069</i>" in out


def test_latin_phrases() -> None:
    text = "عام 2025 أعلنت Applied Materials أن U.S. H20 و5% لا"
    phrases = [text[s:e] for s, e in latin_phrases(text)]
    assert phrases == ["Applied Materials", "U.S. H20"]


def test_clean_text_maps_offsets() -> None:
    text = "  a\u202e  b\n\nc "
    clean, index = clean_text(text)
    assert clean == "a b c"
    assert clean[index[text.index("b")]] == "b" and clean[index[text.index("c")]] == "c"
    assert len(index) == len(text) + 1


def test_time_in_chat_zone_and_bad_zone_falls_back() -> None:
    assert format_time(WHEN, "Asia/Riyadh") == "2025-01-14 21:05 UTC+03"
    assert format_time(WHEN, "America/New_York") == "2025-01-14 13:05 EST"
    assert format_time(WHEN, "Asia/Kathmandu") == "2025-01-14 23:50 UTC+05:45"
    for bad in ("Mars/Olympus", "../../etc/passwd", "", None):
        assert format_time(WHEN, bad) == "2025-01-14 18:05 UTC"
    assert format_time(datetime(2025, 1, 14, 18, 5), "UTC") == "2025-01-14 18:05 UTC"  # naive = UTC


def test_hashtags_are_telegram_safe() -> None:
    assert hashtag("export-controls") == "#export_controls"
    assert hashtag("huawei smic/2") == "#huawei_smic_2"
    assert hashtag("2025") == "#t_2025"
    assert hashtag("--") == ""
    assert hashtag("رقائق-ذكاء") == "#رقائق_ذكاء"


def test_also_reported_by_and_primary_source() -> None:
    others = tuple(SourceRef(f"Outlet {i}", f"https://o{i}.example/", "en") for i in range(11))
    a = alert(also_reported_by=others, primary_source=SourceRef("Federal Register", "https://fr.example/d", "en"))
    out = render_alert(a)
    assert "Also reported by: " in out and "+3 more" in out
    assert '<a href="https://o0.example/">Outlet 0</a>' in out
    assert 'Primary source: <a href="https://fr.example/d">Federal Register</a>' in out


def test_compact_form_is_two_lines() -> None:
    out = render_alert(alert(excerpt="long text"), compact=True)
    assert len(out.split("\n")) == 2 and "long text" not in out and "#ai_chips" in out


def test_label_files_have_the_same_keys_in_both_languages() -> None:
    data = yaml.safe_load(labels._PATH.read_text(encoding="utf-8"))
    for section in ("alert", "messages"):
        assert data[section]["en"].keys() == data[section]["ar"].keys()
    for cmd in data["commands"]:
        assert cmd["en"] and cmd["ar"] and cmd["command"].islower() and len(cmd["command"]) <= 32


def test_reply_is_escaped_split_and_keyboard_goes_last() -> None:
    line = "Story <x> & details about export rules\n"
    reply = Reply(
        text=line * 400,
        buttons=((Button("Next ▶", "p:2"), Button("bad", "x" * 65)),),
        alerts=(alert(),),
    )
    messages = render_reply(reply)
    assert len(messages) > 1
    for m in messages:
        assert check(m.text, MESSAGE_LIMIT) == []
    assert all(m.keyboard is None for m in messages[:-1])
    keyboard = messages[-1].keyboard
    assert keyboard is not None
    assert [[b.callback_data for b in row] for row in keyboard.inline_keyboard] == [["p:2"]]
    joined = "".join(visible(m.text) for m in messages)
    assert joined.count("Story <x> & details") == 400


def test_arabic_reply_lines_are_rtl_with_isolated_commands() -> None:
    messages = render_reply(Reply(text="للاشتراك اكتب /subscribe hbm في المحادثة", language="ar"))
    assert messages[0].text.startswith(RLM) and f"{LRI}/subscribe hbm{PDI}" in messages[0].text


def test_empty_reply_renders_nothing() -> None:
    assert render_reply(Reply()) == []


def test_split_reopens_tags_and_never_breaks_entities() -> None:
    text = "<b>" + "bold &amp; " * 200 + "</b>" + '<a href="https://x.example/">' + "link " * 100 + "</a>"
    pieces = split_html(text, 300)
    assert len(pieces) > 3
    for p in pieces:
        assert check(p, 300) == []
    assert "".join(visible(p) for p in pieces) == visible(text)


def test_limits_count_utf16_units() -> None:
    emoji = "🔴"  # outside the BMP: two UTF-16 units
    assert utf16_len(emoji) == 2
    pieces = split_html(emoji * 3000, MESSAGE_LIMIT)
    assert all(utf16_len(p) <= MESSAGE_LIMIT for p in pieces) and "".join(pieces) == emoji * 3000


def test_split_keeps_marks_with_their_letter() -> None:
    text = "بِسْمِ " * 400
    for p in split_html(text, 100):
        assert not p or p[0] not in "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"


def test_truncate_html_closes_tags() -> None:
    out = truncate_html("<b>" + "x &amp; y " * 100 + "</b>", 50)
    assert check(out, 50) == [] and out.endswith("…</b>")
