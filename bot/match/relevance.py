"""Stage 2 of ``classify``: weigh the evidence and decide relevance.

Each lexicon entry counts once per item, with its weight (entities.yaml / topics.yaml), times
``TITLE_FACTOR`` when it appears in the title (titles say what the item is about), plus a little for
repetition in the body. Then:

* ambiguous chip words (chips, رقائق) count only with support, and never beside off-topic context
  (potato, poker) without strong chip evidence;
* control words, cues and commentary words carry nothing on their own (``NO_EVIDENCE_ROLES``);
* consumer context dampens company and product evidence; a company named with no chip, control, AI or
  business context around it counts half;
* a control word counts only when it bears on chips, tools, minerals or AI, or is a US-China move (an
  arms licence or a rice ban is not chip news); a tariff is no control;
* rules add what single words cannot say: a control word with a chip, equipment or mineral object; a
  US + China + AI context (the wider rivalry); a list action (an addition to a blacklist, or an export
  authority restricting a counted group of companies); a chipmaker's deal, stake or investment.

``evidence >= THRESHOLD`` makes an item relevant; ``score = evidence / (evidence + THRESHOLD)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.match.evidence import Evidence
from bot.match.model import CUE_ROLES

THRESHOLD = 2.0
TITLE_FACTOR = 1.5
CONTROL_OBJECT_BONUS = 1.5
RIVALRY_BONUS = 1.6
LIST_ACTION_BONUS = 1.5
CHIP_DEAL_BONUS = 0.75
CHIPMAKER_MIN_WEIGHT = 1.5  # Intel, AMD, Broadcom, Nvidia, TSMC, SMIC ...: companies whose business is chips
NO_CONTEXT_FACTOR = 0.5
CONSUMER_DAMPING = 0.2  # a review names the card, its maker, its architecture and its foundry: none is the news
SUPPORTED_CHIP_WEAK = 1.5

# Roles whose words steer topics or severity but are no evidence of relevance.
NO_EVIDENCE_ROLES = (
    frozenset({"control_weak", "reg_action", "deal", "commentary", "hypothetical", "consumer", "offtopic"}) | CUE_ROLES
)


@dataclass(slots=True)
class Weighing:
    """What the evidence is worth: the total, each entry's share, and the rules that fired."""

    evidence: float = 0.0
    contributions: dict[str, float] = field(default_factory=dict)
    control_object: bool = False  # a control term bearing on a chip, equipment or mineral object
    list_action: bool = False  # an addition to a blacklist is stated
    reasons: list[str] = field(default_factory=list)

    @property
    def relevant(self) -> bool:
        return self.evidence >= THRESHOLD

    @property
    def score(self) -> float:
        return round(self.evidence / (self.evidence + THRESHOLD), 3) if self.evidence > 0 else 0.0


def weigh(ev: Evidence) -> Weighing:
    """Stage 2: the evidence total and the reasons, per the module docstring."""
    w = Weighing()
    _entries(ev, w)
    _rules(ev, w)
    w.evidence = round(w.evidence, 3)
    return w


def _entry_weight(ev: Evidence, eid: str) -> float:
    e = ev.entries[eid]
    weight = e.weight
    if e.role == "chip_weak":
        # Unsupported chip words count a little, except beside another sense's context (potato) and in a
        # consumer item, where they are the product's parts (a graphics card review names its GPU).
        weight = SUPPORTED_CHIP_WEAK if ev.chip_weak_supported else (0.0 if ev.offtopic or ev.consumer else e.weight)
    elif e.role in NO_EVIDENCE_ROLES:
        weight = 0.0
    elif e.role == "control" and not (ev.objects or ev.ai or (ev.side("us") and ev.side("china"))):
        # Export licences for arms, a rice export ban: a control word counts only when it bears on chips,
        # chipmaking equipment, minerals or AI, or is a move between the US and China.
        weight = 0.0
    if e.role == "entity":
        if ev.consumer:
            weight *= CONSUMER_DAMPING
        elif not ev.context:
            weight *= NO_CONTEXT_FACTOR
    return weight


def _entries(ev: Evidence, w: Weighing) -> None:
    if ev.offtopic and "chip_weak" in ev.fields_by_role and not ev.chip_weak_supported:
        w.reasons.append(f"off-topic context '{ev.offtopic[0]}' : ambiguous chip words not counted")
    for eid, fhs in ev.by_entry.items():
        e = ev.entries[eid]
        weight = _entry_weight(ev, eid)
        in_title = eid in ev.in_title
        body_count = sum(1 for fh in fhs if fh.field == "text")
        value = weight * (TITLE_FACTOR if in_title else 1.0) + (0.25 * weight if body_count >= 3 else 0.0)
        w.contributions[eid] = value
        if value > 0:
            w.evidence += value
            kind = e.role if e.role != "entity" else e.kind
            w.reasons.append(f"{'title' if in_title else 'text'}: '{fhs[0].text}' -> {eid} ({kind}, +{value:.2f})")
    if not ev.context and any(v > 0 for v in w.contributions.values()):
        w.reasons.append("entity named without chip, control, AI or business context: evidence halved")
    if ev.consumer:
        w.reasons.append("consumer context (gaming/review/phone): company and product evidence dampened")


def _chipmaker(ev: Evidence) -> bool:
    return any(
        e.role == "entity" and e.kind in ("company", "equipment") and e.weight >= CHIPMAKER_MIN_WEIGHT
        for e in ev.entries.values()
    )


def _rules(ev: Evidence, w: Weighing) -> None:
    if ev.control and ev.objects:
        w.control_object = True
        w.evidence += CONTROL_OBJECT_BONUS
        w.reasons.append(f"rule: control term with a chip/equipment/mineral object (+{CONTROL_OBJECT_BONUS})")
    if "deal" in ev.roles and not ev.consumer and _chipmaker(ev):
        # A chipmaker's deal, stake or investment (the US government's stake in Intel, SoftBank buying
        # its shares) is chip-industry news even when no chip word is in the excerpt.
        w.evidence += CHIP_DEAL_BONUS
        w.reasons.append(f"rule: a chipmaker's deal or investment (+{CHIP_DEAL_BONUS})")
    if ev.ai and ev.country("china") and ev.country("us"):
        w.evidence += RIVALRY_BONUS
        w.reasons.append(f"rule: US + China + AI context (+{RIVALRY_BONUS})")
    # A blacklist action is an Entity-List-style action when it bears on chips (an object) or is one of
    # the US-China moves (both named); the EU's tax-haven and airline lists are neither.
    # An export authority adding or restricting a counted group of companies ("Commerce adds 36 Chinese
    # entities", "قيودا على تصدير 28 شركة") is a listing whether or not the list is named.
    w.list_action = (bool(ev.list_fields) and (ev.objects or (ev.side("us") and ev.side("china")))) or (
        ev.target_listing
    )
    generic_list = any(e.list_name for e in ev.entries.values())
    if ev.target_listing or (w.list_action and generic_list and not (ev.offtopic and not ev.objects)):
        fields = ev.list_fields or ev.fields_by_role.get("target", set())
        bonus = LIST_ACTION_BONUS * (TITLE_FACTOR if "title" in fields else 1.0)
        w.evidence += bonus
        w.reasons.append(f"rule: list action (an addition to a blacklist) in {'/'.join(sorted(fields))} (+{bonus})")
