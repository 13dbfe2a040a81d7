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
* A list action — a list word (blacklist, القائمة السوداء) and an addition verb (adds, تدرج) in the
  same field — is evidence of an Entity-List-style action even when the list is not named.
* Cue terms (domestic, talent, pressure, buy_stop, retaliation, alliance, market, enforcement,
  legislative, speech) carry no evidence; they steer topics and severity only.

Topics
------
Each entry's evidence points at its topics (``topics`` in YAML; ``title_topics`` only when the entity
is named in the title); a domain entity named in the title points at its topics even when its weight
is low (Huawei). A topic needs ``TOPIC_MIN``. Rules add what single words cannot say:

* ``china-chips``: a domestic-substitution cue (self-sufficiency, homegrown, محلية الصنع, رقائق صينية).
* ``us-china-tech``: an explicit rivalry phrase (chip war, سباق الرقائق); a Chinese AI lab; talent and
  travel cues with China; China pressing a US chip company (security review, backdoor, antitrust,
  stop buying); alliances, frameworks and government stakes on minerals or chips with the US.
* ``us-china-trade``: trade talks, tariffs, negotiators; Trump and China in one title; China acting
  against a US target (its controls, lists, probes) or a tit-for-tat cue with both sides present.

``evidence >= THRESHOLD`` makes an item relevant; ``score = evidence / (evidence + THRESHOLD)``, so
the threshold sits at score 0.5.

Severity (relevant items only), read from the title, in this order
-------------------------------------------------------------------
1. ``normal``: commentary and analysis — an opinion/explainer cue, a title that ends as a question,
   a remark attributed to a person or company (``Lutnick: ...``), an industry person who says
   something, or a bill in the legislature (a bill passed by one chamber is ``high``).
2. ``high``: market moves (shares, prices) and enforcement of existing rules (charges, smuggling
   cases, penalties, stockpiling) — the control words in such titles are context, not the news.
3. ``critical``: a primary regulatory action — a control term, a list action or a Federal Register
   citation in the title, or an authority (agency, country, official) as the subject of an action
   verb — unless the action is only threatened or proposed (``hypothetical``), or a company is the
   subject and speaks about it (``ASML warns licence rules will hit sales``).
4. ``high`` otherwise: concrete actions and deals involving watched entities.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from bot.match.lexicon import CUE_ROLES, OFFTOPIC_ID, VETO_ID, Entry, Lexicon, Pattern, load_lexicon
from bot.match.normalizer import Normalized, normalize
from bot.match.scanner import RECOGNIZER_ENTRIES, Hit, scan

THRESHOLD = 2.0
TITLE_FACTOR = 1.5
CONTROL_OBJECT_BONUS = 1.5
RIVALRY_BONUS = 1.6
LIST_ACTION_BONUS = 1.5
NO_CONTEXT_FACTOR = 0.5
CONSUMER_DAMPING = 0.35
SUPPORTED_CHIP_WEAK = 1.5
TOPIC_MIN = 1.0
TITLE_ENTITY_TOPIC_MIN_WEIGHT = 0.5  # below this an entity is too generic to set a topic (Alibaba, Baidu)

_DOMAIN_KINDS = frozenset({"company", "chip", "memory", "equipment", "agency", "regulation", "material"})
_OBJECT_KINDS = frozenset({"company", "chip", "memory", "equipment", "material"})
_CONTROL_ROLES = frozenset({"control", "control_weak"})
# Roles whose words steer topics or severity but are no evidence of relevance.
_NO_EVIDENCE_ROLES = (
    frozenset({"control_weak", "reg_action", "deal", "commentary", "hypothetical", "consumer", "offtopic"}) | CUE_ROLES
)
_US_COMPANIES = frozenset(
    {"nvidia", "amd", "intel", "micron", "qualcomm", "broadcom", "applied-materials", "lam-research", "kla"}
)
_US_CHIPS = frozenset({"h20", "h200", "h100", "a100", "b200", "blackwell", "rtx-china", "mi300"})
_CHINA_SIDE = frozenset({"china", "mofcom"})
_NEGOTIATORS = frozenset({"bessent", "he-lifeng", "greer", "li-chenggang", "wang-wentao"})
_LIST_WORDS = "list-words"


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


