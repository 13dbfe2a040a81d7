"""Building a lexicon from parsed YAML documents: entries checked, aliases and their generated variants
collected, the automaton made.

Validation (raises :class:`LexiconError` with the names involved): unknown kind or role, missing id, duplicate
id, an alias that normalizes to nothing, an alias shared by two entries. A *generated* variant that collides
with another entry's key is dropped instead (curated data wins) and recorded in ``Lexicon.dropped``.

The automaton is the one term matcher's (``bot.match.terms``): the lexicon's keys and a chat's watch terms
are found by the same rule.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.match import cache as lexicon_cache
from bot.match import variants as var
from bot.match.model import (
    ENTITY_KINDS,
    OFFTOPIC_ID,
    ROLES,
    SENSE_PREFIX,
    VETO_ID,
    Entry,
    Lexicon,
    LexiconError,
    Pattern,
    Topic,
    as_list,
    check_side,
    lang_lists,
)
from bot.match.normalizer import normalize_text
from bot.match.terms import arabic_key, build_automaton

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
        aliases = lang_lists(raw.get("aliases"), f"{where}.aliases")
        ambiguous = lang_lists(raw.get("ambiguous"), f"{where}.ambiguous")
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
            topics=tuple(as_list(raw.get("topics"), f"{where}.topics")),
            name_ar=str(names.get("ar", "")) if isinstance(names, dict) else "",
            name_en=str(names.get("en", eid)) if isinstance(names, dict) else eid,
            strict=bool(raw.get("strict", False)),
            title_topics=tuple(as_list(raw.get("title_topics"), f"{where}.title_topics")),
            authority=bool(raw.get("authority", kind in ("agency", "country"))),
            legislative=legislative,
            side=check_side(raw.get("side"), where),
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
        for alias in as_list(raw.get("cased"), f"{where}.cased"):
            # Written with capitals the word is the name (Intel, Micron); in lower case it is a word
            # (intel = intelligence, a micron). Matched as written, on the original text.
            if not re.fullmatch(r"[A-Z][A-Za-z0-9]*(?: [A-Z][A-Za-z0-9]*)*", alias):
                raise LexiconError(f"{where}: cased alias {alias!r} must be capitalized Latin words")
            self.cased[alias] = eid

    def add_aliases(self, eid: str, lists: Mapping[str, Any], where: str) -> None:
        if eid not in self.entries:
            raise LexiconError(f"{where}: unknown entity '{eid}'")
        for lang, aliases in lang_lists(lists, where).items():
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
        for lang, aliases in lang_lists(lists, where).items():
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
            by_key.setdefault(p.key, []).append(len(kept))
            kept.append(p)
        # Padded key -> ((key length, pattern index), ...): a raw hit is a valid match (bot.match.terms).
        values = {key: tuple(idxs) for key, idxs in by_key.items()}
        return kept, build_automaton(values, no_article_keys(kept))


def no_article_keys(patterns: Iterable[Pattern]) -> frozenset[str]:
    """Keys that exist only as a head with an attached pronoun (قائمتها): they never take the article, and
    the term matcher gives them only the other proclitics."""
    suffixed: set[str] = set()
    other: set[str] = set()
    for p in patterns:
        (suffixed if p.how == "suffix" else other).add(p.key)
    return frozenset(suffixed - other)


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
        disarms = frozenset(as_list(sense.get("disarms"), f"{where}.disarms"))
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
        al = lang_lists(raw.get("aliases"), f"topics[{i}] '{tid}'.aliases")
        implies = tuple(as_list(raw.get("implies"), f"topics[{i}] '{tid}'.implies"))
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
