"""The lexicon: entities, concept terms, topics and negative contexts, loaded from YAML.

Data lives in ``bot/lexicon/*.yaml`` (entities.yaml, topics.yaml, negatives.yaml). ``load_lexicon``
validates it, adds the user's extensions, generates spelling variants, and builds the automaton.

Every pattern in the automaton is a :class:`Pattern`: the normalized key, the entry it belongs to,
the curated alias it came from and how (``alias``, ``article``, ``g``, ``drop``, ``spelled`` ...),
so each match can be explained back to a line of YAML.

Validation (raises :class:`LexiconError` with the names involved): unknown kind or role, missing
id, duplicate id, an alias that normalizes to nothing, an alias shared by two entries. A *generated*
variant that collides with another entry's key is dropped instead (curated data wins) and recorded
in ``Lexicon.dropped``.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ahocorasick
import yaml

from bot.match import cache as lexicon_cache
from bot.match import normalizer
from bot.match import variants as var
from bot.match.normalizer import normalize_text

LEXICON_DIR = Path(__file__).resolve().parent.parent / "lexicon"

ENTITY_KINDS = frozenset(
    {"company", "chip", "memory", "equipment", "agency", "regulation", "person", "country", "material", "place"}
)
# Cue roles steer topics or severity but are no evidence of relevance on their own.
CUE_ROLES = frozenset(
    {
        # topic cues
        "domestic", "talent", "pressure", "buy_stop", "retaliation", "alliance",
        # severity cues
        "market", "enforcement", "legislative", "speech", "list_add",
        # companies counted as a group (36 Chinese entities): the targets of a listing
        "target",
        # equipment named generically (المعدات, tools): chipmaking equipment beside a chipmaking word
        "tools",
    }
)  # fmt: skip
_BASE_ROLES = frozenset(
    {
        "entity", "strong", "chip", "chip_weak", "control", "control_weak", "ai", "trade", "rivalry",
        "reg_action", "deal", "commentary", "hypothetical", "consumer", "offtopic", "veto",
    }
)  # fmt: skip
ROLES = _BASE_ROLES | CUE_ROLES
DEFAULT_WEIGHT = {"strong": 3.0, "chip": 2.0, "chip_weak": 0.4, "control": 1.5, "ai": 0.3, "trade": 0.3}
DEFAULT_WEIGHT.update({"rivalry": 0.8})
_MODEL_KINDS = frozenset({"chip", "memory"})
# Kinds whose Arabic aliases are transliterated names (spelling varies); agencies, regulations and
# countries are translated or have one settled spelling.
_PROPER_NAME_KINDS = frozenset({"company", "chip", "memory", "equipment", "person", "place"})
_NAME_KINDS = frozenset({"company", "chip", "memory", "equipment", "person", "material", "place"})
# Common nouns that take an attached pronoun in Arabic (قائمتها، رقائقها، صادراتها): concept terms,
# rules and lists, materials. Names (إنفيديا) and countries do not.
_INFLECTED_KINDS = frozenset({"term", "regulation", "material"})
# Products and acronyms the English press pluralizes (HBMs, GPUs, TPUs, H20s).
_PLURAL_KINDS = frozenset({"chip", "memory", "term"})
VETO_ID = "veto"
OFFTOPIC_ID = "offtopic"
SENSE_PREFIX = "sense:"  # pattern entries of another field's context (negatives.yaml ``senses``)


class LexiconError(ValueError):
    """The lexicon data is invalid; the message names the entries involved."""


@dataclass(frozen=True, slots=True)
class Entry:
    """An entity (kind in ENTITY_KINDS, role 'entity') or a concept term (kind 'term')."""

    id: str
    kind: str
    role: str
    weight: float
    topics: tuple[str, ...]
    name_ar: str
    name_en: str
    strict: bool = False
    title_topics: tuple[str, ...] = ()  # topics only when named in the title
    authority: bool = False  # speaks for a government: agencies, countries, officials
    legislative: bool = False  # a bill, not a rule: never a primary regulatory action
    # Properties the topic and severity rules read (entities.yaml / topics.yaml; a user's lexicon
    # extension sets them the same way):
    side: str = ""  # 'us' | 'china': whose side the entity is on (a US chipmaker, Beijing, MOFCOM)
    leader: bool = False  # a head of state (Trump, Xi): two leaders together are summit/trade news
    negotiator: bool = False  # a trade negotiator (Bessent, He Lifeng): their presence is trade talks
    control: bool = False  # names an export control or the rule-maker (BIS, chip export controls, FDPR)
    trade_measure: bool = False  # a tariff or truce: trade policy, not an export control
    list_name: bool = False  # a blacklist named generically (blacklist, القائمة السوداء)
    primary: bool = False  # cites a primary regulatory source (a Federal Register citation)
    export_authority: bool = False  # keeps an export-control list (BIS, the Commerce Department, MOFCOM)
    title_only: bool = False  # a cue that counts only in the title ("Review" heads a review; a body's
    # "security review" is a regulator's)


@dataclass(frozen=True, slots=True)
class Pattern:
    key: str  # normalized text searched for
    entry: str  # Entry id, or VETO_ID / OFFTOPIC_ID
    source: str  # the curated alias (as written in YAML) this pattern comes from
    how: str  # 'alias' for curated text, else the variant rule
    ambiguous: bool
    lang: str


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    name_ar: str
    name_en: str
    aliases: tuple[str, ...]
    # Topics an item on this topic is also about (Huawei/SMIC news is China's-own-chips news): a
    # subscriber to either gets it.
    implies: tuple[str, ...] = ()


@dataclass(slots=True)
class Lexicon:
    entries: dict[str, Entry]
    topics: dict[str, Topic]
    patterns: list[Pattern]
    automaton: Any  # ahocorasick.Automaton: padded key -> ((core length, pattern index), ...)
    with_variants: bool
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (variant key, reason)
    # negatives.yaml ``senses``: pattern entry "sense:<id>" -> the entry ids that context disarms
    senses: dict[str, frozenset[str]] = field(default_factory=dict)
    # case-sensitive aliases (entities.yaml ``cased``): one regex over the original text, and its owners
    cased: re.Pattern[str] | None = None
    cased_owner: dict[str, str] = field(default_factory=dict)
    _topic_index: dict[str, str] = field(default_factory=dict)
    _entity_index: dict[str, str] = field(default_factory=dict)
    # The content hash it was built from (``lexicon_cache_key``), when loaded through the disk cache: a
    # cache file is used only if the lexicon inside carries the key the file was looked up by.
    cache_key: str = ""
    # The normalizer's translate tables (~0.1 s to build), carried in the cache file so a process that
    # loads the lexicon from disk builds nothing (``normalizer.install_tables``).
    normalizer_tables: Any = None

    @property
    def pattern_count(self) -> int:
        """Distinct normalized keys (curated aliases and generated variants)."""
        return len({p.key for p in self.patterns})

    @property
    def automaton_keys(self) -> int:
        """Keys in the automaton: every pattern padded with spaces, Arabic ones also with proclitics."""
        return len(self.automaton)


# -------------------------------------------------------------------------------- YAML reading
class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping: YAML keeps the last one silently, and
    a second ``ar:`` in an entry would drop the first list of aliases without a word."""


