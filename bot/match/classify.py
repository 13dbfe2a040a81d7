"""Relevance, score, severity, topics and reasons for one item.

Relevance policy (the product's; the evaluation corpus is labeled by it)
-------------------------------------------------------------------------
Relevant: export controls, sanctions, licences and bans on chips, chipmaking equipment and critical
minerals, in either direction (US, allies, China); Entity List and similar list actions; AI-chip
industry news (makers, supply, capacity, market moves of AI-chip companies, domestic substitutes);
trade talks and deals where chips or minerals are at stake; the wider US–China AI rivalry when it
concerns chips, models or the people who build them.

Not relevant: consumer product news and reviews (gaming graphics cards, phones) unless they are about
controls; export bans on other goods (rice, oil); the named people's unrelated diplomacy; the non-chip
senses of the words.

How evidence is counted
-----------------------
Each lexicon entry counts once per item, with its weight (entities.yaml / topics.yaml), times 1.5
when it appears in the title (titles are written to say what the item is about), plus a little for
repetition in the body. Roles:

* ``strong`` (chip export controls, AI chips, Entity List, HBM, lithography) and chip-domain
  entities (Nvidia, TSMC, SMIC, ASML, H20, ECCNs ...) carry evidence on their own.
* People and countries carry none: Xi's state visit is not chip news.
* Ambiguous words — chips/رقائق, memory/ذاكرة — count only with support (another chip, control or
  AI term in the item) and never when off-topic context (potato, poker, blue-chip ...) is present
  without strong chip evidence. Control words (export, ban, restrictions, sanctions) carry nothing
  alone, but a control word together with a chip, equipment or mineral object adds a bonus.
* Veto phrases (رقائق البطاطس, potato chips, chip-and-PIN, H2O ...) swallow the word they contain.
* Ambiguous aliases (سميك "thick", شي "thing", BIS, micron) are kept only when confirmed: by an
  unambiguous alias of the same entity, or (unless the entity is ``strict``) by other chip evidence.
* Consumer context (gaming, review, smartphone) dampens company and product evidence unless the item
  also speaks of controls.
* A US + China + AI context adds some evidence (the wider rivalry).

``evidence >= THRESHOLD`` makes an item relevant; ``score = evidence / (evidence + THRESHOLD)``, so
the threshold sits at score 0.5.

Severity (relevant items only)
------------------------------
``critical``: a primary regulatory action — a new rule or licence policy, Entity List additions, an
export ban or its lifting — i.e. a control term together with an action cue in the title (or a
Federal Register citation), and no commentary cue. ``high``: concrete actions and deals involving
watched entities (deal/action cue or a watched company in the title). ``normal``: commentary and
analysis, and everything else.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.match.lexicon import OFFTOPIC_ID, VETO_ID, Entry, Lexicon, load_lexicon
from bot.match.normalizer import Normalized, normalize
from bot.match.scanner import RECOGNIZER_ENTRIES, Hit, scan

THRESHOLD = 2.0
TITLE_FACTOR = 1.5
CONTROL_OBJECT_BONUS = 1.5
RIVALRY_BONUS = 1.6
NO_CONTEXT_FACTOR = 0.5
CONSUMER_DAMPING = 0.35
SUPPORTED_CHIP_WEAK = 1.5
TOPIC_MIN = 1.0

_DOMAIN_KINDS = frozenset({"company", "chip", "memory", "equipment", "agency", "regulation", "material"})
_OBJECT_KINDS = frozenset({"company", "chip", "memory", "equipment", "material"})
_CONTROL_ROLES = frozenset({"control", "control_weak"})
_US_COMPANIES = frozenset(
    {"nvidia", "amd", "intel", "micron", "qualcomm", "broadcom", "applied-materials", "lam-research", "kla"}
)


@dataclass(frozen=True, slots=True)
class EntityHit:
    id: str
    kind: str
    text: str  # the matched text as it appears in the original field
    start: int  # offsets in the ORIGINAL field string, end exclusive
    end: int
    field: str  # 'title' | 'text'


@dataclass(frozen=True, slots=True)
class Classification:
    relevant: bool
    score: float
    severity: str | None  # 'critical' | 'high' | 'normal'; None when not relevant
    topics: tuple[str, ...]
    entities: tuple[EntityHit, ...]
    reasons: tuple[str, ...]
    evidence: float


class _FieldHit:
    """A hit in one field; its original span is computed on first use only."""

    __slots__ = ("_span", "entry", "field", "hit", "norm")

    def __init__(self, hit: Hit, entry: Entry | None, field: str, norm: Normalized) -> None:
        self.hit = hit
        self.entry = entry
        self.field = field
        self.norm = norm
        self._span: tuple[int, int] | None = None

    @property
    def span(self) -> tuple[int, int]:
        if self._span is None:
            self._span = self.norm.span(self.hit.start, self.hit.end)
        return self._span

    @property
    def text(self) -> str:
        s, e = self.span
        return self.norm.original[s:e]


def _entry(lex: Lexicon, eid: str) -> Entry | None:
    return lex.entries.get(eid) or RECOGNIZER_ENTRIES.get(eid)


def _collect(lex: Lexicon, title: str, text: str) -> list[_FieldHit]:
    out: list[_FieldHit] = []
    for field, value in (("title", title), ("text", text)):
        if not value:
            continue
        norm = normalize(value)
        for h in scan(norm.text, lex):
            out.append(_FieldHit(h, _entry(lex, h.pattern.entry), field, norm))
    return out


def _role(fh: _FieldHit) -> str:
    return fh.entry.role if fh.entry is not None else fh.hit.pattern.entry


def classify(title: str, text: str = "", lang: str | None = None, lexicon: Lexicon | None = None) -> Classification:
    """Classify one item (title and body) by the relevance policy in this module's docstring.

    ``lang`` is accepted for the record; matching is language-independent (both lexicons apply).
    """
    lex = lexicon or load_lexicon()
    title = _clean(title)
    text = _clean(text)
    hits = _collect(lex, title, text)
    reasons: list[str] = []

    for fh in hits:
        if fh.hit.pattern.entry == VETO_ID:
            reasons.append(f"veto: '{fh.text}' in {fh.field} (another sense of the word)")
    offtopic = [fh.text for fh in hits if fh.hit.pattern.entry == OFFTOPIC_ID]
    hits = [fh for fh in hits if fh.entry is not None]

    # Unambiguous evidence first: it decides which ambiguous aliases are confirmed.
    clear = [fh for fh in hits if not fh.hit.pattern.ambiguous]
    clear_ids = {fh.entry.id for fh in clear if fh.entry}
    domain_clear = any(
        fh.entry is not None
        and (
            (fh.entry.role == "entity" and fh.entry.kind in _DOMAIN_KINDS and fh.entry.weight >= 1.0)
            or fh.entry.role in ("strong", "chip")
        )
        for fh in clear
    )
    chip_word_fields = {fh.field for fh in clear if fh.entry is not None and fh.entry.role == "chip_weak"}
    kept: list[_FieldHit] = list(clear)
    for fh in hits:
        if not fh.hit.pattern.ambiguous or fh.entry is None:
            continue
        confirmed_by_context = domain_clear or fh.field in chip_word_fields
        if fh.entry.id in clear_ids or (confirmed_by_context and not fh.entry.strict):
            kept.append(fh)
        else:
            reasons.append(f"ignored ambiguous '{fh.text}' ({fh.entry.id}) in {fh.field}: not confirmed")
    hits = kept

    by_entry: dict[str, list[_FieldHit]] = defaultdict(list)
    for fh in hits:
        assert fh.entry is not None
        by_entry[fh.entry.id].append(fh)
    roles = {eid: fhs[0].entry.role for eid, fhs in by_entry.items() if fhs[0].entry}
    entries = {eid: fhs[0].entry for eid, fhs in by_entry.items() if fhs[0].entry}

    has = {r: any(v == r for v in roles.values()) for r in set(roles.values())}
    control_present = any(r in _CONTROL_ROLES for r in roles.values()) or any(
        e.kind == "regulation" or e.id in ("bis",) for e in entries.values()
    )
    strong_present = has.get("strong", False) or has.get("chip", False)
    chip_entity = any(e.role == "entity" and e.kind in _OBJECT_KINDS and e.weight >= 1.0 for e in entries.values())
    ai_present = has.get("ai", False)
    # Consumer context (a review, a phone, a game) dampens companies and products unless the item is
    # about controls: in the title when the consumer cue is in the title, anywhere otherwise.
    consumer_title = _any_role(by_entry, "consumer", "title")
    if consumer_title:
        controls_where = {fh.field for eid, fhs in by_entry.items() for fh in fhs if _is_control(entries[eid])}
        consumer = "title" not in controls_where and not _any_role(by_entry, "strong", "title")
    else:
        consumer = has.get("consumer", False) and not (control_present or has.get("strong", False))
    if consumer:
        chip_entity = False
    chip_weak_supported = (strong_present or chip_entity or control_present or (ai_present and not consumer)) and not (
        offtopic and not (strong_present or chip_entity)
    )
    # A company named with nothing about chips, controls, AI or business around it (a charity
    # donation, a TV update) is weak evidence: the name alone is not the story.
    context_present = (
        strong_present
        or control_present
        or ai_present
        or has.get("chip_weak", False)
        or has.get("deal", False)
        or sum(1 for e in entries.values() if e.role == "entity" and e.kind in _OBJECT_KINDS and e.weight > 0) >= 2
    )
    if offtopic and "chip-weak" in by_entry and not chip_weak_supported:
        reasons.append(f"off-topic context '{offtopic[0]}' : ambiguous chip words not counted")

    evidence = 0.0
    contrib: dict[str, float] = {}
    for eid, fhs in by_entry.items():
        e = entries[eid]
        w = e.weight
        if e.role == "chip_weak":
            w = SUPPORTED_CHIP_WEAK if chip_weak_supported else (0.0 if offtopic else e.weight)
        elif e.role in ("control_weak", "reg_action", "deal", "commentary", "consumer", "offtopic"):
            w = 0.0
        if consumer and e.role == "entity":
            w *= CONSUMER_DAMPING
        elif not context_present and e.role == "entity":
            w *= NO_CONTEXT_FACTOR
        in_title = any(fh.field == "title" for fh in fhs)
        factor = TITLE_FACTOR if in_title else 1.0
        body_count = sum(1 for fh in fhs if fh.field == "text")
        value = w * factor + (0.25 * w if body_count >= 3 else 0.0)
        contrib[eid] = value
        if value > 0:
            evidence += value
            where = "title" if in_title else "text"
            reasons.append(
                f"{where}: '{fhs[0].text}' -> {eid} ({e.role if e.role != 'entity' else e.kind}, +{value:.2f})"
            )
    if not context_present and any(v > 0 for v in contrib.values()):
        reasons.append("entity named without chip, control, AI or business context: evidence halved")
    if consumer:
        reasons.append("consumer context (gaming/review/phone): company and product evidence dampened")

    objects = strong_present or chip_entity or (has.get("chip_weak", False) and chip_weak_supported)
    if control_present and objects:
        evidence += CONTROL_OBJECT_BONUS
        reasons.append(f"rule: control term with a chip/equipment/mineral object (+{CONTROL_OBJECT_BONUS})")
    if ai_present and "china" in by_entry and "united-states" in by_entry:
        evidence += RIVALRY_BONUS
        reasons.append(f"rule: US + China + AI context (+{RIVALRY_BONUS})")

    evidence = round(evidence, 3)
    relevant = evidence >= THRESHOLD
    score = round(evidence / (evidence + THRESHOLD), 3) if evidence > 0 else 0.0
    topics = _topics(entries, contrib, control_present and objects, by_entry) if relevant else ()
    severity = _severity(title, by_entry, entries) if relevant else None
    ents = tuple(
        EntityHit(fh.entry.id, fh.entry.kind, fh.text, *fh.span, fh.field)
        for fh in sorted(hits, key=lambda f: (f.field != "title", f.hit.start))
        if fh.entry is not None and fh.entry.kind != "term"
    )
    reasons.append(f"{'relevant' if relevant else 'not relevant'}: evidence {evidence:.2f} (threshold {THRESHOLD})")
    return Classification(relevant, score, severity, topics, ents, tuple(reasons), evidence)


def _is_control(e: Entry) -> bool:
    return e.role in _CONTROL_ROLES or e.kind == "regulation" or e.id in ("bis", "export-controls-chips")


def _any_role(by_entry: dict[str, list[_FieldHit]], role: str, field: str) -> bool:
    return any(fh.field == field and _role(fh) == role for fhs in by_entry.values() for fh in fhs)


def _clean(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return value


def _topics(
    entries: dict[str, Entry], contrib: dict[str, float], control_object: bool, by_entry: dict[str, list[_FieldHit]]
) -> tuple[str, ...]:
    score: dict[str, float] = defaultdict(float)
    for eid, e in entries.items():
        value = contrib.get(eid, 0.0)
        if value <= 0 and e.role in ("entity",):
            value = 0.3  # people and places point at a topic without proving relevance
        for t in e.topics:
            score[t] += value
    if control_object:
        score["export-controls"] += TOPIC_MIN
    # The wider US–China rivalry: China and the US side (the country or a US company) in one item,
    # when the item is not simply a control or trade story told from one side.
    us_side = "united-states" in by_entry or any(eid in _US_COMPANIES for eid in by_entry)
    if "china" in by_entry and us_side and any(e.role == "ai" or e.role == "rivalry" for e in entries.values()):
        score["us-china-tech"] += TOPIC_MIN
    # Trade talks: a trade term, the negotiators, or both leaders in one item.
    negotiators = {"bessent", "he-lifeng", "greer", "li-chenggang", "wang-wentao"}
    if (
        any(e.role == "trade" or e.id == "tariffs" for e in entries.values())
        or negotiators & set(by_entry)
        or ("trump" in by_entry and "xi-jinping" in by_entry)
    ):
        score["us-china-trade"] += TOPIC_MIN
    return tuple(sorted(t for t, v in score.items() if v >= TOPIC_MIN))


_CONTROL_TERM_IDS = frozenset({"export-controls-chips", "minerals-control", "entity-list-words"})
_NOT_CONTROL_REGULATIONS = frozenset({"chips-act"})  # subsidies, not controls


def _severity(title: str, by_entry: dict[str, list[_FieldHit]], entries: dict[str, Entry]) -> str:
    """Severity from the title's cues (see the module docstring)."""
    title_entries = [entries[eid] for eid, fhs in by_entry.items() if any(fh.field == "title" for fh in fhs)]
    roles = {e.role for e in title_entries}
    commentary = "commentary" in roles or "?" in title or "؟" in title or _attributed_remark(title, by_entry)
    if commentary:
        return "normal"
    control = any(
        e.role in _CONTROL_ROLES
        or e.id in _CONTROL_TERM_IDS
        or (e.kind == "regulation" and e.id not in _NOT_CONTROL_REGULATIONS)
        for e in title_entries
    )
    authority_acts = "reg_action" in roles and any(e.kind == "agency" for e in title_entries)
    if (control or authority_acts or "federal-register" in by_entry) and "hypothetical" not in roles:
        return "critical"
    return "high"


def _attributed_remark(title: str, by_entry: dict[str, list[_FieldHit]]) -> bool:
    """'Lutnick: China will get ...' — a person's or company's words, i.e. commentary."""
    head, sep, _ = title.partition(":")
    if not sep or len(head.split()) > 4:
        return False
    end = len(head)
    return any(
        fh.field == "title" and fh.entry is not None and fh.entry.kind in ("person", "company") and fh.span[1] <= end
        for fhs in by_entry.values()
        for fh in fhs
    )
