"""Near-duplicates: syndicated edits are found, different reports are not, bad input is safe."""

from __future__ import annotations

import pytest

from bot.stories.neardup import NearDupIndex
from bot.stories.signatures import MIN_SHINGLES, Signature, estimate, shingles, signature
from bot.stories.text import normalize, strip_boilerplate

BODY_EN = (
    "The Commerce Department on Monday added 80 companies to its Entity List, among them more than 50 "
    "in China and several subsidiaries of a large server maker.\n\n"
    "Officials said the firms helped develop supercomputers and advanced AI for China's military, and "
    "that exports to them now require a licence that will generally be denied.\n\n"
    "It was the first such action under the new administration, and analysts expect more listings "
    "before the end of the year as talks with Beijing stall."
)
BODY_AR = (
    "أضافت وزارة التجارة الأمريكية يوم الاثنين 80 شركة إلى قائمة الكيانات، بينها أكثر من 50 شركة في "
    "الصين وعدة شركات تابعة لمصنع خوادم كبير.\n\n"
    "وقال مسؤولون إن هذه الشركات ساعدت في تطوير حواسيب فائقة وذكاء اصطناعي متقدم للجيش الصيني، وإن "
    "التصدير إليها بات يتطلب ترخيصا سيرفض في الغالب.\n\n"
    "ويعد هذا أول إجراء من نوعه في عهد الإدارة الجديدة، ويتوقع محللون مزيدا من الإدراجات قبل نهاية العام."
)
OTHER_EN = (
    "Dutch officials said on Friday that two older immersion lithography models will need a national "
    "export licence from next week, aligning the Netherlands with measures taken by Washington. The "
    "equipment maker said the change would not alter its financial outlook for the year."
)


def test_arabic_normalization_folds_variants() -> None:
    assert normalize("أإآٱ ى ة ـــ َُ ٢٥").split() == ["اااا", "ي", "ه", "25"]
    assert normalize("إنفيديا") == normalize("انفيديا")


def test_boilerplate_is_stripped() -> None:
    text = (
        "كتب: محرر الشؤون\nالفقرة الأولى من الخبر.\nاقرأ أيضا..\nعنوان لا علاقة له\n"
        "الفقرة الثانية.\nجميع الحقوق محفوظة © 2025"
    )
    assert strip_boilerplate(text) == "الفقرة الأولى من الخبر.\nالفقرة الثانية."
    en = (
        "By Staff Reporter\nFirst para.\nRead more: Stocks rise on oil\nSecond para.\n© 2025 Site. All rights reserved."
    )
    assert strip_boilerplate(en) == "First para.\nSecond para."


@pytest.mark.parametrize("body", [BODY_EN, BODY_AR])
def test_syndicated_edits_are_near_duplicates(body: str) -> None:
    paras = body.split("\n\n")
    read_more = "اقرأ أيضا: أسعار الذهب اليوم" if body is BODY_AR else "Read more: Ten gadgets for summer"
    copies = [
        body,
        "\n\n".join([paras[0], read_more, *paras[1:]]),
        "\n\n".join(paras[:-1]),  # last paragraph cut
        "By Staff\n\n" + "\n\n".join(paras[:2]) + "\n\nAll rights reserved.",
    ]
    idx = NearDupIndex()
    idx.add("orig", body)
    idx.add("other", OTHER_EN)
    for c in copies:
        hits = idx.query(c)
        assert hits and hits[0].key == "orig" and hits[0].is_near_duplicate, c
        assert all(h.key != "other" or not h.is_near_duplicate for h in hits)


def test_translation_is_not_a_near_duplicate() -> None:
    j, c = estimate(signature(BODY_EN), signature(BODY_AR))
    assert j < 0.1 and c < 0.2


def test_too_little_text_never_matches() -> None:
    idx = NearDupIndex()
    idx.add("live1", "Live updates")
    idx.add("empty", "")
    assert idx.query("Live updates") == []
    assert idx.query("") == []
    assert idx.query("عاجل") == []
    assert not signature("أخبار اليوم").informative
    assert len(shingles("")) == 0 and signature("").n_shingles == 0
    assert signature(BODY_EN).n_shingles >= MIN_SHINGLES


def test_remove_and_replace() -> None:
    idx = NearDupIndex()
    idx.add("a", BODY_EN)
    assert idx.remove("a") and not idx.remove("a")
    assert idx.query(BODY_EN) == []
    idx.add("a", OTHER_EN)
    idx.add("a", BODY_EN)  # an edited live page: the new text replaces the old one
    assert [h.key for h in idx.query(BODY_EN)] == ["a"]
    assert idx.query(OTHER_EN) == []
    assert len(idx) == 1 and "a" in idx


def test_signature_bytes_roundtrip_and_rebuild() -> None:
    sig = signature(BODY_AR)
    blob = sig.to_bytes()
    back = Signature.from_bytes(blob)
    assert back.n_shingles == sig.n_shingles and (back.hashvalues == sig.hashvalues).all()
    with pytest.raises(ValueError):
        Signature.from_bytes(blob[:-1])
    with pytest.raises(ValueError):
        Signature.from_bytes(b"\x09" + blob[1:])
    rows = [("ar", blob), ("en", signature(BODY_EN).to_bytes()), ("junk", b"xx"), ("short", signature("x").to_bytes())]
    idx = NearDupIndex.from_signatures(rows)
    assert len(idx) == 3  # junk skipped
    assert [h.key for h in idx.query(BODY_AR)] == ["ar"]
    idx.add("ar2", BODY_AR)  # incremental inserts work on a rebuilt index
    assert {h.key for h in idx.query(BODY_AR)} == {"ar", "ar2"}


def test_signatures_are_stable_across_processes() -> None:
    # persisted blobs must keep comparing equal: the hash seed and permutations are fixed
    assert (
        signature("one two three four five").hashvalues[:3].tolist()
        == signature("one two three four five").hashvalues[:3].tolist()
    )
    assert Signature.from_bytes(signature(BODY_EN).to_bytes()).to_bytes() == signature(BODY_EN).to_bytes()


def test_merge_of_delta_segment_keeps_results() -> None:
    idx = NearDupIndex()
    for i in range(30):
        idx.add(i, f"{BODY_EN} unique tail number {i} " * 1)
    idx._merge()  # force the delta into the sorted main segment
    hits = idx.query(BODY_EN)
    assert len(hits) == 30 and all(h.is_near_duplicate for h in hits)