def _no_duplicate_keys(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise LexiconError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicate_keys)


def _read_yaml(name: str) -> dict[str, Any]:
    with (LEXICON_DIR / name).open(encoding="utf-8") as fh:
        try:
            data = yaml.load(fh, Loader=_StrictLoader) or {}  # noqa: S506 - a SafeLoader subclass
        except LexiconError as exc:
            raise LexiconError(f"{name}: {exc}") from None
    if not isinstance(data, dict):
        raise LexiconError(f"{name}: expected a mapping at top level")
    return data


def _as_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise LexiconError(f"{where}: expected a list of strings")
    return [str(v) for v in value]


def _lang_lists(value: Any, where: str) -> dict[str, list[str]]:
    if value is None:
        return {"ar": [], "en": []}
    if not isinstance(value, dict):
        raise LexiconError(f"{where}: expected a mapping with 'ar' and/or 'en'")
    bad = set(value) - {"ar", "en"}
    if bad:
        raise LexiconError(f"{where}: unknown language key(s) {sorted(bad)}")
    return {lang: _as_list(value.get(lang), f"{where}.{lang}") for lang in ("ar", "en")}


SIDES = ("us", "china")


def _side(value: Any, where: str) -> str:
    if value is None:
        return ""
    if value not in SIDES:
        raise LexiconError(f"{where}: side must be one of {list(SIDES)}, not {value!r}")
    return str(value)


