"""Story clustering: the pure decision "which story does this new item join, if any?".

Inputs are plain features (no database, no matcher import): canonical entity ids from
``bot.match.classify(...).entities``, the ``fingerprint`` of the text, the published time, the
language and the near-duplicate candidates from ``NearDupIndex``. Storage loads the candidate
stories (those whose lead was published within the window) and persists the decision.

How a decision is made (``decide``):

1. Only stories whose *lead* lies within ``window`` (96 h) of the item are eligible. The window is
   anchored at the lead, not at the latest member, so a story cannot creep forward by chaining.
2. **The event's day.** Each report's first day reference ("on Monday", «أمس الخميس», "Dec. 15",
   «20 أكتوبر») is resolved against its published time (``event_day``). A report whose *fresh* day
   (at most two days before publication) is two or more days from its story's day is a later
   development: it never joins that story (rule 0 in the code), whatever else it shares. A report
   that dates the event to a member's day joins at the same-day threshold inside the window, and up
   to ``dated_window`` (7 days) late at the window-edge threshold: a re-telling, not a follow-up
   (whose background may name the same day).
3. Near-duplicate evidence (estimated Jaccard/containment over the body, see ``neardup``) with any
   member joins that story — unless the item has too little text, or its model codes, actor or
   fresh day contradict the member's (an edited template: "H20" became "H200", "US" became "China").
4. Otherwise the fingerprint score against the story's representatives (max): the lead, the 29 most
   recent members and the earliest member of each language not among them (a bounded set however big the
   story; a flood of re-tellings in one language does not hide the other). It is a weighted overlap
   (shared weight / geometric mean of both weights) of entity ids and fingerprint tokens — codes,
   amounts, percentages, quantities with units (10 GW), dates, the resolved day, concepts of the
   bilingual term map (``terms.yaml``: graphite, a stake, a stock debut, a letter of intent), the
   acting government and the kind of act. Entity weights come from the caller: ``FieldWeights``
   lowers entities (and model codes) that many recent stories share, and the default treats generic
   entities (the US, China, Trump, BIS, MOFCOM...) as nearly worthless. Figures of one kind weigh at
   most ``KIND_CAPS`` together, so a market report quoting eight prices is not diluted.
   * **Objects, not context.** Who acted, when and what kind of act are context. Two reports that each
     name what they are about (a company, a chip, an amount, a material) and share none of it are two
     events — China protesting on Wednesday about ASML and about the H20 — whatever context they
     share. A report naming no object (an Arabic brief without the company's name) may join on context.
   * **Contradictions subtract:** different model codes; different acting governments (``actor:``: a
     US rule and China's reaction to it); fresh days two or more days apart; two single, clearly
     different percentages; different *acts* (``act:``: a licence granted is not guidance to avoid
     the chip, a probe opened is not earnings; see ``bot.stories.actions``); a pledge and its
     implementation (``stage:plan`` / ``stage:done``); sums of money none of which is within 12% of
     the other's (a $2bn and a $10bn stake in one company).
   * The score must pass a threshold that rises with the time gap (same day: ``base``; from 24 h to
     72 h up to ``base + ramp``, held there to the window edge), and at least ``min_shared`` absolute
     weight must be shared, so two feature-poor items never merge on one common word.
5. Feature-poor items (a title-only aggregator entry, a one-line brief) are also scored by
   *containment*: shared weight / the poorer side's weight. A headline that shares everything it
   has with a long article scores low on the geometric mean only because the article says more.
   Containment counts when the shared evidence holds ``min_specific`` weight of specific facts
   (non-generic entities, codes, amounts, dates), besides ``min_shared`` in all, and the same
   contradictions subtract.

Policies (documented decisions):

* **Follow-ups.** A story is one development. A report days later about a *new* development of
  the same storyline (a reaction, an official comment, a new figure: "lawmakers question the 15%
  deal" after "Nvidia agrees to pay 15%") is a **new story** and gets its own alert, even when it
  repeats the background figures. What keeps it apart: its fresh event day (rule 2), a different
  actor or kind of act, the rising threshold with the time gap and the new facts it carries (they
  dilute the overlap). A late item that is a different event therefore starts a new story and is
  alerted; a story never swallows it. A re-telling of the same development by a later outlet (same
  facts) still joins while the lead is in the window, or later when it dates the event to its day.
* **Arrival order.** Assignment is online: a story, once alerted, is never merged with another.
  Within a write batch the order is canonical (``bot.ingest`` assigns by publication), and decisions
  read no batch boundary, so batching and in-batch order never change the stories; across batches,
  reports of one day may arrive in any order and give the same stories as long as the decision is
  transitive on them (tested on our own week and on the real corpus: ``tests/stories/test_invariance``).
* **Same URL, different content** (a live page edited over the day, a corrected article). Storage
  keeps one item per canonical URL/guid; the new title/text *updates* that item, its signature is
  replaced in the index (``NearDupIndex.add`` replaces), and its story is marked updated — never
  a new alert and never a re-clustering of the existing link. A live page whose content moves to
  a different event stays in its first story; this is accepted (live pages are rare in our feeds
  and an extra alert is worse).
* **Missing or absurd dates.** Items carry the fetch time when the feed's date is missing or
  absurd (``bot.normalize``); a ``None`` time here can only join by near-duplicate evidence.
* **Too little text** (title only, boilerplate titles such as "Live updates", "عاجل", "أخبار اليوم"):
  never joins on near-duplicate evidence, and needs ``min_shared`` weight of real facts to join by
  fingerprint — a bare title shared by two pages is no evidence at all.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.stories.features import (
    GENERIC_ENTITIES,
    SPECIFIC_KINDS,
    FieldWeights,
    ItemFeatures,
    default_weight,
    event_day,
    idf_weights,
    item_weights,
    story_keys,
)
from bot.stories.signatures import NearDup
from bot.stories.summary import choose_lead

# What clustering's callers import from here, though it lives in ``features`` or ``summary``.
__all__ = [
    "GENERIC_ENTITIES",
    "ClusterConfig",
    "Decision",
    "FieldWeights",
    "ItemFeatures",
    "StoryCandidate",
    "choose_lead",
    "decide",
    "default_weight",
    "event_day",
    "idf_weights",
    "pair_score",
    "story_keys",
]

_MONEY = 1e8  # figures this large are sums of money (or market values), not counts
_FRESH_DAYS = 2  # a resolved day at most this far before publication can conflict with another


@dataclass(frozen=True, slots=True)
class StoryCandidate:
    """An open story: its id in storage and its members' features."""

    story_id: Hashable
    members: tuple[ItemFeatures, ...]

    @property
    def lead(self) -> ItemFeatures:
        return choose_lead(self.members)

    @property
    def first_published(self) -> datetime | None:
        times = [m.published for m in self.members if m.published is not None]
        return min(times) if times else None


