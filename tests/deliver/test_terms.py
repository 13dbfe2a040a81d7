"""A chat's watch and mute terms are found like the lexicon's names, and are never patterns."""

from __future__ import annotations

import json

import pytest

from bot.deliver.terms import looks_like_pattern, matched_term, same_term, term_key
from bot.match.normalizer import normalize_text


def found(terms: list[str], text: str) -> str | None:
    return matched_term(json.dumps(terms, ensure_ascii=False), normalize_text(text))


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("ترامب", "قال الرئيس ترمب إن المحادثات مستمرة"),  # the entity's other spelling
        ("ترامب", "Trump said the talks go on"),  # and its other script
        ("Trump", "وصرّح ترامب للصحفيين"),
        ("إنفيديا", "أعلنت انفيديا نتائجها"),  # hamza and alef forms
        ("شركة أبل", "قالت شركه ابل إن"),  # ta marbuta, hamza
        ("الصين", "زيارة رسمية بالصين"),  # the article dropped, proclitics allowed
        ("NVIDIA", "Nvidia's shares rose"),  # case
        ("nvidia", "واشنطن تمنح تراخيص لـ«إنفيديا»"),  # a glued proclitic and quotes
        ("H-20", "sales of the H20 in China"),  # model numbers joined as the lexicon joins them
    ],
)
def test_a_term_is_found_in_every_spelling_the_lexicon_knows(term: str, text: str) -> None:
    assert found([term], text) == term


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("Apple", "Pineapple prices climb"),  # whole words only
        ("H20", "the H200 ships next month"),
        ("SMIC", "ورق سميك للتغليف"),  # SMIC's ambiguous Arabic alias is "thick": not a spelling of the term
        ("رقائق", "الرقائقيات"),  # no suffix
    ],
)
def test_a_term_is_not_found_inside_other_words_or_in_ambiguous_aliases(term: str, text: str) -> None:
    assert found([term], text) is None


def test_the_first_term_found_is_named_as_typed() -> None:
    assert found(["Intel", "«Nvidia»"], "Nvidia and AMD") == "«Nvidia»"
    assert found([], "anything") is None and matched_term("not json", "x") is None


@pytest.mark.parametrize("term", [".*", "nvid(ia|ea)", "[a-z]+", "^foo", "foo$", "a|b", "\\d+", "chips?", "x{2}"])
def test_patterns_are_recognised(term: str) -> None:
    assert looks_like_pattern(term)


@pytest.mark.parametrize("term", ["U.S.", "C++", "AT&T", "H-20", "ترامب", "export controls", "3A090"])
def test_ordinary_terms_are_not_patterns(term: str) -> None:
    assert not looks_like_pattern(term) and term_key(term)


def test_same_term_compares_normalized_forms() -> None:
    assert same_term("Nvidia", "NVIDIA") and same_term("إنفيديا", "انفيديا") and not same_term("H20", "H200")
    assert term_key("!!") == "" and term_key("«»") == ""
