"""The bilingual term map, actors, quantities and event days (our own sentences)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.stories.features import ItemFeatures, event_day
from bot.stories.fingerprint import fingerprint
from bot.stories.terms import actor, lead_sentence, terms


@pytest.mark.parametrize(
    ("en", "ar", "concept"),
    [
        ("Beijing curbs graphite exports", "الصين تقيد صادرات الغرافيت", "graphite"),
        ("a 10% stake in the chipmaker", "حصة 10 بالمئة في الشركة", "stake"),
        ("shares soared on their Shanghai debut", "قفزت الأسهم في أول يوم تداول لها", "ipo"),
        ("the two signed a letter of intent", "وقعت الشركتان خطاب نوايا", "letter-of-intent"),
        ("exports for civilian use are exempt", "إعفاء الصادرات للاستخدام المدني", "civilian-use"),
        ("a 100% tariff on imported chips", "رسوم جمركية بنسبة 100% على الرقائق", "tariff"),
    ],
)
def test_one_concept_in_both_languages(en: str, ar: str, concept: str) -> None:
    assert concept in terms(en)
    assert concept in terms(ar)


def test_proclitics_and_suffixes_in_arabic() -> None:
    assert "stake" in terms("باعت الشركة حصتها")  # pronoun suffix
    assert "graphite" in terms("قيود على صادرات الجرافيت وبالغرافيت")


@pytest.mark.parametrize(
    ("lead", "who"),
    [
        ("US grants Nvidia licences to ship H20 chips", "us"),
        ("China's commerce ministry said it would grant exemptions", "cn"),
        ("Japanese restrictions on chip tools take effect", "jp"),
        ("Dutch government takes control of a chipmaker", "nl"),
        ("واشنطن تمنح إنفيديا تراخيص تصدير", "us"),
        ("بكين تحث الشركات على تجنب الرقائق", "cn"),
        ("قاعدة أمريكية جديدة لتصدير الرقائق", "us"),
        # not actors: a company's nationality, a place, the second party of a pair, the pronoun "us"
        ("US chipmaker Nvidia reports record revenue", None),
        ("Shares in China's top chipmaker jumped", None),
        ("Sales in China fell last quarter", None),
        ("توترات بين الشركتين وبكين", None),
        ("Analysts told us the deal is large", None),
    ],
)
def test_actor_is_who_acts(lead: str, who: str | None) -> None:
    assert actor(lead) == who


def test_lead_sentence_skips_datelines_and_abbreviations() -> None:
    text = "WASHINGTON, Dec 15 (Wire) - The U.S. Commerce Department added firms. More followed."
    assert lead_sentence("", text) == "The U.S. Commerce Department added firms."
    assert lead_sentence("A headline", text) == "A headline"


@pytest.mark.parametrize(
    ("en", "ar", "token"),
    [
        ("10 gigawatts of systems", "10 غيغاواط من الأنظمة", "qty:10gw"),
        ("a 10GW build-out", "10 جيجاوات", "qty:10gw"),
        ("a 7-nanometer processor", "معالج 7 نانومتر", "qty:7nm"),
        ("a $2 billion stake", "حصة بقيمة ملياري دولار", "num:2000000000"),  # the Arabic dual
    ],
)
def test_quantities_with_units(en: str, ar: str, token: str) -> None:
    assert token in fingerprint(en).tokens
    assert token in fingerprint(ar).tokens


def _day(text: str, published: datetime) -> str | None:
    f = ItemFeatures(key=1, published=published, lang="en", fingerprint=fingerprint("", text))
    d = event_day(f)
    return d.isoformat() if d else None


SUNDAY_NOV_9 = datetime(2025, 11, 9, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "published", "day"),
    [
        ("The ministry said on Saturday it would act.", SUNDAY_NOV_9, "2025-11-08"),
        ("قالت الوزارة اليوم الأحد إنها بدأت", SUNDAY_NOV_9, "2025-11-09"),
        ("أعلنت الشركة أمس الخميس عن استثمار", SUNDAY_NOV_9, "2025-11-06"),
        ("Yesterday, the regulator barred the firm.", SUNDAY_NOV_9, "2025-11-08"),
        ("أعلنت الوزارة الخميس الماضي عن قيود", SUNDAY_NOV_9, "2025-11-06"),
        ("قالت الصين، السبت، إنها ستعفي الرقائق", SUNDAY_NOV_9, "2025-11-08"),
        ("ذكرت الصحيفة أمس (الجمعة) أن الشركة", SUNDAY_NOV_9, "2025-11-07"),
        ("On November 7 the agency announced curbs.", SUNDAY_NOV_9, "2025-11-07"),
        # a date long before or after publication is background or a deadline, not the event
        ("Curbs announced in 2023 take effect on December 1.", SUNDAY_NOV_9, None),
        ("BEIJING, Dec 30 - officials met.", datetime(2026, 1, 2, tzinfo=UTC), "2025-12-30"),
    ],
)
def test_event_day(text: str, published: datetime, day: str | None) -> None:
    assert _day(text, published) == day


def test_the_term_map_reads_the_same_with_the_fast_loader() -> None:
    import yaml

    from bot.stories import terms

    assert terms._read_yaml(terms.TERMS_FILE) == yaml.safe_load(terms.TERMS_FILE.read_text(encoding="utf-8"))
