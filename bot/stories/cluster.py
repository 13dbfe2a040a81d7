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
   contradictions subtract. (The score of steps 4 and 5 is ``bot.stories.score``.)

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
    ItemFeatures,
)
from bot.stories.score import ClusterConfig, Prepared, conflict, prepare, prepare_cached, score_prepared
from bot.stories.signatures import NearDup
from bot.stories.summary import choose_lead

__all__ = ["Decision", "StoryCandidate", "decide"]


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
class Decision:
    story_id: Hashable | None  # None: start a new story
    reason: str
    score: float = 0.0


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


def _story_day(members: Iterable[Prepared]) -> str | None:
    """The story's event day: the fresh day most of its members give (the earliest on a tie)."""
    days = Counter(next(iter(pm.kinds["day"])) for pm in members if pm.kinds["day"])
    if not days:
        return None
    return min(days, key=lambda d: (-days[d], d))


def _new_development(item: Prepared, members: Iterable[Prepared]) -> bool:
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


def _vetoed(a: Prepared, b: Prepared, cfg: ClusterConfig) -> bool:
    """Near-duplicate text with a different actor or event day: a template reused for another act."""
    return any(conflict(k, a.kinds[k], b.kinds[k], cfg) > 0 for k in ("actor", "day"))


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
    prepared_item = prepare(item, weights)
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
        members = {m.key: prepare_cached(m, weights, prepared) for m in compared}
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
            pm = members.get(m.key) or prepare_cached(m, weights, prepared)
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
            score, shared, expl = score_prepared(prepared_item, pm, cfg)
            if score >= need and shared >= cfg.min_shared:
                d = Decision(
                    story.story_id,
                    f"fingerprint {score:.2f} ≥ {need:.2f} with {m.key} ({hours:.0f} h): {expl}",
                    score,
                )
                if best is None or d.score > best.score:
                    best = d
    return best or Decision(None, "new story: no eligible story close enough")
