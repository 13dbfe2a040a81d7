"""The one bidi rule every chat text uses (Telegram, Discord, digests): which Latin phrases an Arabic line
isolates, and the cases where the earlier copies disagreed."""

from __future__ import annotations

from bot.adapters.discord.text import pieces
from bot.text.bidi import (
    FSI,
    LRI,
    PDI,
    drop_bidi_controls,
    first_strong_isolate,
    has_arabic,
    isolate_latin,
    strip_isolates,
)


def test_a_figure_next_to_a_phrase_stays_outside_its_isolate() -> None:
    # The digest's copy isolated "H20 2025" whole, so the year read on the wrong side of the chip name.
    assert isolate_latin("رقائق H20 2025 للصين") == f"رقائق {LRI}H20{PDI} 2025 للصين"


def test_a_sentence_end_stays_in_the_arabic_flow() -> None:
    # Discord's copy took the final "." into the isolate, so it showed left of "Nvidia" instead of at the end.
    assert isolate_latin("أعلنت Nvidia.") == f"أعلنت {LRI}Nvidia{PDI}."


def test_urls_commands_and_abbreviations_are_one_unit_each() -> None:
    line = "راجع https://x.example/a?b=1 أو /latest hbm عن U.S. SK Hynix"
    assert isolate_latin(line) == (
        f"راجع {LRI}https://x.example/a?b=1{PDI} أو {LRI}/latest hbm{PDI} عن {LRI}U.S. SK Hynix{PDI}"
    )


def test_accented_latin_names_are_isolated_too() -> None:
    assert isolate_latin("شركة Société Générale") == f"شركة {LRI}Société Générale{PDI}"


def test_a_line_without_arabic_is_left_alone() -> None:
    for line in ("Nvidia H20: 3 sources", "2025", ""):
        assert isolate_latin(line) == line
    assert not has_arabic("Nvidia") and has_arabic("إنفيديا")


def test_discord_isolates_what_telegram_and_the_digest_isolate() -> None:
    line = "إنفيديا Nvidia H20 2025: 3 مصادر. Société"
    assert [p.text for p in pieces(line) if p.isolate] == ["Nvidia H20", "Société"]
    assert isolate_latin(line) == f"إنفيديا {LRI}Nvidia H20{PDI} 2025: 3 مصادر. {LRI}Société{PDI}"


def test_marks_and_controls() -> None:
    assert first_strong_isolate("Reuters") == f"{FSI}Reuters{PDI}" and first_strong_isolate("") == ""
    assert strip_isolates(isolate_latin("رقائق H20")) == "رقائق H20"
    assert drop_bidi_controls("a\u202eb\u2066c\u200fd\n\te") == "abcd\n\te"  # whitespace kept as is
