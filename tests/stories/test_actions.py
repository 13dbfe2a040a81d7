"""Event type of a headline: what separates two events that share every entity.

Headlines here are written for these tests (not taken from the evaluation set)."""

from __future__ import annotations

import pytest

from bot.stories.actions import actions, main_clause


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Washington approves AMD licences for MI308 shipments to China", {"ease"}),
        # «توافق» is both "approve" and "agree": two classes rather than a false conflict
        ("واشنطن توافق على منح إيه إم دي تراخيص لشحن رقائق MI308 إلى الصين", {"ease", "deal"}),
        ("Beijing bans purchases of Micron memory by critical infrastructure operators", {"restrict"}),
        ("بكين تحظر شراء ذاكرة ميكرون في مشاريع البنية التحتية الحيوية", {"restrict"}),
        ("TSMC quarterly profit jumps 40% on AI demand", {"earnings"}),
        ("أرباح تي إس إم سي الفصلية تقفز 40% بفضل الطلب على الذكاء الاصطناعي", {"earnings"}),
        ("Commerce puts 12 Chinese AI firms on the Entity List", {"list-add", "restrict"}),
        ("أمريكا تدرج 12 شركة صينية للذكاء الاصطناعي على قائمة الكيانات", {"list-add", "restrict"}),
        ("Lutnick meets Chinese vice premier in Geneva", {"meeting"}),
        ("وزير التجارة الأمريكي يلتقي نائب رئيس الوزراء الصيني في جنيف", {"meeting"}),
        ("Justice Department charges three men with smuggling Nvidia GPUs", {"probe"}),
        ("Weather turns cold across the north", set()),
    ],
)
def test_action_classes_in_both_languages(title: str, expected: set[str]) -> None:
    assert actions(title) == expected


def test_background_after_a_subordinator_is_not_the_event() -> None:
    assert actions("AMD chief visits Shanghai weeks after new US curbs") == {"meeting"}
    assert actions("الرئيس التنفيذي لإيه إم دي يزور شنغهاي بعد أسابيع من القيود الأمريكية") == {"meeting"}
    assert main_clause("Samsung shares fall amid export ban fears") == "samsung shares fall "


def test_the_object_of_a_response_is_another_event() -> None:
    # "vows response to the additions": a response, not an addition
    assert actions("Beijing vows to respond to US Entity List additions") == {"response"}
    assert actions("بكين تتوعد بالرد على إدراج شركاتها في قائمة الكيانات") == {"response"}
    # ...unless the action is the response's instrument
    assert actions("China retaliates with a ban on graphite exports") == {"response", "restrict"}
    assert actions("الصين ترد بحظر تصدير الغرافيت") == {"response", "restrict"}


def test_never_raises_and_empty_input() -> None:
    assert actions("") == frozenset()
    assert actions("   ") == frozenset()
    assert isinstance(actions("x" * 10_000), frozenset)