# "US" written in capitals is the country; casefolded it would be the pronoun "us", so it is found
# on the original text, where the case still tells them apart.
_US_CAPS = re.compile(r"US(?![A-Za-z])")  # literal first: the regex engine skips ahead fast
_US_PATTERN = Pattern("us", "united-states", "US", "case-sensitive", False, "en")


# Google News and other aggregators end a title with " - Outlet" (" | Outlet"). The outlet's name is
# no evidence ("South China Morning Post" names no Chinese actor, "Semiconductor Engineering" is no
# chip story), so it is cut before matching; offsets stay valid because only a suffix goes.
_OUTLET_SUFFIX = re.compile(r"\s+[-–—|]\s+(?P<outlet>[^-–—|]{2,60})$")
_MAX_OUTLET_WORDS = 6


def headline(title: str) -> str:
    """The title without a trailing `` - Outlet`` (when what remains still reads as a headline)."""
    m = _OUTLET_SUFFIX.search(title)
    if m is None or len(m.group("outlet").split()) > _MAX_OUTLET_WORDS or len(title[: m.start()].split()) < 3:
        return title
    return title[: m.start()]


def _collect(lex: Lexicon, title: str, text: str) -> list[_FieldHit]:
    out: list[_FieldHit] = []
    entries = lex.entries
    for field, value in (("title", headline(title)), ("text", text)):
        if not value:
            continue
        norm = normalize(value)
        first = len(out)
        for h in scan(norm.text, lex):
            eid = h.pattern.entry
            out.append(_FieldHit(h, entries.get(eid) or RECOGNIZER_ENTRIES.get(eid), field, norm))
        us = entries.get("united-states")
        if us is not None and "US" in value:
            taken = [fh.span for fh in out[first:] if fh.hit.pattern.entry == "united-states"]
            for m in _US_CAPS.finditer(value):
                if m.start() and value[m.start() - 1].isalpha():
                    continue  # "BUS", "STATUS"
                if not any(s <= m.start() < e for s, e in taken):
                    fh = _FieldHit(Hit(_US_PATTERN, -1, -1), us, field, norm)
                    fh._span = (m.start(), m.end())
                    out.append(fh)
    return out


class _Item:
    """What one item's kept hits say, gathered in one pass (roles, fields, entries)."""

    __slots__ = ("by_entry", "entries", "fields_by_role", "in_title", "roles")

    def __init__(self, hits: list[_FieldHit]) -> None:
        self.by_entry: dict[str, list[_FieldHit]] = {}
        self.entries: dict[str, Entry] = {}
        self.fields_by_role: dict[str, set[str]] = defaultdict(set)
        self.in_title: set[str] = set()
        for fh in hits:
            e = fh.entry
            assert e is not None
            lst = self.by_entry.get(e.id)
            if lst is None:
                self.by_entry[e.id] = [fh]
                self.entries[e.id] = e
            else:
                lst.append(fh)
            self.fields_by_role[e.role].add(fh.field)
            if fh.field == "title":
                self.in_title.add(e.id)
        self.roles = set(self.fields_by_role)

    def role_in(self, role: str, field: str) -> bool:
        return field in self.fields_by_role.get(role, ())


