"""Fingerprints: the same facts give the same tokens in Arabic and English."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.stories.fingerprint import fingerprint


@pytest.mark.parametrize(
    ("en", "ar"),
    [
        ("a $5.5 billion charge", "أعباء بقيمة 5.5 مليار دولار"),
        ("a charge of 5.5bn", "خسائر بـ٥٫٥ مليار"),
        ("25% of the proceeds", "25 بالمئة من العائدات"),
        ("25 percent", "٪25"),
        ("by August 12", "قبل 12 أغسطس/آب"),
        ("on 12 Aug", "في 12 آب"),
        ("about 50,000 GPUs", "نحو 50 ألف وحدة"),
        ("the H20 chip", "رقاقة H20"),
        ("on Tuesday", "يوم الثلاثاء"),
        ("added 140 companies", "أضافت ١٤٠ شركة"),
    ],
)
def test_same_fact_same_token_across_languages(en: str, ar: str) -> None:
    assert fingerprint(en).tokens == fingerprint(ar).tokens != frozenset()


def test_model_codes_are_distinct() -> None:
    assert fingerprint("H20").tokens == {"code:h20"}
    assert fingerprint("H200").tokens == {"code:h200"}
    assert fingerprint("Ascend 910B and MI308").tokens == {"code:910b", "code:mi308"}


def test_noise_is_not_a_fact() -> None:
    toks = fingerprint("At 10:30 on the 3rd, in 2024, he said 5 things").tokens
    assert toks == {"year:2024"}
    assert fingerprint("").tokens == frozenset()
    assert fingerprint("Live updates").tokens == frozenset()
    assert fingerprint("may rise").tokens == frozenset()  # "may" is not a month here


@given(st.text(max_size=300))
def test_never_raises(s: str) -> None:
    fingerprint(s, s)
