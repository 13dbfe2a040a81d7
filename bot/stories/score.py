"""The pair score: how much two reports' features say they tell one event (``pair_score``), and the
thresholds clustering uses (``ClusterConfig``). Steps 4 and 5 of ``bot.stories.cluster``'s docstring are the
rules it implements: a weighted overlap of entities and fingerprint tokens, containment for a feature-poor
side, nothing when each names what it is about and they share none of it, and contradictions subtracted.
``decide`` (the policy: which story, if any) calls ``prepare``/``prepare_cached`` once per item and
``score_prepared`` per pair; ``conflict`` is also its near-duplicate veto.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.stories.features import SPECIFIC_KINDS, ItemFeatures, item_weights

_MONEY = 1e8  # figures this large are sums of money (or market values), not counts
_FRESH_DAYS = 2  # a resolved day at most this far before publication can conflict with another


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """The thresholds of the pair score and of ``decide``, in one place: they are tuned together."""

    window: timedelta = timedelta(hours=96)  # a re-telling 3-4 days late joins only with a near-copy's score
    # a report that dates the event (resolved day) to a member's day may join up to this late
    dated_window: timedelta = timedelta(days=7)
    base: float = 0.40  # fingerprint score needed on the same day
    ramp: float = 0.30  # added linearly from 24 h to 24 h + ``ramp_span``, then held to the window edge
    ramp_span: timedelta = timedelta(hours=48)
    min_shared: float = 2.0  # absolute shared weight (e.g. one model code, or two specific facts)
    code_conflict: float = 0.35
    dow_conflict: float = 0.0  # weekdays named: superseded by the resolved day (a background weekday is no conflict)
    pct_conflict: float = 0.10  # only between two single, clearly different percentages (a 10% vs a 15% stake)
    act_conflict: float = 0.35  # eval set: no effect between 0.25 and 0.45; the middle
    actor_conflict: float = 0.30  # different governments act: a rule and the foreign reaction to it
    day_conflict: float = 0.40  # event days two or more days apart: two developments of one storyline
    stage_conflict: float = 0.30  # a pledge ("will exempt") and its implementation ("began granting")
    money_conflict: float = 0.20  # sums of money, none within 12% of the other's
    poor_weight: float = 5.0  # features weighing less than this make an item "feature-poor"
    min_specific: float = 1.0  # containment needs this much shared weight of specific facts
    min_object: float = 0.8  # shared weight of what the event is about (entity, code, amount, concept)
    containment_scale: float = 0.85  # containment counts a little less than a full overlap
    max_members: int = 30  # members compared per story (lead + most recent); bounds the cost


_OBJECT_KINDS = frozenset({"code", "num", "pct", "qty", "term"})


def _object(key: str, weight: float) -> bool:
    """Keys naming what an event is about (a company, chip, amount, material), not who, when or how."""
    kind = key.split(":", 1)[0]
    if kind == "term":  # a material or an instrument, not a word every market story uses ("surge")
        return weight >= 0.8
    return kind in _OBJECT_KINDS or (kind == "ent" and weight >= 0.5)


def _specific(key: str, weight: float) -> bool:
    kind = key.split(":", 1)[0]
    return kind in SPECIFIC_KINDS or (kind == "ent" and weight >= 0.5)


@dataclass(frozen=True, slots=True)
class Prepared:
    """One item's weights, computed once per decision rather than once per pair."""

    f: ItemFeatures
    w: dict[str, float]  # with the caller's (field) weights
    base: dict[str, float]  # without them
    total: float
    base_total: float
    kinds: dict[str, frozenset[str]]  # conflict kinds → tokens
    objects: float  # weight of what the report is about (``_object`` keys)


CONFLICT_KINDS = ("code", "dow", "pct", "act", "actor", "day", "stage", "money")


def prepare(f: ItemFeatures, weights: Mapping[str, float] | None) -> Prepared:
    w = item_weights(f, weights)
    base = w if weights is None else item_weights(f, None)
    kinds = {k: f.fingerprint.of_kind(k) for k in CONFLICT_KINDS if k not in ("day", "money")}
    kinds["money"] = frozenset(t for t in f.fingerprint.of_kind("num") if float(t[4:]) >= _MONEY)
    days = frozenset(k for k in w if k.startswith("day:"))
    # only a fresh day (the event is this report's news) can contradict: a day well before publication
    # may be background the first reference happens to name ("told on April 9", disclosed a week later)
    kinds["day"] = days if _fresh(days, f) else frozenset()
    kinds["dated"] = days
    objects = sum(v for k, v in base.items() if _object(k, v))
    return Prepared(f, w, base, sum(w.values()), sum(base.values()), kinds, objects)


def pair_score(
    a: ItemFeatures, b: ItemFeatures, weights: Mapping[str, float] | None = None, cfg: ClusterConfig | None = None
) -> tuple[float, float, str]:
    """(score, shared evidence, explanation) for two items' features.

    The score uses ``weights`` (field statistics); the shared evidence returned for the ``min_shared``
    guard, and the "feature-poor" test, use the base weights: how *much* two items have in common
    does not depend on how common it is this week, only how much it *tells* does.
    """
    return score_prepared(prepare(a, weights), prepare(b, weights), cfg or ClusterConfig())