def classify(title: str, text: str = "", lang: str | None = None, lexicon: Lexicon | None = None) -> Classification:
    """Classify one item (title and body) by the relevance policy in this module's docstring.

    ``lang`` is accepted for the record; matching is language-independent (both lexicons apply).
    """
    lex = lexicon or load_lexicon()
    title = _clean(title)
    text = _clean(text)
    hits = _collect(lex, title, text)
    reasons: list[str] = []

    offtopic: list[str] = []
    clear: list[_FieldHit] = []
    ambiguous: list[_FieldHit] = []
    for fh in hits:
        eid = fh.hit.pattern.entry
        if eid == VETO_ID:
            reasons.append(f"veto: '{fh.text}' in {fh.field} (another sense of the word)")
        elif eid == OFFTOPIC_ID:
            offtopic.append(fh.text)
        elif fh.entry is not None:
            (ambiguous if fh.hit.pattern.ambiguous else clear).append(fh)

    # Unambiguous evidence first: it decides which ambiguous aliases are confirmed.
    clear_ids = set()
    domain_clear = False
    chip_word_fields = set()
    for fh in clear:
        e = fh.entry
        assert e is not None
        clear_ids.add(e.id)
        if e.role in ("strong", "chip") or (e.role == "entity" and e.kind in _DOMAIN_KINDS and e.weight >= 1.0):
            domain_clear = True
        elif e.role == "chip_weak":
            chip_word_fields.add(fh.field)
    kept = clear
    for fh in ambiguous:
        e = fh.entry
        assert e is not None
        confirmed_by_context = domain_clear or fh.field in chip_word_fields
        if e.id in clear_ids or (confirmed_by_context and not e.strict):
            kept.append(fh)
        else:
            reasons.append(f"ignored ambiguous '{fh.text}' ({e.id}) in {fh.field}: not confirmed")

    item = _Item(kept)
    by_entry, entries, roles = item.by_entry, item.entries, item.roles
    control_present = bool(roles & _CONTROL_ROLES) or any(
        e.kind == "regulation" or e.id == "bis" for e in entries.values()
    )
    strong_present = "strong" in roles or "chip" in roles
    chip_entity = any(e.role == "entity" and e.kind in _OBJECT_KINDS and e.weight >= 1.0 for e in entries.values())
    ai_present = "ai" in roles
    # Consumer context (a review, a phone, a game) dampens companies and products unless the item is
    # about controls: in the title when the consumer cue is in the title, anywhere otherwise.
    if item.role_in("consumer", "title"):
        controls_title = any(_is_control(entries[eid]) for eid in item.in_title)
        consumer = not controls_title and not item.role_in("strong", "title")
    else:
        consumer = "consumer" in roles and not (control_present or "strong" in roles)
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
        or "chip_weak" in roles
        or "deal" in roles
        or "market" in roles
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
        elif e.role in _NO_EVIDENCE_ROLES:
            w = 0.0
        if e.role == "entity":
            if consumer:
                w *= CONSUMER_DAMPING
            elif not context_present:
                w *= NO_CONTEXT_FACTOR
        in_title = eid in item.in_title
        body_count = 0
        for fh in fhs:
            if fh.field == "text":
                body_count += 1
        value = w * (TITLE_FACTOR if in_title else 1.0) + (0.25 * w if body_count >= 3 else 0.0)
        contrib[eid] = value
        if value > 0:
            evidence += value
            kind = e.role if e.role != "entity" else e.kind
            reasons.append(f"{'title' if in_title else 'text'}: '{fhs[0].text}' -> {eid} ({kind}, +{value:.2f})")
    if not context_present and any(v > 0 for v in contrib.values()):
        reasons.append("entity named without chip, control, AI or business context: evidence halved")
    if consumer:
        reasons.append("consumer context (gaming/review/phone): company and product evidence dampened")

    objects = strong_present or chip_entity or ("chip_weak" in roles and chip_weak_supported)
    if control_present and objects:
        evidence += CONTROL_OBJECT_BONUS
        reasons.append(f"rule: control term with a chip/equipment/mineral object (+{CONTROL_OBJECT_BONUS})")
    if ai_present and "china" in by_entry and "united-states" in by_entry:
        evidence += RIVALRY_BONUS
        reasons.append(f"rule: US + China + AI context (+{RIVALRY_BONUS})")
    list_fields = _list_action_fields(item)
    if list_fields and _LIST_WORDS in by_entry and not (offtopic and not objects):
        bonus = LIST_ACTION_BONUS * (TITLE_FACTOR if "title" in list_fields else 1.0)
        evidence += bonus
        reasons.append(f"rule: list action (an addition to a blacklist) in {'/'.join(sorted(list_fields))} (+{bonus})")

    evidence = round(evidence, 3)
    relevant = evidence >= THRESHOLD
    score = round(evidence / (evidence + THRESHOLD), 3) if evidence > 0 else 0.0
    topics: tuple[str, ...] = ()
    severity = None
    if relevant:
        topics = _topics(item, contrib, control_present and objects, bool(list_fields), title, reasons)
        severity = _severity(title, item, bool(list_fields), reasons)
    ents = tuple(
        EntityHit(fh.entry.id, fh.entry.kind, fh.text, *fh.span, fh.field)
        for fh in sorted(kept, key=lambda f: (f.field != "title", f.hit.start))
        if fh.entry is not None and fh.entry.kind != "term"
    )
    reasons.append(f"{'relevant' if relevant else 'not relevant'}: evidence {evidence:.2f} (threshold {THRESHOLD})")
    return Classification(relevant, score, severity, topics, ents, tuple(reasons), evidence)