def arabic_key(alias: str) -> str:
    """Normalized Arabic alias with the first word's article removed (proclitics supply it)."""
    key = normalize_text(alias)
    first, _, rest = key.partition(" ")
    if first.startswith("ال") and len(first) >= 5:
        key = (first[2:] + " " + rest).strip()
    return key


# -------------------------------------------------------------------------------- building
class _Builder:
    def __init__(self, with_variants: bool, inflect: bool = True) -> None:
        self.with_variants = with_variants
        self.inflect = inflect
        self.entries: dict[str, Entry] = {}
        self.patterns: list[Pattern] = []
        self.curated: dict[str, str] = {}  # key -> entry id, curated aliases of entries
        self.generated: dict[str, set[str]] = {}  # generated key -> entry ids that generated it
        self.dropped: list[tuple[str, str]] = []
        self.entity_index: dict[str, str] = {}
        self.cased: dict[str, str] = {}  # alias exactly as written -> entry id (case-sensitive aliases)

    def add_entry(self, raw: Mapping[str, Any], *, is_term: bool, where: str) -> None:
        if not isinstance(raw, Mapping):
            raise LexiconError(f"{where}: expected a mapping")
        eid = raw.get("id")
        if not isinstance(eid, str) or not eid.strip():
            raise LexiconError(f"{where}: missing id")
        where = f"{where} '{eid}'"
        if eid in self.entries or eid in (VETO_ID, OFFTOPIC_ID):
            raise LexiconError(f"duplicate id '{eid}' ({where})")
        kind = "term" if is_term else str(raw.get("kind", ""))
        if not is_term and kind not in ENTITY_KINDS:
            raise LexiconError(f"{where}: unknown kind '{kind}' (expected one of {sorted(ENTITY_KINDS)})")
        role = str(raw.get("role", "entity" if not is_term else ""))
        if role not in ROLES or (is_term and role == "entity"):
            raise LexiconError(f"{where}: unknown role '{role}'")
        names = raw.get("name") or {}
        aliases = _lang_lists(raw.get("aliases"), f"{where}.aliases")
        ambiguous = _lang_lists(raw.get("ambiguous"), f"{where}.ambiguous")
        weight = raw.get("weight", DEFAULT_WEIGHT.get(role, 0.0))
        try:
            weight = float(weight)
        except (TypeError, ValueError):
            raise LexiconError(f"{where}: weight must be a number") from None
        legislative = bool(raw.get("legislative", False))
        entry = Entry(
            id=eid,
            kind=kind,
            role=role,
            weight=weight,
            topics=tuple(_as_list(raw.get("topics"), f"{where}.topics")),
            name_ar=str(names.get("ar", "")) if isinstance(names, dict) else "",
            name_en=str(names.get("en", eid)) if isinstance(names, dict) else eid,
            strict=bool(raw.get("strict", False)),
            title_topics=tuple(_as_list(raw.get("title_topics"), f"{where}.title_topics")),
            authority=bool(raw.get("authority", kind in ("agency", "country"))),
            legislative=legislative,
            side=_side(raw.get("side"), where),
            leader=bool(raw.get("leader", False)),
            negotiator=bool(raw.get("negotiator", False)),
            # a rule or list is a control unless it is a bill or says otherwise (the CHIPS Act: subsidies)
            control=bool(raw.get("control", kind == "regulation" and not legislative)),
            trade_measure=bool(raw.get("trade_measure", False)),
            list_name=bool(raw.get("list_name", False)),
            primary=bool(raw.get("primary", False)),
            export_authority=bool(raw.get("export_authority", False)),
            title_only=bool(raw.get("title_only", False)),
        )
        self.entries[eid] = entry
        self.entity_index.setdefault(normalize_text(eid.replace("-", " ")), eid)
        for name in (entry.name_ar, entry.name_en):
            if name:
                self.entity_index.setdefault(normalize_text(name), eid)
        spell = bool(raw.get("spell", False))
        for lang in ("ar", "en"):
            for alias in aliases[lang]:
                self._add_alias(entry, alias, lang, ambiguous=False, spell=spell)
            for alias in ambiguous[lang]:
                self._add_alias(entry, alias, lang, ambiguous=True, spell=False)
        for alias in _as_list(raw.get("cased"), f"{where}.cased"):
            # Written with capitals the word is the name (Intel, Micron); in lower case it is a word
            # (intel = intelligence, a micron). Matched as written, on the original text.
            if not re.fullmatch(r"[A-Z][A-Za-z0-9]*(?: [A-Z][A-Za-z0-9]*)*", alias):
                raise LexiconError(f"{where}: cased alias {alias!r} must be capitalized Latin words")
            self.cased[alias] = eid

    def add_aliases(self, eid: str, lists: Mapping[str, Any], where: str) -> None:
        if eid not in self.entries:
            raise LexiconError(f"{where}: unknown entity '{eid}'")
        for lang, aliases in _lang_lists(lists, where).items():
            for alias in aliases:
                self._add_alias(self.entries[eid], alias, lang, ambiguous=False, spell=False)

    def _add_alias(self, entry: Entry, alias: str, lang: str, *, ambiguous: bool, spell: bool) -> None:
        key = arabic_key(alias) if lang == "ar" else normalize_text(alias)
        if not key:
            raise LexiconError(f"entry '{entry.id}': alias {alias!r} is empty after normalization")
        owner = self.curated.get(key)
        if owner is not None and owner != entry.id:
            raise LexiconError(f"alias {alias!r} (normalized {key!r}) is shared by '{owner}' and '{entry.id}'")
        if owner is None:
            self.curated[key] = entry.id
            self.entity_index.setdefault(key, entry.id)
            self.patterns.append(Pattern(key, entry.id, alias, "alias", ambiguous, lang))
        extra = self._arabic_forms(entry, key) if lang == "ar" else self._latin_forms(entry, key, alias, spell)
        for vkey, how in extra.items():
            if not vkey or vkey == key:
                continue
            owners = self.generated.setdefault(vkey, set())
            if entry.id not in owners:
                owners.add(entry.id)
                self.patterns.append(Pattern(vkey, entry.id, alias, how, ambiguous, lang))

    def _arabic_forms(self, entry: Entry, key: str) -> dict[str, str]:
        """Generated Arabic forms -> rule: article, attached pronouns, spelling variants of names."""
        extra: dict[str, str] = {}
        if entry.kind not in _PROPER_NAME_KINDS:
            extra.update(var.article_variants(key))
        if self.inflect and entry.kind in _INFLECTED_KINDS:
            for form in (key, *var.article_variants(key)):
                for v, rule in var.suffix_variants(form).items():
                    extra.setdefault(v, rule)
        if self.with_variants and entry.kind in _NAME_KINDS:
            for v, rule in var.arabic_variants(key).items():
                extra.setdefault(v, rule)
        return extra

    def _latin_forms(self, entry: Entry, key: str, alias: str, spell: bool) -> dict[str, str]:
        """Generated forms of a Latin alias -> rule: Arabic letter-by-letter readings, typos, plurals."""
        extra: dict[str, str] = {}
        if spell:
            extra.update(var.spelled_arabic(key))
        if self.with_variants:
            extra.update(var.latin_variants(key, model=entry.kind in _MODEL_KINDS))
        if self.inflect and entry.kind in _PLURAL_KINDS:
            extra.update(var.english_plural(key, alias))
        return extra

    def add_context(self, eid: str, lists: Mapping[str, Any] | None, where: str) -> None:
        for lang, aliases in _lang_lists(lists, where).items():
            for alias in aliases:
                key = arabic_key(alias) if lang == "ar" else normalize_text(alias)
                if key:
                    self.patterns.append(Pattern(key, eid, alias, "alias", False, lang))

    def finish(self) -> tuple[list[Pattern], Any]:
        by_key: dict[str, list[int]] = {}
        kept: list[Pattern] = []
        for p in self.patterns:
            cur = self.curated.get(p.key)
            if p.how != "alias" and cur is not None and cur != p.entry:
                self.dropped.append((p.key, f"variant of {p.source!r} ({p.entry}) collides with '{cur}'"))
                continue
            if p.how != "alias" and cur == p.entry:
                continue  # the variant is already a curated alias of the same entry
            owners = self.generated.get(p.key, set())
            if p.how != "alias" and len(owners) > 1:
                others = sorted(owners - {p.entry})
                self.dropped.append((p.key, f"variant of {p.source!r} ({p.entry}) collides with {others}"))
                continue
            idx = len(kept)
            kept.append(p)
            by_key.setdefault(p.key, []).append(idx)
        suffixed = {p.key for p in kept if p.how == "suffix"} - {p.key for p in kept if p.how != "suffix"}
        return kept, build_automaton(by_key, suffixed)


