"""Stage 1 of ``classify``: what an item's title and body say, as one typed record (:class:`Evidence`).

The lexicon is scanned over both fields (plus case-sensitive names such as Intel and Micron on the
original text); vetoed senses (رقائق البطاطس) and off-topic context are set aside; another field's
context (a physics lesson, printmaking) disarms the words it explains unless other chip evidence is
present; ambiguous aliases (سميك "thick", BIS, micron) are kept only when confirmed — by an unambiguous
alias of the same entity or (unless the entity is ``strict``) by other chip evidence. What remains is
indexed by entry, role and field, and the facts every later stage reads are computed once: is there a
control term, strong chip evidence, a chip-domain entity, AI context, a consumer context, a list action.
Nothing here decides relevance, topics or severity.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.match.model import OFFTOPIC_ID, SENSE_PREFIX, VETO_ID, Entry, Lexicon, Pattern
from bot.match.normalizer import Normalized, normalize
from bot.match.scanner import RECOGNIZER_ENTRIES, Hit, scan

# Kinds of the chip domain: a named company, chip, list or material is evidence; a person or country is not.
DOMAIN_KINDS = frozenset({"company", "chip", "memory", "equipment", "agency", "regulation", "material"})
# What an export control can bear on: chips, their makers, equipment, materials.
OBJECT_KINDS = frozenset({"company", "chip", "memory", "equipment", "material"})
CONTROL_ROLES = frozenset({"control", "control_weak"})
_CONSUMER_BODY_CUES = 2  # consumer words (mentions) in a body that make it a consumer piece


class FieldHit:
    """A hit in one field; its original span is computed on first use only."""

    __slots__ = ("_span", "entry", "field", "hit", "norm")

    def __init__(self, hit: Hit, entry: Entry | None, field: str, norm: Normalized) -> None:
        self.hit = hit
        self.entry = entry
        self.field = field  # 'title' | 'text'
        self.norm = norm
        self._span: tuple[int, int] | None = None

    @property
    def span(self) -> tuple[int, int]:
        """Offsets in the original field string, end exclusive."""
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
_US_ID = "united-states"
_US_PATTERN = Pattern("us", _US_ID, "US", "case-sensitive", False, "en")

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


def collect(lex: Lexicon, title: str, text: str) -> list[FieldHit]:
    """Every lexicon and recognizer hit in the title (outlet cut) and the body."""
    out: list[FieldHit] = []
    entries = lex.entries
    for fld, value in (("title", headline(title)), ("text", text)):
        if not value:
            continue
        norm = normalize(value)
        first = len(out)
        for h in scan(norm.text, lex):
            eid = h.pattern.entry
            out.append(FieldHit(h, entries.get(eid) or RECOGNIZER_ENTRIES.get(eid), fld, norm))
        if lex.cased is not None and _cased_field(fld, value):
            out.extend(_cased_hits(lex, lex.cased, value, fld, norm))
        us = entries.get(_US_ID)
        if us is not None and "US" in value:
            taken = [fh.span for fh in out[first:] if fh.hit.pattern.entry == _US_ID]
            for m in _US_CAPS.finditer(value):
                if m.start() and value[m.start() - 1].isalpha():
                    continue  # "BUS", "STATUS"
                if not any(s <= m.start() < e for s, e in taken):
                    fh = FieldHit(Hit(_US_PATTERN, -1, -1), us, fld, norm)
                    fh._span = (m.start(), m.end())
                    out.append(fh)
    return out


def _cased_field(fld: str, value: str) -> bool:
    """A body, or a title in sentence case: a Title Case headline capitalizes every word."""
    if fld == "text":
        return True
    words = [w for w in value.split() if w[:1].isalpha() and w.isascii()]
    return sum(w[0].isupper() for w in words) * 2 <= len(words)


def _cased_hits(lex: Lexicon, cased: re.Pattern[str], value: str, fld: str, norm: Normalized) -> list[FieldHit]:
    out = []
    for m in cased.finditer(value):
        eid = lex.cased_owner[m.group()]
        fh = FieldHit(
            Hit(Pattern(m.group(), eid, m.group(), "cased", False, "en"), -1, -1), lex.entries[eid], fld, norm
        )
        fh._span = (m.start(), m.end())
        out.append(fh)
    return out


@dataclass(slots=True)
class Evidence:
    """The kept hits of one item, indexed, and the facts the relevance, topic and severity stages read."""

    title: str
    hits: list[FieldHit]
    by_entry: dict[str, list[FieldHit]] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    fields_by_role: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    in_title: set[str] = field(default_factory=set)
    offtopic: list[str] = field(default_factory=list)  # off-topic context words found (potato, poker)
    notes: list[str] = field(default_factory=list)  # reasons from this stage (vetoes, unconfirmed aliases)
    control: bool = False  # a control term, a rule or list, or the rule-maker
    strong: bool = False  # strong chip evidence (a strong term or a chip word)
    chip_entity: bool = False  # a chip-domain company, chip, equipment or material of real weight
    ai: bool = False
    consumer: bool = False  # a review, a phone, a game: company and product evidence is dampened
    chip_weak_supported: bool = False  # ambiguous chip words (chips, رقائق) count
    context: bool = False  # chip, control, AI or business context around the names
    list_fields: set[str] = field(default_factory=set)  # fields where a list action is stated
    target_listing: bool = False  # an export authority restricts or adds a counted group of companies

    @property
    def roles(self) -> set[str]:
        return set(self.fields_by_role)

    def role_in(self, role: str, fld: str) -> bool:
        return fld in self.fields_by_role.get(role, ())

    def has(self, pred: Callable[[Entry], bool]) -> bool:
        """Whether any kept entry satisfies ``pred`` (a callable on :class:`Entry`)."""
        return any(pred(e) for e in self.entries.values())

    def side(self, side: str, *, title: bool = False) -> bool:
        """Whether an entity on ``side`` ('us' | 'china') is named (in the title only, if asked)."""
        ids = self.in_title if title else self.entries
        return any(self.entries[eid].side == side for eid in ids)

    def country(self, side: str) -> bool:
        """Whether the country itself (not one of its companies) on ``side`` is named."""
        return any(e.side == side and e.kind == "country" for e in self.entries.values())

    def title_hits(self) -> list[FieldHit]:
        out = [fh for fhs in self.by_entry.values() for fh in fhs if fh.field == "title"]
        out.sort(key=lambda fh: fh.span[0])
        return out

    @property
    def objects(self) -> bool:
        """Something an export control can bear on: strong chip evidence, a chip entity, counted chip words."""
        return (
            self.strong
            or self.chip_entity
            or ("chip_weak" in self.fields_by_role and self.chip_weak_supported)
            # a mineral named beside a control word is the control's object, whatever its weight (graphite)
            or any(e.kind == "material" and e.weight > 0 for e in self.entries.values())
        )


def is_control(e: Entry) -> bool:
    """A control word or a named control (a rule, a list, the rule-maker)."""
    return e.role in CONTROL_ROLES or e.control


def gather(lex: Lexicon, title: str, text: str) -> Evidence:
    """Stage 1: scan, set aside vetoed senses and off-topic context, confirm ambiguous aliases, index."""
    ev = Evidence(title=title, hits=[])
    clear: list[FieldHit] = []
    ambiguous: list[FieldHit] = []
    senses: dict[str, str] = {}  # sense pattern entry -> the first word of it found
    for fh in collect(lex, title, text):
        eid = fh.hit.pattern.entry
        if eid == VETO_ID:
            ev.notes.append(f"veto: '{fh.text}' in {fh.field} (another sense of the word)")
        elif eid == OFFTOPIC_ID:
            ev.offtopic.append(fh.text)
        elif eid.startswith(SENSE_PREFIX):
            senses.setdefault(eid, fh.text)
        elif fh.entry is not None:
            (ambiguous if fh.hit.pattern.ambiguous else clear).append(fh)
    if senses:
        clear = _disarmed(lex, senses, clear, ev.notes)
    ev.hits = clear + _confirmed(clear, ambiguous, ev.notes)
    _index(ev)
    _facts(ev)
    return ev


def _entry(fh: FieldHit) -> Entry:
    """The hit's lexicon entry: every hit kept as evidence has one (``evidence`` sets the others aside)."""
    if fh.entry is None:
        raise ValueError(f"a hit with no lexicon entry kept as evidence: {fh.hit.pattern.entry!r}")
    return fh.entry


