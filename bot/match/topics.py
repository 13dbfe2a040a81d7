"""Stage 3 of ``classify``: every topic a relevant item is about (README, "Topics", is the policy).

Each entry's evidence points at its topics (``topics`` in YAML; ``title_topics`` only when the entity
is named in the title). A named company, chip, memory, equipment maker, rule or material gives its topics
wherever it is named; people and countries only hint. A topic needs ``TOPIC_MIN``. Rules add what single
words cannot say:

* ``export-controls``: a control bearing on chips, tools, minerals or AI; a listing; China barring
  purchases from a US chipmaker. A tariff is not a control.
* ``entity-list``: a listing (a blacklist and an addition verb, or an export authority restricting a
  counted group of companies); US restrictions on a named Chinese chip company.
* ``chip-equipment``: equipment named generically right before a chipmaking word, under a control.
* ``ai-chips``: controls on AI itself; memory for AI.
* ``china-chips``: domestic substitution; Chinese companies listed; implied by ``huawei-smic``.
* ``us-china-tech``: a control, listing, probe or purchase ban between China and the US or its allies;
  AI with both sides named; controls on chipmaking tools; the US export authority's list rules;
  rivalry phrases; talent cues; minerals alliances.
* ``us-china-trade``: trade terms, tariffs, negotiators, two leaders, a leader and Beijing in a title;
  China acting against a US target (its controls, lists, probes); China's mineral controls with the US
  named; US minerals deals and alliances.

Topics overlap on purpose (topics.yaml ``implies``). Entity properties (``side``, ``leader``,
``negotiator``, ``trade_measure``, ``export_authority``) come from the lexicon.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from bot.match.evidence import Evidence, is_control
from bot.match.model import Topic
from bot.match.relevance import Weighing

TOPIC_MIN = 1.0
# Kinds whose mention anywhere in a relevant item gives their topics (a person's or a general AI
# company's does not: Trump is not the trade topic by himself, Alibaba is no chip story).
_NAMED_TOPIC_KINDS = frozenset({"company", "chip", "memory", "equipment", "regulation", "material"})
_CHIP_COMPANY_MIN_WEIGHT = 0.5
TITLE_ENTITY_TOPIC_MIN_WEIGHT = 0.5  # below this an entity is too generic to set a topic (Alibaba, Baidu)
MENTION_VALUE = 0.3  # people and places point at a topic without proving relevance


def assign(ev: Evidence, w: Weighing, reasons: list[str], topics: Mapping[str, Topic]) -> tuple[str, ...]:
    """Stage 3: every topic whose score reaches ``TOPIC_MIN``, with the topics they imply, sorted."""
    score: dict[str, float] = defaultdict(float)
    _from_entries(ev, w, score)
    if w.control_object:
        score["export-controls"] += TOPIC_MIN
    if w.list_action:
        score["entity-list"] += TOPIC_MIN
        score["export-controls"] += TOPIC_MIN
        if ev.side("china") and ("target" in ev.roles or _chinese_company(ev)):
            # Chinese companies listed: China's own chip industry is the target.
            score["china-chips"] += TOPIC_MIN
            reasons.append("topic: Chinese companies listed -> china-chips")
    _cues(ev, score, reasons)
    _controls(ev, w, score, reasons)
    _rivalry(ev, w, score, reasons)
    _listing(ev, w, score, reasons)
    _trade(ev, w, score, reasons)
    found = {t for t, v in score.items() if v >= TOPIC_MIN}
    if "chip-equipment" in found and "ai-chips" in found and not (_ai_chip_itself(ev) or ev.ai):
        # Controls on chipmaking tools name the chips they make; the item is about the tools.
        found.discard("ai-chips")
    for t in sorted(found):
        implied = set(topics[t].implies) - found if t in topics else set()
        if implied:
            found |= implied
            reasons.append(f"topic: {t} -> {', '.join(sorted(implied))} (the topics overlap)")
    return tuple(sorted(found))


def _ai_chip_itself(ev: Evidence) -> bool:
    """An AI chip or accelerator is named as such (an AI-chip term, a chip model), not only its maker."""
    return any("ai-chips" in e.topics and (e.role == "strong" or e.kind == "chip") for e in ev.entries.values())


def _from_entries(ev: Evidence, w: Weighing, score: dict[str, float]) -> None:
    for eid, e in ev.entries.items():
        value = w.contributions.get(eid, 0.0)
        in_title = eid in ev.in_title
        if e.role == "entity":
            if value <= 0:
                value = MENTION_VALUE
            elif e.weight >= TITLE_ENTITY_TOPIC_MIN_WEIGHT and (
                in_title or (e.kind in _NAMED_TOPIC_KINDS and not ev.consumer)
            ):
                # The item is about this entity, whatever its weight (Huawei, Samsung): a subscriber
                # to its topic expects a relevant item that names it.
                value = max(value, TOPIC_MIN)
        if e.role == "rivalry" and value > 0:
            value = max(value, TOPIC_MIN)  # an explicit rivalry phrase (chip war, التوترات التكنولوجية)
        for t in e.topics:
            score[t] += value
        if in_title:
            for t in e.title_topics:
                score[t] += max(value, TOPIC_MIN)


def _cue(ev: Evidence, score: dict[str, float], reasons: list[str], role: str, topic: str, body: float = 0.5) -> None:
    fields = ev.fields_by_role.get(role)
    if fields:
        score[topic] += TOPIC_MIN if "title" in fields else body
        reasons.append(f"topic: {role} cue -> {topic}")


def _china_authority(ev: Evidence) -> bool:
    """China's government (the country, its ministries, its leader), not a Chinese company."""
    return any(e.side == "china" and e.authority for e in ev.entries.values())


