"""The digest's chart: mentions per topic per day over the period, as a PNG readable on a phone.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, safe in worker threads).
1200×675 px (16:9, what Telegram and Discord show full width without cropping), large type, at most six
topic lines (the rest summed as "other topics").

Arabic. Up to 3.10, matplotlib draws characters one by one, left to right, knowing nothing of joining:
each Arabic string is then shaped here (arabic-reshaper picks the joined presentation forms) and put in
visual order (python-bidi's pure-Python algorithm, which mirrors brackets; its Rust ``bidi.get_display``
does not). matplotlib 3.11 shapes and orders text itself with libraqm: pre-shaped text would be reversed
a second time, so it gets the logical text, tagged ``language="ar"``. ``NATIVE_LAYOUT`` tells which.
Chart strings need no isolates: dates are d/m ("/" keeps digits together after Arabic letters, "-" does
not), and the only Latin is the time zone's name.

Font: DejaVu Sans, shipped inside matplotlib itself (a project dependency). It covers the Arabic letters
and their presentation forms (``missing_glyphs``, tested), so no system font is needed.
"""

from __future__ import annotations

import io
from datetime import date
from functools import lru_cache

import arabic_reshaper
from bidi.algorithm import get_display
from matplotlib import ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from sqlmodel import Session

from bot.digest.build import topic_counts_by_day
from bot.digest.labels import label, label_list
from bot.digest.model import Digest
from bot.text.bidi import has_arabic, strip_isolates
from bot.text.names import topic_name

WIDTH_PX, HEIGHT_PX, DPI = 1200, 675, 100
FONT = "DejaVu Sans"
MAX_LINES = 6
# matplotlib 3.11 lays text out with libraqm (HarfBuzz shaping + FriBiDi ordering); older versions draw
# characters one by one, left to right.
NATIVE_LAYOUT = hasattr(ft2font, "__libraqm_version__")
# Colour-blind-safe palette (Okabe–Ito), distinct on light backgrounds.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F7F")


def shape(text: str, *, native: bool | None = None) -> str:
    """Text as matplotlib must be given it, line by line. With libraqm (``native``, matplotlib ≥ 3.11)
    matplotlib joins and orders Arabic itself: it gets the logical text. Without it, each Arabic line is
    reshaped (joined presentation forms) and put in visual order here. Isolate marks are dropped (the
    font has no glyph for them); chart strings are written to need none (see module docstring)."""
    native = NATIVE_LAYOUT if native is None else native
    return "\n".join(_shape_line(line, native) for line in text.split("\n"))


def _shape_line(line: str, native: bool) -> str:
    line = strip_isolates(line)
    if native or not has_arabic(line):
        return line
    return str(get_display(arabic_reshaper.reshape(line)))


@lru_cache(maxsize=1)
def font_path() -> str:
    return str(findfont(FontProperties(family=FONT), fallback_to_default=False))


def missing_glyphs(text: str) -> set[str]:
    """Characters of ``text`` the chart font cannot draw (empty for every shaped label we produce)."""
    cmap = _cmap(font_path())
    return {ch for ch in text if not ch.isspace() and ord(ch) not in cmap}


@lru_cache(maxsize=2)
def _cmap(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(path, lazy=True).getBestCmap())


def _dm(day: str, *, year: bool = False) -> str:
    d = date.fromisoformat(day)
    return f"{d.day}/{d.month}/{d.year}" if year else f"{d.day}/{d.month}"


def _day_label(day: str, lang: str) -> str:
    weekday = label_list(lang, "weekdays")[date.fromisoformat(day).weekday()]
    return f"{weekday}\n{_dm(day)}"


def _series(days: list[str], counts: dict[str, list[int]], lang: str) -> list[tuple[str, list[int]]]:
    ranked = sorted(counts.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    lines = [(topic_name(t, lang), v) for t, v in ranked[:MAX_LINES]]
    rest = ranked[MAX_LINES:]
    if rest:
        other = [sum(v[i] for _, v in rest) for i in range(len(days))]
        lines.append((label(lang, "chart_other"), other))
    return lines


def chart_figure(days: list[str], counts: dict[str, list[int]], digest: Digest) -> Figure:
    """The figure, every text already shaped (tests read them back from ``fig.texts``/axes)."""
    lang = digest.language
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    font = {"family": FONT}
    x = list(range(len(days)))
    series = _series(days, counts, lang)
    for i, (name, values) in enumerate(series):
        ax.plot(x, values, label=shape(name), color=COLOURS[i % len(COLOURS)], linewidth=3, marker="o", markersize=7)
    title = label(lang, "chart_title") + (f" · {_dm(days[0])} – {_dm(days[-1], year=True)}" if days else "")
    ax.set_title(shape(title), fontsize=22, pad=14, fontdict=font)
    ax.set_ylabel(shape(label(lang, "chart_mentions")), fontsize=16, fontdict=font)
    ax.set_xlabel(shape(label(lang, "chart_days", tz=digest.period.timezone)), fontsize=14, fontdict=font)
    ax.set_xticks(x, [shape(_day_label(d, lang)) for d in days], fontsize=13, fontfamily=FONT)
    ax.tick_params(axis="y", labelsize=14)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if series:
        # Arabic legends read right to left: the label first, then its line sample.
        # Beside the plot, never over the lines.
        ax.legend(
            loc="center left",
            bbox_to_anchor=(1.01, 0.5),
            frameon=False,
            markerfirst=lang != "ar",
            prop={"family": FONT, "size": 14},
        )
    else:
        ax.text(0.5, 0.5, shape(label(lang, "chart_empty")), transform=ax.transAxes, ha="center", fontsize=20)
        ax.set_ylim(0, 1)
    if NATIVE_LAYOUT:
        for text in fig.findobj(Text):
            if has_arabic(text.get_text()):
                text.set_language("ar")
    fig.subplots_adjust(left=0.07, right=0.70 if series else 0.97, top=0.88, bottom=0.2)
    return fig


def figure_for(s: Session, digest: Digest) -> Figure:
    days, counts = topic_counts_by_day(s, digest)
    return chart_figure(days, counts, digest)


def figure_texts(fig: Figure) -> list[str]:
    """Every string drawn on the figure (title, labels, ticks, legend), as given to matplotlib."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def to_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)  # no bbox_inches="tight": it would change the pixel size
    return buf.getvalue()


def render_chart(session: Session, digest: Digest) -> bytes:
    """The PNG (1200×675) of mentions per topic per day over the digest's period."""
    return to_png(figure_for(session, digest))


__all__ = ["chart_figure", "figure_for", "figure_texts", "missing_glyphs", "render_chart", "shape", "to_png"]
