"""The chart: a valid PNG of the expected size, and Arabic text shaped (joined, right to left)."""

from __future__ import annotations

import struct

from matplotlib import _text_helpers
from matplotlib.ft2font import FT2Font

from bot.digest.build import build_digest, topic_counts_by_day
from bot.digest.chart import (
    HEIGHT_PX,
    NATIVE_LAYOUT,
    WIDTH_PX,
    chart_figure,
    figure_texts,
    font_path,
    missing_glyphs,
    render_chart,
    shape,
)
from bot.digest.period import Period
from storage.db import session
from tests.digest.conftest import SINCE, UNTIL, Week
from tests.digest.seed import get_sub, subscription

ARABIC_LETTERS = range(0x0621, 0x064B)  # the base letters; shaped text uses contextual forms instead


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def digest(week: Week, language: str, tz: str = "UTC"):  # type: ignore[no-untyped-def]
    sub = get_sub(week.engine, subscription(week.engine, language=language, target=language + tz, timezone=tz))
    with session(week.engine) as s:
        return build_digest(s, sub, period=Period(SINCE, UNTIL, tz, "weekly"))


def test_png_of_the_expected_size(week: Week, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for lang in ("en", "ar"):
        d = digest(week, lang)
        with session(week.engine) as s:
            data = render_chart(s, d)
        out = tmp_path / f"chart-{lang}.png"
        out.write_bytes(data)
        assert out.stat().st_size > 10_000 and png_size(out.read_bytes()) == (WIDTH_PX, HEIGHT_PX)


def test_counts_per_topic_per_local_day(week: Week) -> None:
    with session(week.engine) as s:
        days, counts = topic_counts_by_day(s, digest(week, "en"))
        # In Asia/Tokyo (UTC+9) the 08:00 UTC boundaries fall at 17:00: the same week touches 8 local days.
        tokyo_days, tokyo = topic_counts_by_day(s, digest(week, "en", "Asia/Tokyo"))
    assert days[0] == "2025-03-03" and days[-1] == "2025-03-10" and len(days) == 8
    assert sum(counts["entity-list"]) == 4 and counts["entity-list"][days.index("2025-03-06")] == 3
    assert tokyo_days[0] == "2025-03-03" and sum(tokyo["entity-list"]) == 4


def test_arabic_labels_are_shaped(week: Week) -> None:
    d = digest(week, "ar")
    with session(week.engine) as s:
        days, counts = topic_counts_by_day(s, d)
    texts = figure_texts(chart_figure(days, counts, d))
    title = next(t for t in texts if "15" not in t and "/" in t and "·" in t)
    arabic = [t for t in texts if any(0x0600 <= ord(c) <= 0x06FF or 0xFE70 <= ord(c) <= 0xFEFF for c in t)]
    assert len(arabic) >= 8  # title, axis labels, weekdays, legend
    assert all(not missing_glyphs(t) for t in texts)
    if NATIVE_LAYOUT:
        # matplotlib ≥ 3.11 shapes with libraqm: it is given the logical text, and draws joined forms.
        assert shape("ضوابط التصدير") == "ضوابط التصدير" and "ضوابط التصدير" in texts
        assert title.startswith("الإشارات اليومية حسب الموضوع")
        font = FT2Font(font_path())
        font.set_size(14, 100)
        glyphs = [item.glyph_index for item in _text_helpers.layout("ضوابط", font, language="ar")]
        cmap = font.get_charmap()
        # Drawn left to right: ط final, ب initial, ا, و final, ض initial — joined forms in visual order.
        expected = [cmap[c] for c in (0xFEC2, 0xFE91, 0x0627, 0xFEEE, 0xFEBF)]
        assert glyphs == expected
    else:
        assert all(not any(ord(c) in ARABIC_LETTERS for c in t) for t in arabic)
    # The fallback path on any version: presentation forms in visual order.
    assert shape("ضوابط التصدير", native=False) == "ﺮﻳﺪﺼﺘﻟﺍ ﻂﺑﺍﻮﺿ"
    assert shape("الأحد\n3/3", native=False) == "ﺪﺣﻷﺍ\n3/3"


def test_empty_chart_says_so(week: Week) -> None:
    d = digest(week, "en")
    fig = chart_figure(["2025-04-01"], {}, d)
    assert "No mentions in this period" in figure_texts(fig)
