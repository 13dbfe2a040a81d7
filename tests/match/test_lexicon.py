"""Lexicon loading, validation, user extensions and generated variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.match import LexiconError, classify, load_lexicon
from bot.match.lexicon import build_lexicon
from bot.match.variants import arabic_variants, is_real_arabic_word, latin_variants, spelled_arabic

TOPICS = {"topics": [{"id": "ai-chips", "name": {"ar": "رقائق", "en": "AI chips"}}], "terms": []}
NEG: dict = {}


def _ent(eid: str, en: list[str], ar: list[str] | None = None, kind: str = "company") -> dict:
    return {"id": eid, "kind": kind, "weight": 2.0, "aliases": {"en": en, "ar": ar or []}}


def test_full_lexicon_is_large_enough_and_traceable() -> None:
    lex = load_lexicon()
    assert lex.pattern_count >= 1500
    generated = [p for p in lex.patterns if p.how not in ("alias", "recognizer")]
    assert generated
    for p in generated:
        assert p.source  # every variant names the curated alias it came from
        assert p.entry in lex.entries


def test_duplicate_id_is_a_clear_error() -> None:
    with pytest.raises(LexiconError, match="duplicate id 'acme'"):
        build_lexicon({"entities": [_ent("acme", ["Acme"]), _ent("acme", ["Acme Two"])]}, TOPICS, NEG)


def test_shared_alias_names_both_entities() -> None:
    with pytest.raises(LexiconError, match=r"shared by 'acme' and 'other'"):
        build_lexicon({"entities": [_ent("acme", ["Acme Chips"]), _ent("other", ["ACME  chips"])]}, TOPICS, NEG)


def test_unknown_kind_rejected() -> None:
    with pytest.raises(LexiconError, match="unknown kind"):
        build_lexicon({"entities": [_ent("acme", ["Acme"], kind="spaceship")]}, TOPICS, NEG)


def test_user_extension_adds_entity_and_alias() -> None:
    extra = {
        "entities": [
            {
                "id": "zephyr-semi",
                "kind": "company",
                "weight": 2.5,
                "topics": ["ai-chips"],
                "name": {"ar": "زفير", "en": "Zephyr Semi"},
                "aliases": {"en": ["Zephyr Semiconductor"], "ar": ["زفير للرقائق"]},
            }
        ],
        "aliases": {"nvidia": {"en": ["Team Green"]}},
    }
    lex = load_lexicon(extra)
    c = classify("Zephyr Semiconductor opens a new chip plant", lexicon=lex)
    assert any(e.id == "zephyr-semi" for e in c.entities)
    c2 = classify("Team Green faces new export curbs on AI chips", lexicon=lex)
    assert any(e.id == "nvidia" for e in c2.entities)


def test_extension_with_unknown_entity_alias_is_an_error() -> None:
    with pytest.raises(LexiconError, match="unknown entity 'nope'"):
        load_lexicon({"aliases": {"nope": {"en": ["x"]}}})


def test_extension_colliding_with_packaged_alias_is_an_error() -> None:
    with pytest.raises(LexiconError, match="shared by 'nvidia' and 'fake'"):
        load_lexicon({"entities": [_ent("fake", ["NVIDIA"])]})


def test_arabic_variants_follow_the_rules_and_skip_real_words() -> None:
    assert arabic_variants("لوتنيك").get("لوتنك") == "drop"
    assert arabic_variants("بيسنت").get("بيسينت") == "add"
    assert arabic_variants("هوانغ").get("هوانك") == "g"
    # بينج is a real word in wordfreq's list, so it is filtered (the lexicon lists it as curated).
    assert is_real_arabic_word("بينج")
    assert "بينج" not in arabic_variants("بينغ")
    # هواوي minus its و is هاوي, "amateur": a real word, never a variant.
    assert is_real_arabic_word("هاوي")
    assert "هاوي" not in arabic_variants("هواوي")


def test_spelled_acronyms_and_model_numbers() -> None:
    assert "تي اس ام سي" in spelled_arabic("tsmc")
    assert "اتش 20" in spelled_arabic("h20")
    assert spelled_arabic("v100") == {}  # في 100 is "in 100"


def test_letter_o_typos_skip_real_words() -> None:
    assert "h2oo" in latin_variants("h200", model=True)
    assert "h2o" not in latin_variants("h20", model=True)  # water


def test_variants_are_switchable() -> None:
    with_v = load_lexicon()
    without = load_lexicon(with_variants=False)
    assert without.pattern_count < with_v.pattern_count
    # Inflected forms (attached pronouns, English plurals) are grammar, not spelling: they stay.
    assert all(p.how in ("alias", "article", "spelled", "suffix", "plural") for p in without.patterns)


def test_inflected_forms_of_common_nouns_only() -> None:
    from bot.match.normalizer import normalize_text
    from bot.match.variants import english_plural, suffix_variants

    assert normalize_text("قائمتها السوداء") in suffix_variants(normalize_text("قائمة السوداء"))  # its blacklist
    assert "تصدير رقايقها" in suffix_variants("تصدير الرقايق")  # the export of its chips (ئ is folded)
    assert english_plural("hbm", "HBM") == {"hbms": "plural"}
    assert english_plural("chip", "chip") == {}  # concept words list their plurals themselves
    lex = load_lexicon()
    keys = {p.key: p for p in lex.patterns}
    assert keys[normalize_text("قائمتهم السوداء")].how == "suffix"  # their blacklist
    assert "انفيديتها" not in keys  # names take no pronoun


def test_a_key_given_twice_in_the_lexicon_yaml_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.match import lexicon as lexicon_module

    doc = "terms:\n  - id: x\n    aliases:\n      ar: [أ]\n      ar: [ب]\n"
    (tmp_path / "topics.yaml").write_text(doc, encoding="utf-8")
    monkeypatch.setattr(lexicon_module, "LEXICON_DIR", tmp_path)
    with pytest.raises(LexiconError, match="duplicate key 'ar'"):
        lexicon_module._read_yaml("topics.yaml")
