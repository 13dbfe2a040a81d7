"""The one term matcher: where a normalized key counts as found in normalized text.

The lexicon's aliases (``bot.match.scanner.scan``) and a chat's watch and mute terms
(``bot.deliver.terms``) are both found here, so a watch term and the lexicon never disagree on the same
text. The rules, on the normalizer's matching view:

* A key must end where a token ends: ``h20`` is not found in ``h200``, and an Arabic word takes no
  suffix (``سميكة`` holds no ``سميك``).
* A key must start where a token starts, except that a key starting with an Arabic letter may carry
  Arabic proclitics (و ف ب ل ك, ال, لل and their combinations وال بال فال ولل وبال …): ``وللرقائق``,
  ``بإنفيديا``. A key whose head carries an attached pronoun (قائمتها) takes no article.
* Scripts separate tokens: the normalizer puts a space wherever Arabic letters touch Latin letters or
  digits, so ``لASML`` and ``H20ات`` hold ``asml`` and ``h20``.

The rules live in the automaton's keys, not in Python: the normalizer leaves only tokens separated by
single spaces, so every key is searched padded with spaces and, when Arabic, with each proclitic. A raw
match of the automaton is therefore always a valid match, and a scan does no per-hit boundary work.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any, TypeVar

import ahocorasick

from bot.match.normalizer import normalize_text

__all__ = ["NO_ARTICLE_PROCLITICS", "PROCLITICS", "arabic_key", "arabic_start", "build_automaton", "find"]

V = TypeVar("V")


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


def arabic_start(key: str) -> bool:
    """Whether ``key`` starts with an Arabic letter (and so may take proclitics)."""
    return bool(key) and ("\u0620" <= key[0] <= "\u064a" or "\u066e" <= key[0] <= "\u06d3")


def arabic_key(alias: str) -> str:
    """Normalized Arabic alias with the first word's article removed (the proclitics supply it back, so
    ``الصين`` is found in ``بالصين`` and ``صين`` alike)."""
    key = normalize_text(alias)
    first, _, rest = key.partition(" ")
    if first.startswith("ال") and len(first) >= 5:
        key = (first[2:] + " " + rest).strip()
    return key


def build_automaton(values: Mapping[str, tuple[V, ...]], no_article: Collection[str] = frozenset()) -> Any:
    """An Aho–Corasick automaton finding each normalized key of ``values`` under the rules above.

    Each key is added as `` key `` (``find`` pads the text with a space at each end) and, when it starts
    with an Arabic letter, also as `` <proclitic>key `` for every proclitic (only the article-free ones for
    a key in ``no_article``). The value of a padded key is a tuple of (key length, value) pairs: a padded
    key reachable from two keys (a proclitic + one key equal to another key) carries both.
    """
    values_at: dict[str, tuple[tuple[int, V], ...]] = {}
    for key, vals in values.items():
        # One value tuple per key, shared by all its padded forms (memory: ~20 forms per Arabic key).
        core = tuple((len(key), v) for v in vals)
        if not arabic_start(key):
            prefixes: tuple[str, ...] = ("",)
        else:
            prefixes = ("", *sorted(NO_ARTICLE_PROCLITICS if key in no_article else PROCLITICS))
        for pre in prefixes:
            padded = f" {pre}{key} "
            values_at[padded] = values_at[padded] + core if padded in values_at else core
    automaton = ahocorasick.Automaton()
    for padded, pairs in values_at.items():
        automaton.add_word(padded, pairs)
    automaton.make_automaton()
    return automaton


def find(automaton: Any, text: str) -> Iterator[tuple[int, int, Any]]:
    """Every (start, end, value) of a key found in normalized ``text`` (offsets into ``text``, end
    exclusive; the proclitics are not part of the span), in the order the keys end."""
    # A padded offset k is k - 1 in ``text``; the automaton reports the index of the key's closing space.
    for end_idx, pairs in automaton.iter(f" {text} "):
        e = end_idx - 1
        for length, value in pairs:
            yield e - length, e, value