def _arabic_start(key: str) -> bool:
    return "\u0620" <= key[0] <= "\u064a" or "\u066e" <= key[0] <= "\u06d3"


def build_automaton(by_key: Mapping[str, list[int]], suffixed: frozenset[str] | set[str] = frozenset()) -> Any:
    """The automaton with the token-boundary rules built into its keys.

    The normalizer leaves only letters, digits and single spaces, and puts a space wherever Arabic
    letters touch Latin ones, so a token boundary is always a space. Each key is therefore searched
    as `` key `` (the scanner pads the text with a space at each end), and a key that starts with
    an Arabic letter also as `` <proclitic>key `` for every proclitic (و ف ب ل ك ال لل وال بال ...).
    Every raw match of the automaton is then a valid token match: the scan does no per-hit boundary
    work, and words that merely contain an alias (``said`` containing ``ai``) are never reported.
    Values are tuples of (core length, pattern index); a padded key reachable from two cores (a
    proclitic + one key equal to another key) carries both. A key whose head carries an attached
    pronoun (``suffixed``: قائمتها) never takes the article, so it gets only the other proclitics.
    """
    # One value tuple per core key, shared by all its padded forms (memory: ~20 forms per Arabic key).
    core_value = {key: tuple((len(key), i) for i in idxs) for key, idxs in by_key.items()}
    values: dict[str, tuple[tuple[int, int], ...]] = {}
    for key, value in core_value.items():
        if not _arabic_start(key):
            prefixes: tuple[str, ...] = ("",)
        else:
            prefixes = ("", *sorted(NO_ARTICLE_PROCLITICS if key in suffixed else PROCLITICS))
        for pre in prefixes:
            padded = f" {pre}{key} "
            values[padded] = values[padded] + value if padded in values else value
    automaton = ahocorasick.Automaton()
    for padded, pairs in values.items():
        automaton.add_word(padded, pairs)
    automaton.make_automaton()
    return automaton


