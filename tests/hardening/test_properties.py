"""Property tests that the package test folders did not already have (see the coverage map below).

Already covered elsewhere, and not repeated here:
* normalizer idempotent, never raises, offsets inside the original and monotonic: tests/match/test_normalizer.py
* matcher never raises on any text: tests/match/test_bad_input.py
* URL canonicalization never raises, idempotent, keeps distinct paths/parameters apart: tests/stories/test_urls.py
* Telegram: alerts/replies valid HTML within limits, split pieces reassemble the text:
  tests/telegram/test_render_props.py
* Discord: every embed within limits and inert, replies fit: tests/discord/test_render.py

Added here: matcher boundaries as properties (an alias inside a longer word never matches, every proclitic
always attaches), normalizer offsets mapping matched spans back onto the alias in the original text, and
Discord's plain-text splitter (limits, nothing lost, no escape cut in half, nothing that pings).
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.discord.text import split_plain
from bot.match.lexicon import load_lexicon
from bot.match.normalizer import normalize
from bot.match.scanner import PROCLITICS, scan
from bot.text.length import utf16_len

LATIN = {"Nvidia": "nvidia", "Huawei": "huawei", "ASML": "asml", "SMIC": "smic", "TSMC": "tsmc", "Samsung": "samsung"}
ARABIC = {"إنفيديا": "nvidia", "هواوي": "huawei", "سامسونج": "samsung"}
# Letters that are neither a clitic nor a plural/variant ending of any alias above.
_LATIN_GLUE = st.text(alphabet="qxzjk", min_size=1, max_size=3)
_ARABIC_PREFIX = st.text(alphabet="مثجحخصض", min_size=1, max_size=2)
_ARABIC_SUFFIX = st.sampled_from(["ها", "هم", "تها", "كم", "نا"])
_CONTEXT = st.sampled_from(["", "Reuters: ", "قالت ", "news - ", "«", "(", "\u200f"])


def _hits(text: str) -> list[tuple[str, str]]:
    """(entry id, the original text the hit's span maps back to)."""
    n = normalize(text)
    out = []
    for h in scan(n.text, load_lexicon()):
        start, end = n.span(h.start, h.end)
        out.append((h.pattern.entry, text[start:end]))
    return out


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(LATIN)), _LATIN_GLUE, _LATIN_GLUE, st.sampled_from(["prefix", "suffix", "both"]))
def test_a_latin_alias_inside_a_longer_word_never_matches(alias: str, before: str, after: str, where: str) -> None:
    word = (before if where != "suffix" else "") + alias + (after if where != "prefix" else "")
    assert LATIN[alias] not in {e for e, _ in _hits(f"Shares of {word} rose")}


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(ARABIC)), _ARABIC_PREFIX, _ARABIC_SUFFIX, st.booleans())
def test_an_arabic_alias_inside_a_longer_word_never_matches(alias: str, prefix: str, suffix: str, front: bool) -> None:
    word = prefix + alias if front else alias + suffix
    assert ARABIC[alias] not in {e for e, _ in _hits(f"قالت {word} اليوم")}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(PROCLITICS)), st.sampled_from(sorted(ARABIC)), _CONTEXT, st.booleans())
def test_every_proclitic_always_attaches(clitic: str, alias: str, context: str, tatweel: bool) -> None:
    # "لـإنفيديا": writers often put a tatweel between the clitic and a foreign name.
    text = f"{context}{clitic}{'ـ' if tatweel else ''}{alias} تعلن"
    entries = {e for e, _ in _hits(text)}
    assert ARABIC[alias] in entries, (text, entries)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted({**LATIN, **ARABIC})), _CONTEXT, st.sampled_from(["", " ", "\u0651", "\u200c"]))
def test_offsets_map_a_match_back_onto_the_alias(alias: str, context: str, noise: str) -> None:
    # Marks and joiners inside the text change the normalized offsets; the span must still land on the alias.
    text = f"{context}{alias}{noise} export news"
    hits = [(e, original) for e, original in _hits(text) if e == {**LATIN, **ARABIC}[alias]]
    assert hits, text
    for _, original in hits:
        assert original.strip("\u200c\u0651 ") == alias


_LINE = st.lists(
    st.sampled_from([*"abc أبت *_~|`>#-[]()@<:&\\", "@everyone", "<@123>", "\u202e", "🔴", "\n"]),
    max_size=300,
).map("".join)


def _visible(piece: str) -> str:
    piece = re.sub(r"\\(.)", r"\1", piece)
    return re.sub(r"[\u200b\u2066\u2067\u2068\u2069\u200e\u200f\s]", "", piece)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=30).map("\n".join), st.integers(40, 2000))
def test_discord_plain_split_within_limits_lossless_and_inert(text: str, limit: int) -> None:
    pieces = split_plain(text, limit)
    for piece in pieces:
        assert utf16_len(piece) <= limit
        assert not re.search(r"@(everyone|here)|<@[!&]?\d+>", piece)
        # An escape cut in half would leave a lone trailing backslash that escapes the next message's text.
        trailing = len(piece) - len(piece.rstrip("\\"))
        assert trailing % 2 == 0
    expected = re.sub(r"[\u200b\u202a-\u202e\u2066-\u2069\u200e\u200f\s\x00-\x1f]", "", text)
    assert "".join(_visible(p) for p in pieces) == expected