def _is_domain(e: Entry) -> bool:
    return e.role in ("strong", "chip") or (e.role == "entity" and e.kind in DOMAIN_KINDS and e.weight >= 1.0)


def _disarmed(lex: Lexicon, senses: dict[str, str], clear: list[FieldHit], notes: list[str]) -> list[FieldHit]:
    """Drop the words another field's context disarms (``semiconductor`` in a physics lesson, ``lithography``
    in printmaking) unless other chip-domain evidence says the item is about the industry after all."""
    disarmed = frozenset().union(*(lex.senses.get(eid, frozenset()) for eid in senses))
    if any(fh.entry is not None and fh.entry.id not in disarmed and _is_domain(fh.entry) for fh in clear):
        return clear
    kept = [fh for fh in clear if fh.entry is None or fh.entry.id not in disarmed]
    if len(kept) < len(clear):
        sense, word = next(iter(senses.items()))
        notes.append(f"{sense.removeprefix(SENSE_PREFIX)} context '{word}': {', '.join(sorted(disarmed))} not counted")
    return kept


def _confirmed(clear: list[FieldHit], ambiguous: list[FieldHit], notes: list[str]) -> list[FieldHit]:
    """Ambiguous hits confirmed by the unambiguous evidence (see the module docstring)."""
    clear_ids: set[str] = set()
    domain_clear = False
    chip_word_fields: set[str] = set()
    for fh in clear:
        e = _entry(fh)
        clear_ids.add(e.id)
        if _is_domain(e):
            domain_clear = True
        elif e.role == "chip_weak":
            chip_word_fields.add(fh.field)
    kept = []
    cased = {(fh.hit.pattern.entry, fh.field, fh.span) for fh in clear if fh.hit.pattern.how == "cased"}
    for fh in ambiguous:
        e = _entry(fh)
        if cased and (e.id, fh.field, fh.span) in cased:
            continue  # the same word, already found as the capitalized name
        confirmed_by_context = domain_clear or fh.field in chip_word_fields
        if e.id in clear_ids or (confirmed_by_context and not e.strict):
            kept.append(fh)
        else:
            notes.append(f"ignored ambiguous '{fh.text}' ({e.id}) in {fh.field}: not confirmed")
    return kept