def _cues(ev: Evidence, score: dict[str, float], reasons: list[str]) -> None:
    china = _china_authority(ev)
    us_side = ev.side("us")
    _cue(ev, score, reasons, "domestic", "china-chips")
    if china:
        _cue(ev, score, reasons, "talent", "us-china-tech", body=TOPIC_MIN)
    if china and us_side:
        _cue(ev, score, reasons, "pressure", "us-china-tech", body=TOPIC_MIN)
        _cue(ev, score, reasons, "buy_stop", "us-china-tech")
        _cue(ev, score, reasons, "buy_stop", "china-chips")
        _cue(ev, score, reasons, "retaliation", "us-china-trade")
    materials = any(e.kind == "material" for e in ev.entries.values())
    if "alliance" in ev.roles and us_side and materials:
        # A minerals alliance, framework or stake with the US: supply security in the contest with China
        # (us-china-tech) and a deal where minerals are at stake (us-china-trade).
        _cue(ev, score, reasons, "alliance", "us-china-tech", body=TOPIC_MIN)
        _cue(ev, score, reasons, "alliance", "us-china-trade", body=TOPIC_MIN)
    elif ev.country("us") and materials and "deal" in ev.roles and not _china_country_in_title(ev):
        score["us-china-trade"] += TOPIC_MIN  # a US government deal on minerals: trade over minerals
        reasons.append("topic: US minerals deal -> us-china-trade")


def _controls(ev: Evidence, w: Weighing, score: dict[str, float], reasons: list[str]) -> None:
    """export-controls and ai-chips from what a control bears on."""
    if ev.ai and ev.control and not (ev.objects or score["chip-equipment"] or score["rare-earths"]):
        # Controls on AI itself (the diffusion rule, "قيود على تصدير الذكاء الاصطناعي") are AI-chip controls.
        score["export-controls"] += TOPIC_MIN
        score["ai-chips"] += TOPIC_MIN
        reasons.append("topic: controls on AI -> export-controls, ai-chips")
    if w.control_object and score["chip-equipment"] < TOPIC_MIN and _equipment_for_chips(ev):
        score["chip-equipment"] += TOPIC_MIN
        reasons.append("topic: controls on equipment beside a chipmaking word -> chip-equipment")
    if ev.ai and score["hbm"] >= TOPIC_MIN:
        # Memory for AI servers and accelerators (HBM4 for GPUs) is AI-chip supply.
        score["ai-chips"] += TOPIC_MIN
        reasons.append("topic: memory for AI -> ai-chips")
    if "buy_stop" in ev.roles and _china_authority(ev) and ev.side("us"):
        # China telling its firms to stop buying a US chipmaker's products is a ban on chips.
        score["export-controls"] += TOPIC_MIN
        reasons.append("topic: China bars purchases from a US chip company -> export-controls")


_EQUIPMENT_REACH = 40  # characters from "the equipment" to the chipmaking words that qualify it


def _equipment_for_chips(ev: Evidence) -> bool:
    """Equipment named generically and qualified by a chipmaking word right after it ("المعدات
    المستخدمة لإنتاج أشباه الموصلات", "tools used to make semiconductors"); not "networking equipment"."""
    tools = [fh for fhs in ev.by_entry.values() for fh in fhs if fh.entry is not None and fh.entry.role == "tools"]
    chips = [fh for fhs in ev.by_entry.values() for fh in fhs if fh.entry is not None and fh.entry.role == "chip"]
    return any(t.field == c.field and 0 <= c.hit.start - t.hit.end <= _EQUIPMENT_REACH for t in tools for c in chips)


def _foreign_actor(ev: Evidence) -> bool:
    """The US (its government, agencies, companies) or another government acting toward China."""
    return ev.side("us") or any(e.kind == "country" and not e.side for e in ev.entries.values())


