"""The shipped lexicon: entities, concept terms, topics and negative contexts, read from YAML and loaded
through the disk cache.

Data lives in ``bot/lexicon/*.yaml`` (entities.yaml, topics.yaml, negatives.yaml). ``load_lexicon`` reads and
validates it, adds the user's extensions, generates spelling variants, and builds the automaton — or loads all
that from the disk cache (``bot.match.cache``), keyed by ``lexicon_cache_key``.

Where the parts are: the data model and the checks on raw values (``Entry``, ``Pattern``, ``Topic``,
``Lexicon``, ``LexiconError``) in ``bot.match.model``; building (``build_lexicon``) in ``bot.match.builder``;
the term matcher the automaton is built for (proclitics, padding, ``arabic_key``) in ``bot.match.terms``.
Their names are exported here too, for the callers that know the lexicon by this module.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from bot.match import cache as lexicon_cache
from bot.match import normalizer
from bot.match import variants as var
from bot.match.builder import build_count, build_lexicon
from bot.match.model import (
    CUE_ROLES,
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
)
from bot.match.terms import NO_ARTICLE_PROCLITICS, PROCLITICS, arabic_key

__all__ = [
    "CUE_ROLES",
    "ENTITY_KINDS",
    "LEXICON_DIR",
    "NO_ARTICLE_PROCLITICS",
    "OFFTOPIC_ID",
    "PROCLITICS",
    "ROLES",
    "SENSE_PREFIX",
    "VETO_ID",
    "Entry",
    "Lexicon",
    "LexiconError",
    "Pattern",
    "Topic",
    "arabic_key",
    "build_count",
    "build_lexicon",
    "canonical_extra",
    "clear_memory_cache",
    "lexicon_cache_key",
    "load_lexicon",
]

LEXICON_DIR = Path(__file__).resolve().parent.parent / "lexicon"


# -------------------------------------------------------------------------------- YAML reading
@cache
def _strict_loader() -> type[Any]:
    """A safe loader that refuses a key given twice in one mapping: YAML keeps the last one silently, and
    a second ``ar:`` in an entry would drop the first list of aliases without a word. Built on first use:
    a process that loads the compiled lexicon from the cache never parses YAML (importing it is ~20 ms)."""
    import yaml

    class _StrictLoader(yaml.SafeLoader):
        pass

    def no_duplicate_keys(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise LexiconError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    _StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, no_duplicate_keys)
    return _StrictLoader


def _read_yaml(name: str) -> dict[str, Any]:
    import yaml

    with (LEXICON_DIR / name).open(encoding="utf-8") as fh:
        try:
            data = yaml.load(fh, Loader=_strict_loader()) or {}  # noqa: S506 - a SafeLoader subclass
        except LexiconError as exc:
            raise LexiconError(f"{name}: {exc}") from None
    if not isinstance(data, dict):
        raise LexiconError(f"{name}: expected a mapping at top level")
    return data


# The modules whose code decides what a build produces: their source is part of the cache key, so a
# changed rule (a new variant, a normalizer fix, the term matcher's padding) can never be served an automaton
# built by the old one. This module is in it for the YAML reading and the key itself.
_BUILDER_SOURCES = ("lexicon.py", "model.py", "builder.py", "terms.py", "variants.py", "normalizer.py")


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
