"""Texts in both languages, RTL safety, plural forms, the empty digest, and platform limits."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.digest.build import Digest, build_digest
from bot.digest.labels import label
from bot.digest.period import Period
from bot.digest.render import caption, render_blocks, render_html, render_json, render_markdown, render_text
from bot.text.bidi import FSI, LRI, PDI, isolate_latin, strip_isolates
from bot.text.length import utf16_len
from storage.db import session
from tests.digest.conftest import SINCE, UNTIL, Week
from tests.digest.seed import get_sub, subscription
from tests.digest.split import LIMITS, split_blocks


def digest_messages(d: Digest, platform: str = "telegram") -> list[str]:
    """The digest's chat text as messages for ``platform`` (a key of ``LIMITS``), in order: its blocks packed
    whole by the adapters' ``bot.adapters.pack``, a block over the limit cut by ``tests.digest.split``."""
    limit, measure = LIMITS[platform]
    return split_blocks(render_blocks(d), limit, measure)


def digest(week: Week, language: str):  # type: ignore[no-untyped-def]
    sub = get_sub(week.engine, subscription(week.engine, language=language, target=language))
    with session(week.engine) as s:
        return build_digest(s, sub, period=Period(SINCE, UNTIL, "UTC", "weekly"))


def test_english_text(week: Week) -> None:
    text = render_text(digest(week, "en"))
    lines = text.split("\n")
    assert lines[0] == "Raqib weekly digest · 2025-03-03 – 2025-03-10"
    assert lines[1] == "5 new stories (+4 vs the previous period) · 10 reports · 5 sources"
    assert "■ Entity List" in text
    assert f"• {FSI}US adds 12 Chinese chip firms to the Entity List{PDI} — 4 sources · Arabic and English" in text
    assert "  https://wire.example/entity-list" in text
    assert "Most mentioned: Entity List (4) · SMIC (3)" in text
    assert "New this week: Entity List · SMIC" in text


def test_arabic_text_keeps_titles_and_isolates_latin(week: Week) -> None:
    text = render_text(digest(week, "ar"))
    lines = text.split("\n")
    assert lines[0] == f"موجز رقيب الأسبوعي · من {LRI}2025-03-03{PDI} إلى {LRI}2025-03-10{PDI}"
    assert lines[1] == f"5 قصص جديدة ({LRI}+4{PDI} مقارنة بالفترة السابقة) · 10 أخبار · 5 مصادر"
    assert "■ قائمة الكيانات" in text
    # An English title stays English, as one isolated unit, with Arabic around it.
    assert f"{FSI}US adds 12 Chinese chip firms to the Entity List{PDI} — 4 مصادر · بالعربية والإنجليزية" in text
    assert f"• {FSI}هواوي تكشف عن رقاقة أسيند جديدة مصنوعة لدى سميك{PDI} — مصدر واحد" in text
    assert "الأكثر ذكرًا: قائمة الكيانات (4) · سميك (3)" in text


def test_arabic_plural_forms_and_latin_isolation() -> None:
    assert [label("ar", "stories", n) for n in (1, 2, 3, 11, 100)] == [
        "قصة جديدة واحدة",
        "قصتان جديدتان",
        "3 قصص جديدة",
        "11 قصة جديدة",
        "100 قصة جديدة",
    ]
    assert label("ar", "items", 11) == "11 خبرًا" and label("ar", "items", 100) == "100 خبر"
    assert isolate_latin("إنفيديا Nvidia H20: 3 مصادر") == f"إنفيديا {LRI}Nvidia H20{PDI}: 3 مصادر"
    assert isolate_latin("Nvidia H20") == "Nvidia H20"  # a Latin line needs nothing


def test_empty_digest_is_one_line_in_both_languages(week: Week) -> None:
    for lang, words in (("en", "nothing new on your topics"), ("ar", "لا جديد في موضوعاتك")):
        d = digest(week, lang)
        empty = replace(d, stories=[], groups={}, period=Period(UNTIL, UNTIL.replace(day=17), "UTC", "weekly"))
        text = render_text(empty)
        assert "\n" not in text and words in text
        assert caption(empty) == text


def test_markdown_html_json(week: Week) -> None:
    ar = digest(week, "ar")
    md = render_markdown(ar)
    assert md.startswith('<div dir="rtl">') and "### قائمة الكيانات" in md
    assert "[US adds 12 Chinese chip firms to the Entity List](https://wire.example/entity-list)" in md
    assert not any(mark in md for mark in "\u2066\u2067\u2068\u2069"), "isolate marks stay in chat HTML"
    page = render_html(ar, chart_src="chart.png")
    assert '<html lang="ar" dir="rtl">' in page and '<bdi lang="en">' in page and 'src="chart.png"' in page
    data = json.loads(render_json(digest(week, "en")))
    assert data["counts"]["stories"] == 5 and data["stories"][0]["id"] == week.entity_list
    assert data["groups"][0]["topic"] == "entity-list" and data["by_topic"]["export-controls"]["previous"] == 1


def test_splitting_keeps_order_and_limits(week: Week) -> None:
    d = digest(week, "ar")
    # A busy week: many groups of stories with long titles (the digest shows at most 15 stories).
    long = {
        t: [replace(x, title=x.title + " — تفاصيل إضافية عن القرار وأثره" * 8) for x in v] for t, v in d.groups.items()
    }
    many = replace(d, groups={f"{t}-{i}": v for i in range(40) for t, v in long.items()})
    for platform in ("telegram", "discord", "telegram_caption"):
        limit, measure = LIMITS[platform]
        parts = digest_messages(many, platform)
        assert len(parts) > 1
        assert all(measure(p) <= limit for p in parts)
        # Nothing lost, nothing reordered: the parts are the text's blocks in order.
        assert "\n\n".join(parts).replace("\n", "") == render_text(many).replace("\n", "")
        # A story's title and its link stay in the same message.
        for p in parts:
            assert not p.lstrip().startswith("https://")
    assert digest_messages(d, "telegram") == [render_text(d)]


def test_a_line_longer_than_a_message_is_cut_at_spaces() -> None:
    line = " ".join(["كلمة"] * 600) + " 😀" * 100
    parts = split_blocks(["head", line], 1024, utf16_len)
    assert all(utf16_len(p) <= 1024 for p in parts)
    assert strip_isolates(" ".join(parts)).split() == ["head", *line.split()]
    assert all(not p.endswith("كل") for p in parts)  # words are whole


def test_caption_is_short_when_the_text_is_long(week: Week) -> None:
    d = digest(week, "en")
    assert utf16_len(caption(d)) < 300 and caption(d).endswith("The full digest follows.")
    assert caption(d).startswith("Raqib weekly digest")
