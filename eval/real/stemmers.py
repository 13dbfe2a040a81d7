"""``python -m eval.real.stemmers``: Arabic inflection handled by a stemmer or by the lexicon's suffix rules.

The question (issue 12): the press writes قائمتها السوداء, رقائقها, صادراتها — a list or product word with an
attached pronoun — and the matcher, which looks for whole words, missed them. Two ways to see through it:

* ``suffix rules`` (what the product does): the lexicon generates, for common nouns only (concept terms,
  lists, materials), the forms with an attached pronoun (``bot.match.variants.suffix_variants``), so the
  automaton still matches whole words and names are never touched;
* a stemmer from PyPI applied to both sides: every Arabic word of the text and of the aliases is replaced
  by its stem, and the automaton matches stems. Tried: the Snowball Arabic stemmer (PyStemmer, C; the
  ``snowballstemmer`` package runs the same algorithm and uses PyStemmer when installed) and Tashaphyne's
  light stemmer (pure Python).

Each is measured on the real-news corpus (relevance F1 per language, topic recall and precision) and for
speed (words a second). The stemmers are not project dependencies: install them in a scratch folder and
point ``$RAQIB_STEMMERS`` at it (``pip install --target DIR pystemmer tashaphyne``); a missing one is
reported and skipped. Span offsets are not kept in the stemmed runs (they only feed reasons and severity).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from unittest import mock

from eval.real import corpus
from eval.real.relevance import evaluate

Stem = Callable[[str], str]
SCAN_MODULE = "bot.match.evidence"  # the module whose ``normalize`` prepares a field for the scan
COLLISIONS: dict[int, list[str]] = {}  # per stemmer: curated aliases of two entries that stem alike
_SAMPLE = ["قائمتها", "السوداء", "رقائقها", "صادراتها", "الرقائق", "المتقدمة", "لائحتها", "سميكة", "إنفيديا"]


def _stemmers() -> dict[str, Stem | None]:
    extra = os.environ.get("RAQIB_STEMMERS")
    if extra and extra not in sys.path:
        sys.path.insert(0, extra)
    out: dict[str, Stem | None] = {}
    try:
        import Stemmer  # PyStemmer

        out["snowball (PyStemmer)"] = Stemmer.Stemmer("arabic").stemWord
    except ImportError:
        out["snowball (PyStemmer)"] = None
    try:
        from tashaphyne.stemming import ArabicLightStemmer

        light = ArabicLightStemmer()

        def tasha(word: str) -> str:
            light.light_stem(word)
            return str(light.get_stem())

        out["tashaphyne light stem"] = tasha
    except ImportError:
        out["tashaphyne light stem"] = None
    return out


def _stem_text(stem: Stem, text: str) -> str:
    return " ".join(stem(w) if "\u0620" <= w[:1] <= "\u064a" else w for w in text.split(" "))


Judge = Callable[[str, str, str], tuple[bool, tuple[str, ...], tuple[str, ...]]]


def _judge(stem: Stem | None, inflect: bool) -> Judge:
    import importlib

    from bot.match import builder as builder_module
    from bot.match import lexicon as lexicon_module
    from bot.match.classify import classify
    from bot.match.normalizer import Normalized, normalize

    def build() -> lexicon_module.Lexicon:
        read = lexicon_module._read_yaml
        return lexicon_module.build_lexicon(
            read("entities.yaml"), read("topics.yaml"), read("negatives.yaml"), inflect=inflect
        )

    if stem is None:
        lex = build()
        return lambda title, text, lang: _run(classify, lex, title, text, lang)

    original_key = builder_module.arabic_key

    def stemmed_key(alias: str) -> str:
        return _stem_text(stem, original_key(alias))

    def stemmed_normalize(value: str) -> Normalized:
        n = normalize(value)
        return Normalized(n.original, _stem_text(stem, n.text), n._src, n._s1, n._stage3)

    add_alias = builder_module._Builder._add_alias

    def tolerant_add_alias(self: builder_module._Builder, entry: lexicon_module.Entry, alias: str, lang: str,
                           **kw: bool) -> None:  # fmt: skip
        try:
            add_alias(self, entry, alias, lang, **kw)
        except lexicon_module.LexiconError as exc:  # two names stem alike (بايدن Biden / بايدو Baidu)
            COLLISIONS.setdefault(id(stem), []).append(str(exc))

    with (
        mock.patch.object(builder_module, "arabic_key", stemmed_key),
        mock.patch.object(builder_module._Builder, "_add_alias", tolerant_add_alias),
    ):
        lex = build()

    classify_module = importlib.import_module(SCAN_MODULE)

    def judge(title: str, text: str, lang: str) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
        with mock.patch.object(classify_module, "normalize", stemmed_normalize):
            return _run(classify, lex, title, text, lang)

    return judge


def _run(
    classify: Callable[..., object], lex: object, title: str, text: str, lang: str
) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    c = classify(title, text, lang, lex)
    return c.relevant, tuple(c.topics), tuple(c.reasons)  # type: ignore[attr-defined]


def _speed(stem: Stem) -> float:
    words = _SAMPLE * 2000
    t = time.perf_counter()
    for w in words:
        stem(w)
    return len(words) / (time.perf_counter() - t)


def main() -> int:
    folder = corpus.location()
    if folder is None:
        print("real-news corpus not found: skipped")
        return 0
    items = corpus.relevance(folder)
    modes: list[tuple[str, Stem | None, bool]] = [("whole words only", None, False), ("suffix rules", None, True)]
    for name, stem in _stemmers().items():
        if stem is None:
            print(f"{name}: not installed (set $RAQIB_STEMMERS to a folder that has it)")
        else:
            modes.append((name, stem, False))
    print("mode                      F1 ar   F1 en   topic R  topic P  words/s   قائمتها / سميكة / إنفيديا")
    for name, stem, inflect in modes:
        rep = evaluate(items, _judge(stem, inflect))
        f1 = rep.by_lang
        speed = f"{_speed(stem):>9,.0f}" if stem else "        –"
        sample = " / ".join(stem(w) for w in ("قائمتها", "سميكة", "إنفيديا")) if stem else "–"
        merged = len(COLLISIONS.get(id(stem), [])) if stem else 0
        print(
            f"{name:<25} {f1['ar'].f1:.3f}   {f1['en'].f1:.3f}   {rep.topics_micro.recall:.3f}    "
            f"{rep.topics_micro.precision:.3f}    {speed}   {sample}   names merged: {merged}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