def _proclitics() -> frozenset[str]:
    """Arabic proclitics that may be glued to a matched word: conjunction, preposition, article."""
    out = set()
    for c in ("", "و", "ف"):
        for p in ("", "ب", "ل", "ك"):
            for a in ("", "ال"):
                pre = "لل" if (p == "ل" and a == "ال") else p + a  # ل + ال is written لل
                if c + pre:
                    out.add(c + pre)
    return frozenset(out)


PROCLITICS = _proclitics()
NO_ARTICLE_PROCLITICS = frozenset(p for p in PROCLITICS if "ال" not in p and not p.endswith("لل"))


def _merge_extra(data: dict[str, Any], extra: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    if not extra:
        return []
    if not isinstance(extra, Mapping):
        raise LexiconError("lexicon extension: expected a mapping")
    bad = set(extra) - {"entities", "aliases"}
    if bad:
        raise LexiconError(f"lexicon extension: unknown key(s) {sorted(bad)} (expected 'entities', 'aliases')")
    ents = extra.get("entities") or []
    if not isinstance(ents, list):
        raise LexiconError("lexicon extension: 'entities' must be a list")
    data["entities"] = [*data.get("entities", []), *copy.deepcopy(ents)]
    aliases = extra.get("aliases") or {}
    if not isinstance(aliases, Mapping):
        raise LexiconError("lexicon extension: 'aliases' must map entity ids to {ar: [...], en: [...]}")
    return list(aliases.items())


def build_lexicon(
    entities: Mapping[str, Any],
    topics: Mapping[str, Any],
    negatives: Mapping[str, Any],
    *,
    extra: Mapping[str, Any] | None = None,
    with_variants: bool = True,
    inflect: bool = True,
) -> Lexicon:
    """Build a lexicon from already-parsed YAML documents (used by tests with their own data).

    ``inflect=False`` leaves out the inflected forms (Arabic attached pronouns, English plurals):
    the stemmer trial (``eval.real.stemmers``) compares against it."""
    global _builds
    _builds += 1
    ent_doc = dict(entities)
    extra_aliases = _merge_extra(ent_doc, extra)
    b = _Builder(with_variants, inflect)
    for i, raw in enumerate(ent_doc.get("entities") or []):
        b.add_entry(raw, is_term=False, where=f"entities[{i}]")
    for i, raw in enumerate(topics.get("terms") or []):
        b.add_entry(raw, is_term=True, where=f"terms[{i}]")
    for eid, lists in extra_aliases:
        b.add_aliases(str(eid), lists, where=f"lexicon extension aliases '{eid}'")
    b.add_context(VETO_ID, negatives.get("vetoes"), "negatives.vetoes")
    b.add_context(OFFTOPIC_ID, negatives.get("offtopic"), "negatives.offtopic")
    senses = _add_senses(b, negatives.get("senses") or [])
    patterns, automaton = b.finish()
    topic_map, topic_index = _build_topics(topics.get("topics") or [])
    return Lexicon(
        entries=b.entries,
        topics=topic_map,
        patterns=patterns,
        automaton=automaton,
        with_variants=with_variants,
        dropped=b.dropped,
        senses=senses,
        cased=_cased_regex(b.cased),
        cased_owner=dict(b.cased),
        _topic_index=topic_index,
        _entity_index=b.entity_index,
    )


def _cased_regex(cased: Mapping[str, str]) -> re.Pattern[str] | None:
    if not cased:
        return None
    alternation = "|".join(re.escape(a) for a in sorted(cased, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternation})(?![A-Za-z0-9])")


def _add_senses(b: _Builder, raw: Any) -> dict[str, frozenset[str]]:
    """Another field's context (physics lessons, printmaking): its words, and the entries it disarms."""
    if not isinstance(raw, list):
        raise LexiconError("negatives.senses: expected a list")
    out: dict[str, frozenset[str]] = {}
    for i, sense in enumerate(raw):
        where = f"negatives.senses[{i}]"
        if not isinstance(sense, Mapping) or not isinstance(sense.get("id"), str):
            raise LexiconError(f"{where}: expected a mapping with an id")
        disarms = frozenset(_as_list(sense.get("disarms"), f"{where}.disarms"))
        unknown = sorted(disarms - set(b.entries))
        if unknown:
            raise LexiconError(f"{where}: disarms unknown entries {unknown}")
        eid = SENSE_PREFIX + sense["id"]
        b.add_context(eid, sense.get("words"), f"{where}.words")
        out[eid] = disarms
    return out


def _build_topics(raw_topics: Iterable[Any]) -> tuple[dict[str, Topic], dict[str, str]]:
    topics: dict[str, Topic] = {}
    index: dict[str, str] = {}
    for i, raw in enumerate(raw_topics):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str):
            raise LexiconError(f"topics[{i}]: expected a mapping with an id")
        tid = raw["id"]
        if tid in topics:
            raise LexiconError(f"duplicate topic id '{tid}'")
        names = raw.get("name") or {}
        al = _lang_lists(raw.get("aliases"), f"topics[{i}] '{tid}'.aliases")
        implies = tuple(_as_list(raw.get("implies"), f"topics[{i}] '{tid}'.implies"))
        topic = Topic(tid, str(names.get("ar", "")), str(names.get("en", tid)), tuple(al["ar"] + al["en"]), implies)
        topics[tid] = topic
        for text in (tid, tid.replace("-", " "), topic.name_ar, topic.name_en, *topic.aliases):
            if not text:
                continue
            for key in {normalize_text(text), arabic_key(text)}:
                index.setdefault(key, tid)
    for topic in topics.values():
        unknown = sorted(set(topic.implies) - set(topics))
        if unknown:
            raise LexiconError(f"topic '{topic.id}': implies unknown topic(s) {unknown}")
    return topics, index