@dataclass(frozen=True, slots=True)
class ClusterConfig:
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


@dataclass(frozen=True, slots=True)
class Decision:
    story_id: Hashable | None  # None: start a new story
    reason: str
    score: float = 0.0


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
class _Prepared:
    """One item's weights, computed once per decision rather than once per pair."""

    f: ItemFeatures
    w: dict[str, float]  # with the caller's (field) weights
    base: dict[str, float]  # without them
    total: float
    base_total: float
    kinds: dict[str, frozenset[str]]  # conflict kinds → tokens
    objects: float  # weight of what the report is about (``_object`` keys)


_CONFLICT_KINDS = ("code", "dow", "pct", "act", "actor", "day", "stage", "money")


def _prepare(f: ItemFeatures, weights: Mapping[str, float] | None) -> _Prepared:
    w = item_weights(f, weights)
    base = w if weights is None else item_weights(f, None)
    kinds = {k: f.fingerprint.of_kind(k) for k in _CONFLICT_KINDS if k not in ("day", "money")}
    kinds["money"] = frozenset(t for t in f.fingerprint.of_kind("num") if float(t[4:]) >= _MONEY)
    days = frozenset(k for k in w if k.startswith("day:"))
    # only a fresh day (the event is this report's news) can contradict: a day well before publication
    # may be background the first reference happens to name ("told on April 9", disclosed a week later)
    kinds["day"] = days if _fresh(days, f) else frozenset()
    kinds["dated"] = days
    objects = sum(v for k, v in base.items() if _object(k, v))
    return _Prepared(f, w, base, sum(w.values()), sum(base.values()), kinds, objects)


