"""Bad input: nothing crashes, big input completes (no timing asserts: see bench/)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.match import classify


@pytest.mark.parametrize(
    "title",
    [
        "",
        " ",
        "\u200f\u200e\u2066",
        "إن\u200fفي\u200eديا تحصل على تراخيص لرقائق H20",
        "NvidiaإنفيدياH20رقائق",
        "&lt;b&gt;Nvidia&lt;/b&gt; &amp; <i>export controls</i> on AI chips",
        "🚀🇨🇳 chips 🇺🇸 export ban 🔥",
        "lone \ud800 surrogate \udfff H20",
        "\x00\x01\x02 control chars",
    ],
)
def test_odd_titles_do_not_crash(title: str) -> None:
    c = classify(title, title)
    assert 0.0 <= c.score <= 1.0
    for e in c.entities:
        assert 0 <= e.start <= e.end <= len(title)


def test_rtl_marks_inside_words_still_match() -> None:
    c = classify("إن\u200fفي\u200eديا تحصل على تراخيص تصدير رقائق", "")
    nv = [e for e in c.entities if e.id == "nvidia"]
    assert nv and nv[0].text == "إن\u200fفي\u200eديا"


def test_html_entities_and_markup_are_separators() -> None:
    c = classify("<p>US&nbsp;adds firms to the Entity&#160;List</p>", "")
    assert any(e.id == "entity-list" for e in c.entities)


def test_one_megabyte_text_completes() -> None:
    para = "The company said quarterly demand was steady. قالت الشركة إن الطلب مستقر. "
    text = para * (1_000_000 // len(para))
    c = classify("Quarterly update", text + " Nvidia H20 export licences approved.")
    assert c.relevant
    assert any(e.id == "h20" and text[e.start - 0 : e.end] is not None for e in c.entities)


def test_non_string_inputs_are_treated_as_empty() -> None:
    c = classify(None, None)  # type: ignore[arg-type]
    assert not c.relevant


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200))
def test_never_raises(title: str, text: str) -> None:
    c = classify(title, text)
    for e in c.entities:
        src = title if e.field == "title" else text
        assert src[e.start : e.end] == e.text