def score_prepared(pa: Prepared, pb: Prepared, cfg: ClusterConfig) -> tuple[float, float, str]:
    wa, wb = pa.w, pb.w
    shared_keys = wa.keys() & wb.keys()
    if not shared_keys or pa.total <= 0 or pb.total <= 0:
        return 0.0, 0.0, "nothing shared"
    shared = sum(min(wa[k], wb[k]) for k in shared_keys)
    base_shared = sum(min(pa.base[k], pb.base[k]) for k in shared_keys)
    if shared <= 0:
        return 0.0, 0.0, "nothing shared"
    # who, when and what kind of act are context: two reports sharing only them (China, Wednesday, a
    # protest) are two events when each names what it is about and they share none of it. A report that
    # names no object (an Arabic brief without the company's name) can still join on context.
    # (base weights: HBM is what a report is about even in a week when every story names it)
    about = sum(min(pa.base[k], pb.base[k]) for k in shared_keys if _object(k, min(pa.base[k], pb.base[k])))
    if about < cfg.min_object and pa.objects >= cfg.min_object and pb.objects >= cfg.min_object:
        return 0.0, base_shared, "different objects (shared only " + ", ".join(sorted(shared_keys)[:5]) + ")"
    score = shared / math.sqrt(pa.total * pb.total)
    notes: list[str] = []
    if _feature_poor(pa.f, pa.base_total, pb.f, pb.base_total, cfg):
        poor_total = min(pa.total, pb.total)
        specific = sum(min(wa[k], wb[k]) for k in shared_keys if _specific(k, min(wa[k], wb[k])))
        contained = cfg.containment_scale * shared / poor_total
        if specific >= cfg.min_specific and contained > score:
            score = contained
            notes.append(f"containment {shared:.1f}/{poor_total:.1f}")
    for kind in CONFLICT_KINDS:
        penalty = conflict(kind, pa.kinds[kind], pb.kinds[kind], cfg)
        if penalty > 0:
            score -= penalty
            notes.append(f"{kind} differ")
    top = sorted(shared_keys, key=lambda k: -min(wa[k], wb[k]))[:5]
    expl = "shared " + ", ".join(top) + ("; " + ", ".join(notes) if notes else "")
    return max(score, 0.0), base_shared, expl


def _fresh(days: frozenset[str], f: ItemFeatures) -> bool:
    if not days or f.published is None:
        return False
    (day,) = days
    return (f.published.date() - date.fromisoformat(day[4:])).days <= _FRESH_DAYS


def conflict(kind: str, ka: frozenset[str], kb: frozenset[str], cfg: ClusterConfig) -> float:
    """The penalty for two items' tokens of one kind contradicting each other (0 when they do not)."""
    if not ka or not kb or ka & kb:
        return 0.0
    if kind == "day":  # one day apart is time zones and late wires, not two events
        (da,), (db,) = ka, kb
        gap = abs(date.fromisoformat(da[4:]) - date.fromisoformat(db[4:])).days
        return cfg.day_conflict if gap >= 2 else 0.0
    if kind == "money":  # two sums of money, none close to the other's: two deals (a $2bn and a $10bn stake)
        va, vb = (sorted(float(t[4:]) for t in ks) for ks in (ka, kb))
        close = any(abs(x - y) <= 0.12 * max(x, y) for x in va for y in vb)
        return 0.0 if close else cfg.money_conflict
    if kind == "pct":  # market moves quote many, slightly different figures: only two lone figures conflict
        if len(ka) > 1 or len(kb) > 1:
            return 0.0
        (pa,), (pb,) = (float(t[4:]) for t in ka), (float(t[4:]) for t in kb)
        return cfg.pct_conflict if abs(pa - pb) > 0.1 * max(pa, pb, 1.0) else 0.0
    return {
        "code": cfg.code_conflict,
        "dow": cfg.dow_conflict,
        "act": cfg.act_conflict,
        "actor": cfg.actor_conflict,
        "stage": cfg.stage_conflict,
    }[kind]


def _feature_poor(a: ItemFeatures, total_a: float, b: ItemFeatures, total_b: float, cfg: ClusterConfig) -> bool:
    """True when the side with fewer features is title-only (no body to compare) or has few facts."""
    small, item = (total_a, a) if total_a <= total_b else (total_b, b)
    return not item.informative or small <= cfg.poor_weight


def prepare_cached(m: ItemFeatures, weights: Mapping[str, float] | None, cache: dict[Hashable, Any] | None) -> Prepared:
    """``prepare`` through ``decide``'s cache of members (by key; a new features object is weighed again)."""
    pm = cache.get(m.key) if cache is not None else None
    if pm is None or pm.f is not m:
        pm = prepare(m, weights)
        if cache is not None:
            cache[m.key] = pm
    return pm
