"""One term matcher (bot.match.terms): a chat's watch term and the lexicon find a word in the same texts.

Each case goes through both: the watch term as a chat would store it (``bot.deliver.terms.matched_term``) and
the lexicon's scan (``bot.match.scanner.scan``), which counts when it finds one of the keys the term stands for
(the term itself and, for a lexicon entity, its unambiguous spellings). The two must agree, and agree on the
expected answer. The texts hold no longer lexicon phrase around the word: the scan drops a match inside a longer
one (``تصدير الرقائق`` hides ``رقائق``), which is the lexicon's reading of the text, not where a word is."""

from __future__ import annotations

import json

import pytest

from bot.deliver.terms import matched_term, term_keys
from bot.match import load_lexicon
from bot.match.builder import no_article_keys
from bot.match.normalizer import normalize, normalize_text
from bot.match.scanner import scan
from bot.match.terms import NO_ARTICLE_PROCLITICS, PROCLITICS, build_automaton, find


def watch_finds(term: str, text: str) -> bool:
    return matched_term(json.dumps([term], ensure_ascii=False), normalize_text(text)) is not None


def lexicon_finds(term: str, text: str) -> bool:
    keys = term_keys(term)
    return any(h.pattern.key in keys for h in scan(normalize(text).text, load_lexicon()))


CASES = [
    # Arabic proclitics: و ب ل ال وال بال لل, alone and combined
    ("إنفيديا", "وإنفيديا تعلن نتائجها", True),
    ("إنفيديا", "صفقة بإنفيديا", True),
    ("إنفيديا", "تراخيص لـ«إنفيديا»", True),
    ("الصين", "زيارة إلى الصين", True),
    ("الصين", "أمريكا والصين", True),
    ("الصين", "مصانع بالصين", True),
    ("الصين", "صادرات للصين", True),
    ("رقائق", "وللرقائق", True),
    ("رقائق", "قال إن الرقائق", True),
    ("سميك", "والسميك", True),
    # no suffix, no arbitrary prefix
    ("سميك", "ورقة سميكة", False),
    ("رقائق", "الرقائقيات", False),
    ("إنفيديا", "إنفيدياتها", False),
    ("إنفيديا", "مإنفيديا", False),
    # Latin and Arabic scripts are separate tokens
    ("ASML", "عقد لASML", True),
    ("H20", "شحنات H20ات", True),
    ("ASML", "ASMLX is not it", False),
    # Latin tokens are whole: H20 is not H200, nor H200 H20
    ("H20", "the H200 ships next month", False),
    ("H200", "the H20 ships next month", False),
    ("H20", "Nvidia H20 shipments", True),
    ("H200", "Nvidia H200 shipments", True),
    ("Apple", "Pineapple prices climb", False),
    ("export controls", "export controls tighten", True),
]


@pytest.mark.parametrize(("term", "text", "expected"), CASES)
def test_a_watch_term_and_the_lexicon_agree(term: str, text: str, expected: bool) -> None:
    assert watch_finds(term, text) == lexicon_finds(term, text) == expected


@pytest.mark.parametrize("clitic", sorted(PROCLITICS))
def test_every_proclitic_attaches_to_a_watch_term_as_to_the_lexicon(clitic: str) -> None:
    text = f"قالت {clitic}إنفيديا"
    assert watch_finds("إنفيديا", text) and lexicon_finds("إنفيديا", text)


def test_a_pronoun_form_takes_no_article_in_either() -> None:
    """A key the lexicon has only as a head with an attached pronoun (its blacklist) takes no article, for a
    watch term naming it too."""
    lex = load_lexicon()
    key = min(k for k in no_article_keys(lex.patterns) if not k.startswith("ال"))
    assert watch_finds(key, f"قال {key}") and lexicon_finds(key, f"قال {key}")
    for clitic in ("ال", "وال", "بال", "لل"):
        assert not watch_finds(key, f"قال {clitic}{key}") and not lexicon_finds(key, f"قال {clitic}{key}"), clitic
    assert watch_finds(key, f"قال و{key}") and lexicon_finds(key, f"قال و{key}")


def test_find_gives_spans_without_the_proclitics() -> None:
    a = build_automaton({"صين": ("china",), "h20": ("h20",), "قايمتها": ("list",)}, no_article={"قايمتها"})
    text = "صادرات للصين من h20 و قايمتها والقايمتها"
    found = [(text[s:e], v) for s, e, v in find(a, text)]
    assert found == [("صين", "china"), ("h20", "h20"), ("قايمتها", "list")]
    assert "لل" in PROCLITICS and "لل" not in NO_ARTICLE_PROCLITICS and "و" in NO_ARTICLE_PROCLITICS
