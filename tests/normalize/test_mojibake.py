"""Mojibake found and repaired only when the repair is unambiguous; clean text never touched.

The sentences are the project's own (eval/mojibake/texts.yaml): Arabic news about chips and export
controls, English with typographic punctuation, and Latin-script languages with accents.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.text import mojibake

TEXTS = yaml.safe_load((Path(__file__).parents[2] / "eval" / "mojibake" / "texts.yaml").read_text(encoding="utf-8"))
CLEAN = [t for group in TEXTS.values() for t in group]
ARABIC = [t for t in TEXTS["arabic"] if len(t) > 20]  # sentences; the short ones test precision


def _in_1256(text: str) -> bool:
    try:
        text.encode("cp1256")
    except UnicodeEncodeError:
        return False  # Arabic-Indic digits: a windows-1256 feed cannot hold them
    return True


ARABIC_1256 = [t for t in ARABIC if _in_1256(t)]
SLOPPY_1252 = mojibake._SLOPPY_1252


@pytest.mark.parametrize("text", CLEAN)
def test_clean_text_is_never_flagged_nor_changed(text: str) -> None:
    assert mojibake.signature(text) is None
    assert mojibake.repair(text) == mojibake.Fixed(text)


@pytest.mark.parametrize(
    ("kind", "garble"),
    [
        (mojibake.UTF8_AS_1256, lambda t: t.encode().decode("cp1256")),
        (mojibake.UTF8_AS_LATIN, lambda t: t.encode().decode("latin-1")),
        (mojibake.UTF8_AS_LATIN, lambda t: "".join(SLOPPY_1252[b] for b in t.encode())),
        (mojibake.CP1256_AS_LATIN, lambda t: t.encode("cp1256").decode("latin-1")),
        (mojibake.CP1256_AS_LATIN, lambda t: "".join(SLOPPY_1252[b] for b in t.encode("cp1256"))),
    ],
    ids=["utf8-as-1256", "utf8-as-latin1", "utf8-as-1252", "1256-as-latin1", "1256-as-1252"],
)
def test_each_kind_of_arabic_mojibake_is_repaired_exactly(kind: str, garble) -> None:  # type: ignore[no-untyped-def]
    for text in ARABIC_1256:
        fixed = mojibake.repair(garble(text))
        assert (fixed.text, fixed.repaired, fixed.garbled) == (text, kind, None), text


def test_english_curly_quotes_read_as_latin1_are_repaired() -> None:
    fixed = mojibake.repair("Nvidiaâ€™s H20 licences â€” what changes")
    assert fixed.text == "Nvidia’s H20 licences — what changes"
    assert fixed.repaired is not None and fixed.repaired.startswith("utf-8 read as")


def test_replacement_characters_are_garbled_and_left_alone() -> None:
    lost = "قيود H20 على الرقائق".encode("cp1256").decode("utf-8", "replace")
    fixed = mojibake.repair(lost)
    assert fixed == mojibake.Fixed(lost, garbled=mojibake.LOST)
    assert mojibake.repair("One lost char: �").garbled is None, "a lone replacement character is not a garbled text"


def test_mojibake_that_lost_bytes_is_flagged_not_guessed() -> None:
    # UTF-8 Arabic read as windows-1252 by a CMS that dropped the bytes 1252 has no letter for: no lossless
    # way back, so the text is reported garbled rather than half repaired.
    garbled = "".join(SLOPPY_1252[b] for b in "واشنطن تفرض قيودا على الرقائق".encode()).replace("\x81", "")
    fixed = mojibake.repair(garbled)
    assert fixed.text == garbled
    assert fixed.garbled is not None


def test_a_huge_garbled_body_is_repaired_in_the_part_that_is_kept() -> None:
    from datetime import UTC, datetime

    from bot.normalize import CONTENT_MAX, normalize_entries
    from bot.parse import RawEntry

    sentence = ARABIC_1256[0]
    body = " ".join([sentence] * (3 * CONTENT_MAX // len(sentence)))
    raw = RawEntry("g", None, sentence.encode().decode("cp1256"), "", body.encode().decode("cp1256"), None, None)
    now = datetime.now(UTC)
    [item] = normalize_entries([raw], feed_id="f", feed_url="https://f.example/", language="ar", fetched=now)
    assert item.title == sentence and item.content.startswith(f"{sentence} {sentence}")
    assert len(item.content) <= CONTENT_MAX and item.content.endswith("…")
    assert (item.repaired, item.garbled) == (mojibake.UTF8_AS_1256, None)
