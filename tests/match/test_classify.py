"""classify() on hand-written items in both languages, including the traps of the field."""

from __future__ import annotations

import io
import json

import pytest

from bot.match import (
    classify,
    classify_json_lines,
    entity_lookup,
    explain,
    needs_second_look,
    suggest_topic,
    topic_lookup,
)

RELEVANT = [
    ("Commerce adds 23 Chinese chip firms to Entity List", "", "critical"),
    ("US tightens export controls on advanced AI chips to China", "", "critical"),
    ("Washington lifts ban on Nvidia H20 sales to China", "", "critical"),
    ("SK hynix doubles HBM output as AI demand surges", "", "high"),
    ("ASML warns Dutch licence rules will hit China sales of DUV machines", "", None),
    ("China curbs gallium and germanium exports", "", "critical"),
    ("الولايات المتحدة تشدد ضوابط تصدير الرقائق إلى الصين", "", "critical"),
    ("وزارة التجارة الأمريكية تضيف شركات صينية إلى قائمة الكيانات", "", "critical"),
    ("بكين تحظر تصدير الغاليوم والجرمانيوم إلى الولايات المتحدة", "", "critical"),
    ("هواوي تطلق رقاقة أسيند 910C لمنافسة إنفيديا", "", None),
    ("ترمب يسمح لـ«إنفيديا» ببيع رقائق إتش 20 للصين", "", None),
    ("تي إس إم سي تبني مصنعا جديدا لأشباه الموصلات في أريزونا", "", None),
    ("Analysis: why the H20 reversal matters for the chip war", "", "normal"),
]

NOT_RELEVANT = [
    "The best potato chips to buy this summer",
    "Poker star wins $2m in chips at Las Vegas final table",
    "Blue-chip stocks rally as Dow hits record",
    "Banks roll out chip-and-PIN cards in rural areas",
    "Nvidia RTX 5080 review: fast gaming card, steep price",
    "Huawei launches Mate phone with bigger battery and new camera",
    "Xi Jinping arrives in Paris for a state visit",
    "India bans rice exports to curb domestic prices",
    "Water company warns of H2O shortage this summer",
    "أفضل رقائق البطاطس المقرمشة في الأسواق",
    "رقائق الذرة بالحليب: فطور صحي للأطفال",
    "جدار سميك من الخرسانة يحمي المدينة من الفيضانات",
    "الرئيس شي يبدأ زيارة رسمية إلى فرنسا",
    "هي ترى أن التعليم أهم من أي شي آخر",
    "مصنع جديد لفلاتر المياه بدقة 5 ميكرون",
    "BIS annual report warns of risks to global banks",
    "الهند تحظر تصدير الأرز لكبح الأسعار",
]


@pytest.mark.parametrize(("title", "text", "severity"), RELEVANT)
def test_relevant(title: str, text: str, severity: str | None) -> None:
    c = classify(title, text)
    assert c.relevant, c.reasons
    assert 0.5 <= c.score <= 1
    if severity is not None:
        assert c.severity == severity, c.reasons


@pytest.mark.parametrize("title", NOT_RELEVANT)
def test_not_relevant(title: str) -> None:
    c = classify(title)
    assert not c.relevant, c.reasons
    assert c.severity is None
    assert c.topics == ()


def test_entity_spans_are_original_offsets_per_field() -> None:
    title = "قيود جديدة على «إنفيديا»"
    text = "The H-20 chip and SMIC face curbs."
    c = classify(title, text)
    for e in c.entities:
        src = title if e.field == "title" else text
        assert src[e.start : e.end] == e.text
    got = {(e.id, e.text, e.field) for e in c.entities}
    assert ("nvidia", "إنفيديا", "title") in got
    assert ("h20", "H-20", "text") in got


def test_ambiguous_alias_confirmed_by_its_entity() -> None:
    c = classify("SMIC ramps 7nm output", "تقول سميك إن الطلب قوي")
    assert [e.field for e in c.entities if e.id == "smic"] == ["title", "text"]
    c2 = classify("جدار سميك", "")
    assert not any(e.id == "smic" for e in c2.entities)


def test_topics_and_reasons() -> None:
    c = classify("US adds Chinese firms to Entity List over AI chip smuggling", "")
    assert "entity-list" in c.topics
    assert any("Entity List" in r for r in c.reasons)


def test_second_look_only_with_some_evidence() -> None:
    thin = classify("تخفيف القيود على هواوي", "")
    assert needs_second_look(thin)
    assert not needs_second_look(classify("Xi meets Macron in Paris", ""))
    assert not needs_second_look(classify("US adds 40 firms to Entity List", ""))


def test_lookups() -> None:
    assert topic_lookup("hbm") == "hbm"
    assert topic_lookup("الذاكرة عالية النطاق") == "hbm"
    assert topic_lookup("High-Bandwidth Memory") == "hbm"
    assert topic_lookup("قائمة الكيانات") == "entity-list"
    assert topic_lookup("nothing like it") is None
    assert suggest_topic("export-contrls") == "export-controls"
    assert suggest_topic("zzzz") is None
    assert entity_lookup("إنفيديا") == "nvidia"
    assert entity_lookup("Tokyo Electron") == "tokyo-electron"
    assert entity_lookup("sk-hynix") == "sk-hynix"


def test_explain_highlights() -> None:
    out = explain("US tightens export controls on Nvidia H20")
    assert "[Nvidia]" in out and "[H20]" in out
    assert "relevant: yes" in out
    assert "\033[1m" in explain("Nvidia H20", ansi=True)


def test_classify_json_lines_in_order_with_errors() -> None:
    lines = [
        json.dumps({"title": "US adds firms to Entity List", "text": ""}),
        "not json",
        json.dumps({"title": "رقائق البطاطس", "lang": "ar"}),
        json.dumps(["a list"]),
        json.dumps({"title": 5}),
        "",
        json.dumps({"title": "Nvidia H20 licences approved"}),
    ]
    out = io.StringIO()
    errors = classify_json_lines(io.StringIO("\n".join(lines) + "\n"), out)
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert errors == 3
    assert len(rows) == 6
    assert rows[0]["relevant"] is True and rows[0]["severity"] in ("critical", "high", "normal")
    assert "error" in rows[1] and "error" in rows[3] and "error" in rows[4]
    assert rows[2]["relevant"] is False
    assert set(rows[5]) == {"relevant", "score", "severity", "topics", "entities", "reasons"}
    ent = rows[5]["entities"][0]
    assert set(ent) == {"id", "text", "start", "end", "field"}


def test_a_verdict_survives_the_trip_from_a_parse_worker_whole() -> None:
    """Verdicts come back from the parse workers pickled (``__reduce__``: a constructor call): every field,
    the stored JSON included, arrives as it left."""
    import dataclasses
    import pickle

    c = classify("Nvidia H20 sales to China halted by new export licence rule", "هواوي وسميك على قائمة الكيانات")
    assert c.relevant and c.entities and c.stored is not None
    back = pickle.loads(pickle.dumps(c, protocol=pickle.HIGHEST_PROTOCOL))
    for f in dataclasses.fields(c):
        assert getattr(back, f.name) == getattr(c, f.name), f.name
    assert back.entities[0] == c.entities[0] and type(back.entities[0]) is type(c.entities[0])