def _rivalry(ev: Evidence, w: Weighing, score: dict[str, float], reasons: list[str]) -> None:
    """us-china-tech: one side's measure against the other's chip or AI industry — a control, a list
    action or a probe, with China and a foreign government or US company both named."""
    if score["us-china-tech"] >= TOPIC_MIN:
        return
    measure = w.control_object or w.list_action or "pressure" in ev.roles or "buy_stop" in ev.roles
    # China's mineral controls with the US named are the trade war's lever (us-china-trade).
    if measure and ev.side("china") and _foreign_actor(ev) and not _minerals_lever(ev, w):
        why = "a measure between China and the US or its allies"
    elif ev.ai and ev.side("china") and ev.side("us"):
        why = "AI with both sides named: the AI race"
    elif w.control_object and "chip-equipment" in score and score["chip-equipment"] >= TOPIC_MIN:
        why = "controls on chipmaking equipment, the allies' part of the contest"
    elif score["entity-list"] >= TOPIC_MIN and any(e.export_authority and e.side == "us" for e in ev.entries.values()):
        why = "the US export authority's list rules, aimed at China whether or not it is named"
    else:
        return
    score["us-china-tech"] += TOPIC_MIN
    reasons.append(f"topic: {why} -> us-china-tech")


def _listing(ev: Evidence, w: Weighing, score: dict[str, float], reasons: list[str]) -> None:
    """entity-list: US export restrictions or sanctions on named Chinese companies are listings
    (``فرضت قيودا على صادرات سميك``, ``sanctions on SMIC``), whether or not the list is named."""
    if score["entity-list"] >= TOPIC_MIN or (not w.control_object and not _control_word(ev)):
        return
    if _targets_chinese_company(ev):
        score["entity-list"] += TOPIC_MIN
        reasons.append("topic: US restrictions on Chinese companies -> entity-list")


def _chinese_company(ev: Evidence) -> bool:
    return any(
        e.side == "china" and e.kind in ("company", "equipment") and e.weight >= _CHIP_COMPANY_MIN_WEIGHT
        for e in ev.entries.values()
    )


def _targets_chinese_company(ev: Evidence) -> bool:
    """The US government and a named Chinese chip company in one item about a control."""
    us_actor = any(e.side == "us" and (e.authority or e.leader) for e in ev.entries.values())
    return us_actor and _chinese_company(ev)


def _control_word(ev: Evidence) -> bool:
    return any(is_control(e) and not e.trade_measure for e in ev.entries.values())


def _china_country_in_title(ev: Evidence) -> bool:
    return any(ev.entries[eid].side == "china" and ev.entries[eid].kind == "country" for eid in ev.in_title)


def _trade(ev: Evidence, w: Weighing, score: dict[str, float], reasons: list[str]) -> None:
    """Trade: a trade term, the negotiators, two leaders, a leader and China in one title, or China
    acting against a US target (its controls, lists and probes are the trade war's moves)."""
    entries = ev.entries.values()
    leaders = {e.side for e in entries if e.leader}
    title_leader = any(ev.entries[eid].leader and ev.entries[eid].side == "us" for eid in ev.in_title)
    if (
        any(e.role == "trade" or e.trade_measure for e in entries)
        or any(e.negotiator for e in entries)
        or leaders >= {"us", "china"}
        or (title_leader and _china_actor_in_title(ev))
    ):
        score["us-china-trade"] += TOPIC_MIN
    elif _china_acts_on_us(ev, w.list_action) or _china_probes_us_company(ev):
        score["us-china-trade"] += TOPIC_MIN
        reasons.append("topic: China acts against a US target -> us-china-trade")
    elif _minerals_lever(ev, w):
        score["us-china-trade"] += TOPIC_MIN
        reasons.append("topic: China's mineral controls with the US named -> us-china-trade")


def _minerals_lever(ev: Evidence, w: Weighing) -> bool:
    """China's export controls on minerals, with the US named: the trade war's lever."""
    materials = any(e.kind == "material" for e in ev.entries.values())
    return w.control_object and materials and _china_authority(ev) and ev.country("us")


def _china_actor_in_title(ev: Evidence) -> bool:
    """China itself or its ministry (not a Chinese company) in the title."""
    return any(ev.entries[eid].side == "china" and ev.entries[eid].authority for eid in ev.in_title)


def _china_probes_us_company(ev: Evidence) -> bool:
    """China's regulators pressing a US chip company (an antitrust probe, a security review): the trade
    war's leverage, wherever the item says it."""
    us_company = any(e.side == "us" and e.kind == "company" for e in ev.entries.values())
    return _china_authority(ev) and us_company and "pressure" in ev.roles


def _china_acts_on_us(ev: Evidence, list_action: bool) -> bool:
    """A Chinese control measure aimed at the US: China is the title's actor (named before any US
    party), a US party is its target, and the title names the measure (a ban, a control, a list)."""
    title_control = list_action or any(is_control(ev.entries[eid]) for eid in ev.in_title)
    if not title_control:
        return False
    first_china = first_us = None
    for fh in ev.title_hits():
        e = fh.entry
        if e is None:
            continue
        if first_china is None and e.side == "china" and e.authority:
            first_china = fh.span[0]
        if first_us is None and e.side == "us":
            first_us = fh.span[0]
    return first_china is not None and first_us is not None and first_china < first_us