def pair_score(
    a: ItemFeatures, b: ItemFeatures, weights: Mapping[str, float] | None = None, cfg: ClusterConfig | None = None
) -> tuple[float, float, str]:
    """(score, shared evidence, explanation) for two items' features.

    The score uses ``weights`` (field statistics); the shared evidence returned for the ``min_shared``
    guard, and the "feature-poor" test, use the base weights: how *much* two items have in common
    does not depend on how common it is this week, only how much it *tells* does.
    """
    return _pair(_prepare(a, weights), _prepare(b, weights), cfg or ClusterConfig())


def _pair(pa: _Prepared, pb: _Prepared, cfg: ClusterConfig) -> tuple[float, float, str]:
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
    for kind in _CONFLICT_KINDS:
        penalty = _conflict(kind, pa.kinds[kind], pb.kinds[kind], cfg)
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


def _conflict(kind: str, ka: frozenset[str], kb: frozenset[str], cfg: ClusterConfig) -> float:
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


def _gap(a: datetime | None, b: datetime | None) -> timedelta | None:
    if a is None or b is None:
        return None
    try:
        return abs(a - b)
    except TypeError:  # naive vs aware: compare as UTC-naive rather than crash
        return abs(a.replace(tzinfo=None) - b.replace(tzinfo=None))


def _codes_conflict(a: ItemFeatures, b: ItemFeatures) -> bool:
    ka, kb = a.fingerprint.of_kind("code"), b.fingerprint.of_kind("code")
    return bool(ka and kb and not (ka & kb))


def _prepared(m: ItemFeatures, weights: Mapping[str, float] | None, cache: dict[Hashable, Any] | None) -> _Prepared:
    pm = cache.get(m.key) if cache is not None else None
    if pm is None or pm.f is not m:
        pm = _prepare(m, weights)
        if cache is not None:
            cache[m.key] = pm
    return pm


def _story_day(members: Iterable[_Prepared]) -> str | None:
    """The story's event day: the fresh day most of its members give (the earliest on a tie)."""
    days = Counter(next(iter(pm.kinds["day"])) for pm in members if pm.kinds["day"])
    if not days:
        return None
    return min(days, key=lambda d: (-days[d], d))


def _new_development(item: _Prepared, members: Iterable[_Prepared]) -> bool:
    """True when the item's fresh event day is two or more days from the story's."""
    if not item.kinds["day"]:
        return False
    story_day = _story_day(members)
    if story_day is None:
        return False
    (day,) = item.kinds["day"]
    return abs(date.fromisoformat(day[4:]) - date.fromisoformat(story_day[4:])).days >= 2


def _language_firsts(members: Iterable[ItemFeatures], seen: set[str]) -> list[ItemFeatures]:
    """The earliest member of each language not in ``seen`` (by language)."""
    far = datetime.max
    firsts: dict[str, ItemFeatures] = {}
    for m in members:
        if m.lang in seen:
            continue
        held = firsts.get(m.lang)
        t = m.published.replace(tzinfo=None) if m.published is not None else far
        if held is None or t < (held.published.replace(tzinfo=None) if held.published is not None else far):
            firsts[m.lang] = m
    return [firsts[lang] for lang in sorted(firsts)]


def _vetoed(a: _Prepared, b: _Prepared, cfg: ClusterConfig) -> bool:
    """Near-duplicate text with a different actor or event day: a template reused for another act."""
    return any(_conflict(k, a.kinds[k], b.kinds[k], cfg) > 0 for k in ("actor", "day"))


