"""The lexicon's data model: entries, patterns, topics, the built :class:`Lexicon`, and the checks on raw YAML
values every part of a lexicon document goes through (``as_list``, ``lang_lists``, ``check_side``).

Every pattern in the automaton is a :class:`Pattern`: the normalized key, the entry it belongs to, the curated
alias it came from and how (``alias``, ``article``, ``g``, ``drop``, ``spelled`` ...), so each match can be
explained back to a line of YAML. Building is ``bot.match.builder``; loading the shipped lexicon (and its disk
cache) is ``bot.match.lexicon``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

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

    def __reduce__(self) -> tuple[type[Pattern], tuple[str, str, str, str, bool, str]]:
        # Rebuilt by the constructor: a frozen slotted dataclass's own unpickling looks its fields up again for
        # every instance, ~7,700 of them in the cached lexicon every process loads (30 → 17 ms).
        return (Pattern, (self.key, self.entry, self.source, self.how, self.ambiguous, self.lang))


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


# -------------------------------------------------------------------------------- raw YAML values
def as_list(value: Any, where: str) -> list[str]:
    """A YAML string or list of scalars as a list of strings (``where`` names it in the error)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise LexiconError(f"{where}: expected a list of strings")
    return [str(v) for v in value]


def lang_lists(value: Any, where: str) -> dict[str, list[str]]:
    """An ``{ar: [...], en: [...]}`` mapping, both languages present in the result."""
    if value is None:
        return {"ar": [], "en": []}
    if not isinstance(value, dict):
        raise LexiconError(f"{where}: expected a mapping with 'ar' and/or 'en'")
    bad = set(value) - {"ar", "en"}
    if bad:
        raise LexiconError(f"{where}: unknown language key(s) {sorted(bad)}")
    return {lang: as_list(value.get(lang), f"{where}.{lang}") for lang in ("ar", "en")}


SIDES = ("us", "china")


def check_side(value: Any, where: str) -> str:
    """An entry's ``side``: "" when unset, else one of ``SIDES``."""
    if value is None:
        return ""
    if value not in SIDES:
        raise LexiconError(f"{where}: side must be one of {list(SIDES)}, not {value!r}")
    return str(value)