_builds = 0


def build_count() -> int:
    """Lexicons built for this process (``build_lexicon`` calls, here or in the cache's build process):
    tests count them to see the cache work."""
    return _builds + lexicon_cache.built_apart()


# The modules whose code decides what a build produces: their source is part of the cache key, so a
# changed rule (a new variant, a normalizer fix) can never be served an automaton built by the old one.
_BUILDER_SOURCES = ("lexicon.py", "variants.py", "normalizer.py")


def canonical_extra(extra: Mapping[str, Any] | None) -> str:
    """One spelling of a ``lexicon:`` extension (key order and formatting of feeds.yaml do not matter)."""
    return json.dumps(extra or {}, sort_keys=True, ensure_ascii=False, default=str)


def lexicon_cache_key(extra: Mapping[str, Any] | None = None, *, with_variants: bool = True) -> str:
    """Content hash of everything a build depends on: the shipped YAML files, the user's extension, the
    builder's source, and the runtime that pickles the automaton."""
    parts: list[bytes] = [b"with_variants" if with_variants else b"without_variants"]
    for path in sorted(LEXICON_DIR.glob("*.yaml")):
        parts += [path.name.encode(), path.read_bytes()]
    here = Path(__file__).resolve().parent
    for name in _BUILDER_SOURCES:
        try:
            parts += [name.encode(), (here / name).read_bytes()]
        except OSError:  # installed without sources (bytecode only): the installed version stands for them
            parts += [name.encode(), lexicon_cache.package_version("raqib").encode()]
    parts += [b"extra", canonical_extra(extra).encode()]
    parts += lexicon_cache.runtime_parts()
    return lexicon_cache.content_key(parts)


