"""Spikes against a four-week daily baseline, with a floor against noise."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.digest.build import build_digest
from bot.digest.render import render_text
from bot.digest.spikes import SpikeSettings, detect_spikes, enqueue_trend_alerts
from storage.db import session
from storage.tables import Delivery
from tests.digest.seed import Report, feeds, get_sub, story, subscription

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def seed_hbm(engine: Engine, recent: int) -> None:
    feeds(engine, "wire")
    # Baseline: HBM once every two days over four weeks (0.5 a day); Nvidia every day (1 a day).
    for d in range(2, 30, 2):
        story(engine, f"hbm {d}", [Report("wire", "en", NOW - timedelta(days=d), entities=("hbm",))], topics=("hbm",))
    for d in range(2, 30):
        story(
            engine,
            f"nv {d}",
            [Report("wire", "en", NOW - timedelta(days=d, hours=3), entities=("nvidia",))],
            topics=("nvidia",),
        )
    for h in range(recent):
        story(
            engine,
            f"hbm now {h}",
            [Report("wire", "en", NOW - timedelta(hours=h + 1), entities=("hbm",))],
            topics=("hbm",),
        )
    story(engine, "nv now", [Report("wire", "en", NOW - timedelta(hours=2), entities=("nvidia",))], topics=("nvidia",))


def test_entity_and_topic_spike_over_the_baseline(sqlite_engine: Engine) -> None:
    seed_hbm(sqlite_engine, recent=4)
    with session(sqlite_engine) as s:
        spikes = detect_spikes(s, NOW)
    found = {(sp.kind, sp.key): sp for sp in spikes}
    hbm = found[("entity", "hbm")]
    assert hbm.count == 4 and abs(hbm.baseline - 14 / 28) < 1e-9 and hbm.ratio is not None and round(hbm.ratio) == 8
    assert ("topic", "hbm") in found
    assert ("entity", "nvidia") not in found  # one mention: its usual day


def test_small_counts_and_high_multiples_are_not_spikes(sqlite_engine: Engine) -> None:
    seed_hbm(sqlite_engine, recent=2)  # 2 < min_count 3
    with session(sqlite_engine) as s:
        assert detect_spikes(s, NOW) == []
        assert detect_spikes(s, NOW, settings=SpikeSettings(min_count=2)) != []
        assert detect_spikes(s, NOW, settings=SpikeSettings(min_count=2, multiple=5)) == []  # 4× is not > 5×


def test_no_spikes_in_a_young_store(sqlite_engine: Engine) -> None:
    feeds(sqlite_engine, "wire")
    for h in range(5):
        story(
            sqlite_engine,
            f"x{h}",
            [Report("wire", "en", NOW - timedelta(hours=h + 1), entities=("hbm",))],
            topics=("hbm",),
        )
    with session(sqlite_engine) as s:
        assert detect_spikes(s, NOW) == []  # no history: no "usual"


def test_spike_in_digest_text_and_trend_alerts_once_a_day(sqlite_engine: Engine) -> None:
    seed_hbm(sqlite_engine, recent=4)
    en = subscription(sqlite_engine, topics="hbm")
    ar = subscription(sqlite_engine, topics="nvidia", language="ar", target="43")
    with session(sqlite_engine) as s:
        d = build_digest(s, get_sub(sqlite_engine, en), NOW)
    text = render_text(d)
    assert "HBM: 8× its usual daily mentions (4 mentions in 24 h)" in text
    assert [sp.key for sp in d.spikes] == ["hbm"]  # the topic "HBM" is the same news: shown once
    assert enqueue_trend_alerts(sqlite_engine, NOW, [en, ar]) == 2  # entity and topic HBM, for `en` only
    assert enqueue_trend_alerts(sqlite_engine, NOW + timedelta(hours=1), [en, ar]) == 0  # same day
    with session(sqlite_engine) as s:
        rows = s.exec(select(Delivery)).all()
    assert {r.kind for r in rows} == {"notice"} and {r.subscription_id for r in rows} == {en}
    assert any(json.loads(r.payload or "{}")["text"].startswith("Trend alert: HBM: 8×") for r in rows)
