"""Pattern recognizers for ECCNs, Federal Register citations, model numbers and process nodes."""

from __future__ import annotations

from bot.match.normalizer import normalize
from bot.match.scanner import recognize


def _found(text: str) -> dict[str, list[str]]:
    n = normalize(text)
    out: dict[str, list[str]] = {}
    for h in recognize(n.text):
        s, e = n.span(h.start, h.end)
        out.setdefault(h.pattern.entry, []).append(text[s:e])
    return out


def test_eccn_codes() -> None:
    f = _found("items under ECCN 3A090, 4A090.a and 3B001 need a licence")
    assert f["eccn-code"] == ["3A090", "4A090", "3B001"]


def test_eccn_not_inside_longer_codes() -> None:
    assert "eccn-code" not in _found("serial 33A0901 and X3A090")


def test_federal_register_citation() -> None:
    f = _found("published at 90 FR 12345 on Monday")
    assert f["federal-register"] == ["90 FR 12345"]


def test_chip_models_and_nodes() -> None:
    f = _found("H800 and MI308X built on a 7nm process; ٥ نانومتر")
    assert f["chip-model"] == ["H800", "MI308X"]
    assert f["process-node"] == ["7nm", "٥ نانومتر"]


def test_arabic_digits_in_codes() -> None:
    assert _found("الرمز ٣A٠٩٠")["eccn-code"] == ["٣A٠٩٠"]
