"""Token boundaries and clitics: an alias inside a longer word never matches; clitics always do."""

from __future__ import annotations

import pytest

from bot.match.lexicon import load_lexicon
from bot.match.normalizer import normalize
from bot.match.scanner import PROCLITICS, scan


def _ids(text: str) -> set[str]:
    n = normalize(text)
    return {h.pattern.entry for h in scan(n.text, load_lexicon())}


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("Nvidia H200 shipments", {"h200"}, {"h20"}),
        ("Nvidia H20 shipments", {"h20"}, {"h200"}),
        ("H20s for China", {"h20"}, set()),
        ("SMICROSCOPE reviews", set(), {"smic"}),
        ("ASMLX is not ASML", {"asml"}, set()),
        ("بـ ASML", {"asml"}, set()),
        ("لASML", {"asml"}, set()),
        ("لـ«إنفيديا»", {"nvidia"}, set()),
        ("وللرقائق", {"chip-weak"}, set()),
        ('بـ"قائمة الكيانات"', {"entity-list"}, set()),
        ("وبقائمة الكيانات", {"entity-list"}, set()),
        ("إنفيدياتها", set(), {"nvidia"}),  # a suffix is no clitic
        ("مإنفيديا", set(), {"nvidia"}),  # nor is an arbitrary prefix
        ("إتش 20", {"h20"}, set()),
        ("تي إس إم سي", {"tsmc"}, set()),
        ("تي.إس.إم.سي", {"tsmc"}, set()),
        ("H2OO chips", {"h200"}, set()),
        ("a glass of H2O", set(), {"h20"}),
    ],
)
def test_boundaries(text: str, present: set[str], absent: set[str]) -> None:
    ids = _ids(text)
    assert present <= ids, ids
    assert not (absent & ids), ids


@pytest.mark.parametrize("clitic", sorted(PROCLITICS))
def test_every_proclitic_attaches(clitic: str) -> None:
    assert "nvidia" in _ids(clitic + "إنفيديا")


def test_containment_prefers_the_longer_match() -> None:
    n = normalize("potato chips")
    hits = scan(n.text, load_lexicon())
    assert [h.pattern.entry for h in hits] == ["veto"]


def test_spans_point_into_the_original() -> None:
    raw = "قالت لـ«إنفيديا» إن رقاقة H-20 متاحة"
    n = normalize(raw)
    for h in scan(n.text, load_lexicon()):
        s, e = n.span(h.start, h.end)
        assert raw[s:e].strip()
    spans = {h.pattern.entry: raw[slice(*n.span(h.start, h.end))] for h in scan(n.text, load_lexicon())}
    assert spans["nvidia"] == "إنفيديا"
    assert spans["h20"] == "H-20"