def _is_control(e: Entry) -> bool:
    return e.role in _CONTROL_ROLES or e.kind == "regulation" or e.id in ("bis", "export-controls-chips")


def _clean(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return value


def _list_action_fields(item: _Item) -> set[str]:
    """Fields where a list (a blacklist, the Entity List) and an addition verb meet
    (``adds 12 firms to its trade blacklist``, ``تدرج شركات على قائمة الكيانات``)."""
    adds = item.fields_by_role.get("list_add")
    if not adds:
        return set()
    lists = {
        fh.field
        for eid, fhs in item.by_entry.items()
        if eid == _LIST_WORDS or "entity-list" in item.entries[eid].topics
        for fh in fhs
    }
    return lists & adds


def _us_side(item: _Item) -> bool:
    by = item.by_entry
    return "united-states" in by or any(eid in _US_COMPANIES or eid in _US_CHIPS for eid in by)


def _topics(
    item: _Item, contrib: dict[str, float], control_object: bool, list_action: bool, title: str, reasons: list[str]
) -> tuple[str, ...]:
    entries, by_entry, roles = item.entries, item.by_entry, item.roles
    score: dict[str, float] = defaultdict(float)
    for eid, e in entries.items():
        value = contrib.get(eid, 0.0)
        in_title = eid in item.in_title
        if e.role == "entity":
            if value <= 0:
                value = 0.3  # people and places point at a topic without proving relevance
            elif in_title and e.weight >= TITLE_ENTITY_TOPIC_MIN_WEIGHT:
                value = max(value, TOPIC_MIN)  # the item is about this entity, whatever its weight
        for t in e.topics:
            score[t] += value
        if in_title:
            for t in e.title_topics:
                score[t] += max(value, TOPIC_MIN)
    if control_object:
        score["export-controls"] += TOPIC_MIN
    if list_action:
        score["entity-list"] += TOPIC_MIN
        score["export-controls"] += TOPIC_MIN

    def cue(role: str, topic: str, *, body: float = 0.5) -> None:
        fields = item.fields_by_role.get(role)
        if fields:
            score[topic] += TOPIC_MIN if "title" in fields else body
            reasons.append(f"topic: {role} cue -> {topic}")

    china = "china" in by_entry or "mofcom" in by_entry
    us_side = _us_side(item)
    cue("domestic", "china-chips")
    if china:
        cue("talent", "us-china-tech", body=TOPIC_MIN)
    if china and us_side:
        cue("pressure", "us-china-tech", body=TOPIC_MIN)
        cue("buy_stop", "us-china-tech")
        cue("buy_stop", "china-chips")
        cue("retaliation", "us-china-trade")
    materials = any(e.kind == "material" for e in entries.values())
    if "alliance" in roles and us_side and materials:
        cue("alliance", "us-china-tech", body=TOPIC_MIN)
    elif "united-states" in by_entry and materials and "deal" in roles and "china" not in item.in_title:
        score["us-china-tech"] += TOPIC_MIN  # a US government deal on minerals: supply security
        reasons.append("topic: US minerals deal -> us-china-tech")
    # Trade: a trade term, the negotiators, both leaders, Trump and China in one title, or China
    # acting against a US target (its controls, lists and probes are the trade war's moves).
    if (
        any(e.role == "trade" or e.id == "tariffs" for e in entries.values())
        or _NEGOTIATORS & set(by_entry)
        or ("trump" in by_entry and "xi-jinping" in by_entry)
        or ("trump" in item.in_title and item.in_title & _CHINA_SIDE)
    ):
        score["us-china-trade"] += TOPIC_MIN
    elif _china_acts_on_us(item, list_action):
        score["us-china-trade"] += TOPIC_MIN
        reasons.append("topic: China acts against a US target -> us-china-trade")
    return tuple(sorted(t for t, v in score.items() if v >= TOPIC_MIN))


def _title_hits(item: _Item) -> list[_FieldHit]:
    out = [fh for fhs in item.by_entry.values() for fh in fhs if fh.field == "title"]
    out.sort(key=lambda fh: fh.span[0])
    return out


def _china_acts_on_us(item: _Item, list_action: bool) -> bool:
    """A Chinese control measure aimed at the US: China is the title's actor (named before any US
    party), a US party is its target, and the title names the measure (a ban, a control, a list)."""
    title_control = list_action or any(
        _is_control(item.entries[eid]) or item.entries[eid].kind == "regulation" for eid in item.in_title
    )
    if not title_control:
        return False
    first_china = first_us = None
    for fh in _title_hits(item):
        eid = fh.hit.pattern.entry
        if first_china is None and eid in _CHINA_SIDE:
            first_china = fh.span[0]
        if first_us is None and (eid == "united-states" or eid in _US_COMPANIES or eid in _US_CHIPS):
            first_us = fh.span[0]
    return first_china is not None and first_us is not None and first_china < first_us


_CONTROL_TERM_IDS = frozenset({"export-controls-chips", "minerals-control", "entity-list-words"})
_NOT_CONTROL_REGULATIONS = frozenset({"chips-act"})  # subsidies, not controls
_SUBJECT_KINDS = frozenset(
    {"agency", "country", "person", "company", "equipment", "chip", "memory", "regulation", "material"}
)


def _severity(title: str, item: _Item, list_action: bool, reasons: list[str]) -> str:
    """Severity from the title's cues (see the module docstring)."""
    th = _title_hits(item)
    q = max(title.rfind("?"), title.rfind("؟"))
    if q >= 0 and any(_is_action(fh.entry) and fh.span[0] > q for fh in th):
        # "Will Beijing lift the curbs? China suspends the ban": the statement after the question is the news.
        th = [fh for fh in th if fh.span[0] > q]
        q = -1
    title_entries = list({fh.entry.id: fh.entry for fh in th if fh.entry is not None}.values())
    roles = {e.role for e in title_entries}
    subject = _subject(title, th)
    why = ""
    if "commentary" in roles:
        why = "commentary cue"
    elif q >= 0:
        why = "a question"
    elif _attributed_remark(title, th):
        why = "a remark attributed to a person or company"
    elif subject is not None and subject.kind == "person" and not subject.authority and "speech" in roles:
        why = "an industry figure's words"
    elif "legislative" in roles or any(e.legislative for e in title_entries):
        if "reg_action" in roles or "deal" in roles:
            reasons.append("severity: high (a bill moves in the legislature)")
            return "high"
        why = "a bill, not a rule"
    if why:
        reasons.append(f"severity: normal ({why})")
        return "normal"
    if "market" in roles or "enforcement" in roles:
        reasons.append("severity: high (market move or enforcement of existing rules)")
        return "high"
    trade_talk = any(e.role == "trade" or e.id == "tariffs" for e in title_entries)
    control = "buy_stop" in roles or any(
        (e.role in _CONTROL_ROLES and e.id != "tariffs")
        or e.id in _CONTROL_TERM_IDS
        or (e.kind == "regulation" and e.id not in _NOT_CONTROL_REGULATIONS and not e.legislative)
        for e in title_entries
    )
    acts = _authority_acts(title, th)
    company_subject = subject is not None and subject.kind in ("company", "equipment")
    company_speaks = company_subject and "speech" in roles
    hypothetical = "hypothetical" in roles and not (subject is not None and subject.authority and "speech" in roles)
    chip_object = any(e.kind in ("chip", "memory") or e.role == "strong" for e in title_entries)
    primary = (
        "federal-register" in item.by_entry
        or list_action
        or (acts and (control or chip_object))
        or (control and "reg_action" in roles and not company_subject and not trade_talk)
    )
    if primary and not hypothetical and not company_speaks:
        reasons.append("severity: critical (a regulatory action is the news)")
        return "critical"
    reasons.append("severity: high")
    return "high"


_ACTION_ROLES = frozenset({"reg_action", "control", "control_weak", "list_add", "buy_stop"})
_MAX_WORDS_TO_VERB = 4


def _is_action(e: Entry | None) -> bool:
    return e is not None and e.role in _ACTION_ROLES


def _authority_acts(title: str, th: list[_FieldHit]) -> bool:
    """An authority (agency, country, official) followed within a few words by an action or control
    word: ``US curbs H20 exports``, ``بكين تحظر تصدير``, ``China tells firms to stop buying``."""
    for i, fh in enumerate(th):
        e = fh.entry
        if e is None or not e.authority:
            continue
        end = fh.span[1]
        if title[end : end + 2] in ("'s", "’s"):
            continue  # "China's rare earth licences stall": a possessive does not act
        for nxt in th[i + 1 :]:
            if len(title[end : nxt.span[0]].split()) > _MAX_WORDS_TO_VERB:
                break
            if _is_action(nxt.entry) and not (nxt.entry is not None and nxt.entry.id == "tariffs"):
                return True
    return False


def _subject(title: str, th: list[_FieldHit]) -> Entry | None:
    """The title's first named party (``China's CXMT ...``: the possessive is not the subject)."""
    for fh in th:
        e = fh.entry
        if e is None or e.kind not in _SUBJECT_KINDS:
            continue
        end = fh.span[1]
        if title[end : end + 2] in ("'s", "’s"):
            continue
        return e
    return None


def _ends_as_question(title: str, th: list[_FieldHit]) -> bool:
    """A question mark, unless a statement with an action follows it (``هل ...؟ الصين تعلق الحظر``)."""
    q = max(title.rfind("?"), title.rfind("؟"))
    if q < 0:
        return False
    return not any(
        fh.entry is not None and fh.entry.role in ("reg_action", "control", "list_add") and fh.span[0] > q for fh in th
    )


def _attributed_remark(title: str, th: list[_FieldHit]) -> bool:
    """'Lutnick: China will get ...' — a person's or company's words, i.e. commentary.

    The head before the colon must be the name itself (``ضربة جديدة لإنفيديا: ...`` is a headline
    device, not a quote)."""
    head, sep, _ = title.partition(":")
    if not sep or len(head.split()) > 4:
        return False
    end = len(head)
    lead = len(head) - len(head.lstrip(" «\"'“‘"))
    return any(
        fh.entry is not None and fh.entry.kind in ("person", "company") and fh.span[1] <= end and fh.span[0] <= lead + 1
        for fh in th
    )
