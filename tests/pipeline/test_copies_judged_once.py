"""A wire story copied word for word by many outlets is judged once per process (``bot.analyze.judge``): the
copies get the verdict and story features their text gets afresh, and any change to what the matcher reads
(title, body) is judged anew."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot import analyze as analyze_module
from bot.analyze import Analysis, analyze
from bot.match import classify

WIRE = (
    "US adds {n} Chinese firms to the Entity List over AI chips",
    "The Commerce Department added {n} companies, among them suppliers of Huawei and SMIC, to the Entity List "
    "on Thursday, cutting their access to American chipmaking tools and high-bandwidth memory.",
)


def _feed(outlet: str, items: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>https://{outlet}.example/{k}</link>"
        f"<guid isPermaLink='false'>{outlet}-{k}</guid><description>{d}</description></item>"
        for k, (t, d) in enumerate(items)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>{outlet}</title>{body}</channel></rss>".encode()


def _analyze(outlet: str, items: list[tuple[str, str]]) -> Analysis:
    return analyze(
        _feed(outlet, items),
        url=f"https://{outlet}.example/rss",
        headers={"Content-Type": "application/rss+xml; charset=utf-8"},
        feed_id=outlet,
        language="en",
        fetched=datetime(2026, 12, 2, tzinfo=UTC),
    )


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """The texts the real matcher was asked about (through the classifier the worker uses)."""
    calls: list[tuple[str, str, str]] = []

    def counting(lexicon: str | None) -> Callable[..., Any]:
        def run(title: str, text: str, language: str) -> Any:
            calls.append((title, text, language))
            return classify(title, text, language)

        return run

    monkeypatch.setattr(analyze_module, "classifier_for", counting)
    monkeypatch.setattr(analyze_module, "_memo", analyze_module._Memo(analyze_module.MEMO_SIZE))
    return calls


def test_copies_across_outlets_are_judged_once(judged: list[tuple[str, str, str]]) -> None:
    wire = (WIRE[0].format(n=17), WIRE[1].format(n=17))
    first = _analyze("a", [wire])
    copies = [_analyze(outlet, [wire]) for outlet in ("b", "c", "d")]
    assert len(judged) == 1, "one judgement for four outlets' identical text"
    [original] = first.verdicts.values()
    assert original.relevant
    for copy in copies:
        [verdict] = copy.verdicts.values()
        assert verdict == original
        [(sig, fp)] = copy.features.values()
        [(sig0, fp0)] = first.features.values()
        assert (sig.hashvalues == sig0.hashvalues).all() and fp == fp0


def test_any_change_the_matcher_reads_is_judged_anew(judged: list[tuple[str, str, str]]) -> None:
    title, body = WIRE[0].format(n=17), WIRE[1].format(n=17)
    _analyze("a", [(title, body)])
    _analyze("b", [(WIRE[0].format(n=18), body)])  # another title
    _analyze("c", [(title, WIRE[1].format(n=18))])  # another body
    _analyze("d", [(title, body)])  # a copy again
    assert len(judged) == 3
    assert {(t, b) for t, b, _ in judged} == {
        (title, body),
        (WIRE[0].format(n=18), body),
        (title, WIRE[1].format(n=18)),
    }


def test_the_memo_forgets_the_oldest_texts(judged: list[tuple[str, str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analyze_module, "_memo", analyze_module._Memo(2))
    texts = [(WIRE[0].format(n=n), WIRE[1].format(n=n)) for n in (1, 2, 3)]
    for n, text in enumerate(texts):
        _analyze(f"o{n}", [text])
    _analyze("again", [texts[0]])  # pushed out by the third
    _analyze("again2", [texts[2]])  # still held
    assert len(judged) == 4