def decide(
    item: ItemFeatures,
    candidates: Sequence[StoryCandidate],
    near_dups: Iterable[NearDup] = (),
    *,
    weights: Mapping[str, float] | None = None,
    config: ClusterConfig | None = None,
    prepared: dict[Hashable, Any] | None = None,
    counts: Counter[str] | None = None,
    flooding: frozenset[str] = frozenset(),
) -> Decision:
    """Choose the story ``item`` joins (or ``None`` for a new story), with a reason string.

    ``flooding``: sources (feed ids) flooding now (``bot.deliver.caps``). Their members are no fingerprint
    evidence, only near-duplicate evidence is: a feed replaying an archive with fresh dates would otherwise
    chain its unrelated items into a few stories and have them absorb other feeds' real news of the same
    companies on the same day (the soak's archive floods: stories of 359 members holding 17 real events).

    ``prepared``: a cache of members' weights keyed by member key, valid while ``weights`` is the same
    (storage keeps one per transaction, so a member compared with many new items is weighed once).
    ``counts``: if given, ``pairs`` (fingerprint scores) and ``near_checks`` (members looked up among the
    near-duplicate hits) are added to it — the work done, for cost accounting.
    """
    cfg = config or ClusterConfig()
    nd = {n.key: n for n in near_dups if n.is_near_duplicate} if item.informative else {}
    prepared_item = _prepare(item, weights)
    best: Decision | None = None
    for story in candidates:
        if not story.members:
            continue
        lead = story.lead
        gap = _gap(item.published, story.first_published)
        in_window = gap is not None and gap <= cfg.window
        # the members compared: the lead, the most recent ones and the earliest of each language not among
        # them (bounded cost however big the story; a flood in one language does not hide the other)
        recent = sorted(
            (m for m in story.members if m is not lead),
            key=lambda m: m.published.timestamp() if m.published is not None else -math.inf,
            reverse=True,
        )[: cfg.max_members - 1]
        compared = (lead, *recent, *_language_firsts(story.members, {lead.lang, *(m.lang for m in recent)}))
        members = {m.key: _prepared(m, weights, prepared) for m in compared}
        # 0. a report of a later development never joins: its fresh event day is not the story's
        if _new_development(prepared_item, members.values()):
            continue
        # 1. near-duplicate evidence
        if counts is not None:
            counts["near_checks"] += len(story.members)
        for m in story.members:
            hit = nd.get(m.key)
            if hit is None or not m.informative or _codes_conflict(item, m):
                continue
            pm = members.get(m.key) or _prepared(m, weights, prepared)
            if _vetoed(prepared_item, pm, cfg):  # an edited template: another actor or day
                continue
            if in_window or gap is None:
                d = Decision(
                    story.story_id,
                    f"near-duplicate of {m.key} (J={hit.jaccard:.2f}, C={hit.containment:.2f})",
                    1.0 + hit.jaccard,
                )
                if best is None or d.score > best.score:
                    best = d
        dated = prepared_item.kinds["dated"]
        if gap is None or not (in_window or (dated and gap <= cfg.dated_window)):
            continue
        # 2. fingerprint score against lead + most recent members
        hours = gap.total_seconds() / 3600
        span = max(cfg.ramp_span.total_seconds() / 3600, 1.0)
        threshold = cfg.base + cfg.ramp * min(max(hours - 24, 0.0) / span, 1.0)
        for m in compared:
            if m.source in flooding:
                continue
            pm = members[m.key]
            # a report dating the event to the member's day re-tells it, however late it comes: no ramp
            same_day = bool(dated & pm.kinds["dated"])
            if not (in_window or same_day):
                continue
            # beyond the window a dated re-telling must also be close: it may be a follow-up's background
            need = (cfg.base if in_window else cfg.base + cfg.ramp) if same_day else threshold
            if counts is not None:
                counts["pairs"] += 1
            score, shared, expl = _pair(prepared_item, pm, cfg)
            if score >= need and shared >= cfg.min_shared:
                d = Decision(
                    story.story_id,
                    f"fingerprint {score:.2f} ≥ {need:.2f} with {m.key} ({hours:.0f} h): {expl}",
                    score,
                )
                if best is None or d.score > best.score:
                    best = d
    return best or Decision(None, "new story: no eligible story close enough")
