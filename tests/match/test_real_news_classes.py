"""The error classes found on real news (issue 12), each on sentences written for this test.

Real reporting is not copied here; these are the shapes of its errors: inflected list and product words,
the names the press uses, export vocabulary about other goods, other senses of the field's words, consumer
reviews, topics that overlap, and entity properties that come from the lexicon.
"""

from __future__ import annotations

import pytest

from bot.match import classify, load_lexicon


@pytest.mark.parametrize(
    ("title", "text", "topic"),
    [
        # attached pronouns on list, product and export words
        ("واشنطن تضيف شركات صينية إلى قائمتها السوداء التجارية", "", "entity-list"),
        ("وزارة التجارة الأمريكية توسع لائحتها السوداء للتجارة لتشمل شركات صينية", "", "entity-list"),
        ("بكين تفرض قيودا على صادراتها من الغاليوم", "", "rare-earths"),
        # English plurals of acronyms
        ("SK Hynix sells out its HBMs for next year", "", "hbm"),
        # the names the press uses
        ("الصين تقيد تصدير الأتربة النادرة إلى الولايات المتحدة", "", "rare-earths"),
        ("Commerce Department adds 24 Chinese entities over military ties", "", "entity-list"),
        ("وزارة التجارة الأمريكية تحظر أربع شركات صينية لتوسع قائمتها السوداء", "", "entity-list"),
    ],
)
def test_inflected_forms_and_press_names_are_found(title: str, text: str, topic: str) -> None:
    c = classify(title, text)
    assert c.relevant, c.reasons
    assert topic in c.topics, (c.topics, c.reasons)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # export vocabulary about other goods
        ("India extends its ban on onion exports until March", "Traders said export licences were suspended."),
        ("الهند تمدد حظر تصدير السكر وتشدد تراخيص التصدير", "وقالت الحكومة إن القيود تشمل الأرز أيضا."),
        ("Britain suspends some arms export licences", "The government reviewed export licences case by case."),
        ("الاتحاد الأوروبي يضيف ثلاث دول إلى اللائحة السوداء للملاذات الضريبية", ""),
        # other senses of the field's words
        ("Lithography in the studio: a printmaker's guide", "Artists draw on limestone with a greasy crayon."),
        ("درس الفيزياء: ما هي أشباه الموصلات؟", "تتحرك الإلكترونات في نطاق التوصيل عند رفع درجة الحرارة."),
        ("مصنع جديد لإنتاج رقائق الألومنيوم في المنطقة الصناعية", "تستخدم الرقائق في تغليف الأغذية."),
        ("توسعة في الجبيل", "ينتج المصنع رقائق الألمنيوم للتغليف بطاقة 40 ألف طن."),  # a veto takes its overlaps
        # a consumer review naming a GPU and its memory
        ("Review: the new gaming card's GDDR7 memory and GPU clocks", "AMD and Nvidia both ship drivers monthly."),
    ],
)
def test_other_goods_other_senses_and_reviews_are_not_chip_news(title: str, text: str) -> None:
    c = classify(title, text)
    assert not c.relevant, c.reasons


def test_capitalized_intel_is_the_company_lower_case_is_intelligence() -> None:
    assert classify("", "The government took a stake in Intel, which welcomed the investment.").relevant
    c = classify("", "Analysts said the intel on the talks was thin.")
    assert not c.relevant and all(e.id != "intel" for e in c.entities)


def test_a_regulators_review_is_no_consumer_review() -> None:
    text = "China's cyberspace regulator opened a review of Micron products and told operators to stop buying them."
    c = classify("", text)
    assert c.relevant, c.reasons
    assert {"hbm", "export-controls", "us-china-tech"} <= set(c.topics), c.topics


def test_overlapping_topics_both_fire() -> None:
    c = classify("SMIC ramps 5nm output for Huawei's Ascend chips", "")
    assert {"huawei-smic", "china-chips"} <= set(c.topics), c.topics


def test_a_user_lexicon_entity_has_the_same_properties_as_shipped_ones() -> None:
    extra = {
        "entities": [
            {
                "id": "zhaoxin",
                "kind": "company",
                "side": "china",
                "weight": 2.0,
                "topics": ["china-chips"],
                "name": {"en": "Zhaoxin"},
                "aliases": {"en": ["Zhaoxin"]},
            }
        ]
    }
    lex = load_lexicon(extra)
    assert lex.entries["zhaoxin"].side == "china"
    c = classify("US Commerce Department restricts exports to Zhaoxin", "", lexicon=lex)
    assert {"china-chips", "entity-list", "us-china-tech"} <= set(c.topics), c.reasons