def load_lexicon(extra: Mapping[str, Any] | None = None, *, with_variants: bool = True) -> Lexicon:
    """Load the packaged lexicon, plus the user's extensions from feeds.yaml's ``lexicon:`` section.

    ``extra`` shape (all keys optional)::

        {
          "entities": [                      # new watched entities, same schema as entities.yaml
            {"id": "acme-chips", "kind": "company", "weight": 2.0, "topics": ["ai-chips"],
             "name": {"ar": "أكمي", "en": "Acme Chips"},
             "aliases": {"ar": ["أكمي"], "en": ["Acme Chips"]},
             "ambiguous": {"en": ["Acme"]}}          # optional: never decide alone
          ],
          "aliases": {                       # extra aliases for existing entities, by id
            "nvidia": {"ar": ["إنفيديا كورب"], "en": ["Team Green"]}
          }
        }

    Raises :class:`LexiconError` on invalid data (duplicate id, alias shared by two entries ...).

    The built lexicon is kept on disk (``bot.match.cache``), keyed by its content hash: the first process
    builds it, every later one (parse workers included) loads it. Within a process one lexicon is shared
    per content: callers must not modify it.
    """
    memo_key = (canonical_extra(extra) if extra else "", with_variants)
    lex = _loaded.get(memo_key)
    if lex is not None:  # the hot path: classify() without a lexicon argument comes here for every item
        return lex
    # One loader at a time: the feeds of a poll are matched in several threads at once, and each would
    # otherwise read (or build) the same lexicon on the first item.
    with _load_lock:
        lex = _loaded.get(memo_key)
        if lex is None:
            lex = _cached_lexicon(extra or None, with_variants)
            while len(_loaded) >= _LOADED_MAX:  # extensions changed by reloads: keep the recent ones
                del _loaded[next(iter(_loaded))]
            _loaded[memo_key] = lex
    return lex


_loaded: dict[tuple[str, bool], Lexicon] = {}
_load_lock = threading.Lock()
_LOADED_MAX = 6


def _cached_lexicon(extra: Mapping[str, Any] | None, with_variants: bool) -> Lexicon:
    key = lexicon_cache_key(extra, with_variants=with_variants)

    def accept(obj: object) -> bool:
        return isinstance(obj, Lexicon) and obj.cache_key == key

    plain = dict(extra) if extra else None  # sent to the build process: a plain, picklable mapping
    lex: Lexicon = lexicon_cache.load_or_build(key, _build_shipped, (plain, with_variants, key), accept=accept)
    if lex.normalizer_tables is not None and normalizer._TABLES is None:
        normalizer.install_tables(lex.normalizer_tables)
    return lex


def _build_shipped(extra: Mapping[str, Any] | None, with_variants: bool, key: str) -> Lexicon:
    """The shipped lexicon plus ``extra``, stamped with its cache key (run by the cache's build process)."""
    if lexicon_cache_key(extra, with_variants=with_variants) != key:  # another checkout's code on sys.path
        raise LexiconError("the lexicon builder's sources differ from the caller's: not cached under its key")
    lex = build_lexicon(
        _read_yaml("entities.yaml"),
        _read_yaml("topics.yaml"),
        _read_yaml("negatives.yaml"),
        extra=extra,
        with_variants=with_variants,
    )
    lex.cache_key = key
    lex.normalizer_tables = normalizer._tables()
    var.release_word_lists()  # built here when no build process could: the lists would stay for its life
    return lex


def clear_memory_cache() -> None:
    """Forget the lexicons this process holds (tests: the next load goes to the disk cache)."""
    with _load_lock:
        _loaded.clear()