def _index(ev: Evidence) -> None:
    ev.hits = [fh for fh in ev.hits if not (fh.entry is not None and fh.entry.title_only and fh.field != "title")]
    for fh in ev.hits:
        e = _entry(fh)
        lst = ev.by_entry.get(e.id)
        if lst is None:
            ev.by_entry[e.id] = [fh]
            ev.entries[e.id] = e
        else:
            lst.append(fh)
        ev.fields_by_role[e.role].add(fh.field)
        if fh.field == "title":
            ev.in_title.add(e.id)


def _facts(ev: Evidence) -> None:
    entries, roles = ev.entries.values(), ev.roles
    # A tariff is trade policy, not an export control (us-china-trade, not export-controls).
    ev.control = any((e.role in CONTROL_ROLES and not e.trade_measure) or e.control for e in entries)
    ev.strong = "strong" in roles or "chip" in roles
    ev.chip_entity = any(e.role == "entity" and e.kind in OBJECT_KINDS and e.weight >= 1.0 for e in entries)
    ev.ai = "ai" in roles
    # Consumer context (a review, a phone, a game) dampens companies and products unless the item is
    # about controls: in the title when the consumer cue is in the title, anywhere otherwise.
    if ev.role_in("consumer", "title"):
        controls_title = any(is_control(ev.entries[eid]) for eid in ev.in_title)
        ev.consumer = not controls_title and not ev.role_in("strong", "title")
    else:
        # In a body one product name (RTX) in a deal between chipmakers is not a review; a consumer piece
        # names its products, screens, games and prices over and over.
        mentions = sum(len(ev.by_entry[eid]) for eid, e in ev.entries.items() if e.role == "consumer")
        ev.consumer = mentions >= _CONSUMER_BODY_CUES and not (ev.control or "strong" in roles)
    if ev.consumer:
        ev.chip_entity = False
    supported = ev.strong or ev.chip_entity or ev.control or (ev.ai and not ev.consumer)
    ev.chip_weak_supported = supported and not (ev.offtopic and not (ev.strong or ev.chip_entity))
    # A company named with nothing about chips, controls, AI or business around it (a charity
    # donation, a TV update) is weak evidence: the name alone is not the story.
    ev.context = (
        ev.strong
        or ev.control
        or ev.ai
        or bool(roles & {"chip_weak", "deal", "market", "buy_stop", "pressure"})  # business or a regulator's move
        or sum(1 for e in entries if e.role == "entity" and e.kind in OBJECT_KINDS and e.weight > 0) >= 2
    )
    ev.list_fields = _list_action_fields(ev)
    # An export authority (or, outside another field's context such as oil sanctions, the US government)
    # adding or restricting a counted group of companies: a listing.
    authority = any(e.export_authority for e in entries) or (
        not ev.offtopic and any(e.side == "us" and e.authority for e in entries)
    )
    ev.target_listing = (
        "target" in roles
        and authority
        and ("list_add" in roles or any(e.role in CONTROL_ROLES and not e.trade_measure for e in entries))
    )
    ev.context = ev.context or ev.target_listing  # a listing is a regulator's act: the agency's name counts


def _list_action_fields(ev: Evidence) -> set[str]:
    """Fields where a list (a blacklist, the Entity List) and an addition verb meet
    (``adds 12 firms to its trade blacklist``, ``تدرج شركات على قائمة الكيانات``)."""
    adds = ev.fields_by_role.get("list_add")
    if not adds:
        return set()
    lists = {
        fh.field
        for eid, fhs in ev.by_entry.items()
        if ev.entries[eid].list_name or "entity-list" in ev.entries[eid].topics
        for fh in fhs
    }
    return lists & adds
