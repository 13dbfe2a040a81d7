"""Spelling variants generated from curated aliases at lexicon build time.

Arabic renderings of foreign names vary in regular ways. The normalizer already folds the
orthographic ones (hamza forms, ى/ي, ة/ه, ڤ/ف, پ/ب, گ/ك), so one pattern covers them. The
correspondences it cannot fold are generated here, one change at a time, from each curated
Arabic alias (never from the Latin name: Arabic follows pronunciation, not spelling):

* ``g``    غ / ج / ق / ك for a g sound written with غ or ج (بينغ/بينج, هوانغ/هوانج)
* ``ng``   a final -ng as نغ / نج / نك
* ``drop`` a long vowel (ا و ي) written or dropped inside a word (ترامب/ترمب, فاينانشال/فايننشال)
* ``add``  a long vowel ا or ي inserted between two consonants (بيسنت/بيسينت)
* ``alef`` an initial alef dropped (إنفيديا/نفيديا)

Each variant carries the rule and the alias it came from. Variants that are real Arabic words
(Zipf frequency >= ``REAL_WORD_ZIPF`` in wordfreq's offline Arabic list, compared after our own
normalization) are dropped: هاوي "amateur" is no Huawei.

Latin aliases get: letter-by-letter Arabic readings of acronyms and model numbers (TSMC -> تي اس ام سي,
H20 -> اتش 20), the letter O typed for a zero (H2OO for H200; filtered against English words so
H2O, water, never becomes H20), and plurals of model numbers (H20s).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from bot.match.normalizer import normalize_text

REAL_WORD_ZIPF = 3.0
_MIN_ZIPF_FREQ = 10 ** (REAL_WORD_ZIPF - 9)  # zipf = log10(freq * 1e9)
_NATIVE_FREQ = 10 ** (4.45 - 9)
MAX_WORDS_FOR_VARIANTS = 3  # longer aliases are translated descriptions, not transliterated names

_VOWELS = set("اوي")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_G_LETTERS = "غجقك"

# Arabic names of Latin letters as read aloud; the first is the common one.
_LETTER_NAMES: dict[str, tuple[str, ...]] = {
    "a": ("ايه", "اي"),
    "b": ("بي",),
    "c": ("سي",),
    "d": ("دي",),
    "e": ("اي",),
    "f": ("اف",),
    "g": ("جي",),
    "h": ("اتش", "ايتش"),
    "i": ("اي",),
    "j": ("جيه", "جي"),
    "k": ("كيه", "كي"),
    "l": ("ال",),
    "m": ("ام",),
    "n": ("ان",),
    "o": ("او",),
    "p": ("بي",),
    "q": ("كيو",),
    "r": ("ار",),
    "s": ("اس",),
    "t": ("تي",),
    "u": ("يو",),
    "v": ("في",),
    "w": ("دبليو",),
    "x": ("اكس",),
    "y": ("واي",),
    "z": ("زد", "زي"),
}
# Letters whose Arabic name is a function word: "في 100" is "in 100", not V100.
_FUNCTION_WORD_LETTERS = set("eilnov")
_SPELLABLE = re.compile(r"^([a-z]{1,5})(\d{0,4})$")


@lru_cache(maxsize=1)
def _arabic_real_words() -> dict[str, float]:
    """Normalized Arabic words at or above REAL_WORD_ZIPF in wordfreq (offline data) -> frequency."""
    from wordfreq import get_frequency_dict

    words: dict[str, float] = {}
    for word, freq in get_frequency_dict("ar").items():
        if freq < _MIN_ZIPF_FREQ:
            continue
        key = normalize_text(word)
        words[key] = max(freq, words.get(key, 0.0))
    return words


def is_real_arabic_word(word: str) -> bool:
    """True for a word of ordinary Arabic (after normalization), which a variant must never be."""
    return word in _arabic_real_words()


def _is_native_word(word: str) -> bool:
    # Very common words (شركة, قائمة, الدولية) are Arabic vocabulary, not transliterations: their
    # spelling does not vary, so they get no variants. Names sit below this line (ترامب is 4.39).
    return _arabic_real_words().get(word, 0.0) >= _NATIVE_FREQ or word.startswith(("ال", "لل"))


def release_word_lists() -> None:
    """Drop the word lists the build read (ours and wordfreq's own caches: ~100 MB of dicts).

    Only the build reads them; a process that built the lexicon would otherwise hold them for its whole
    life (a cold-cache parse worker: ~320 MB instead of ~150). The next build reads them again (~0.5 s)."""
    import wordfreq

    _arabic_real_words.cache_clear()
    wordfreq.get_frequency_list.cache_clear()
    wordfreq.get_frequency_dict.cache_clear()
    wordfreq._wf_cache.clear()  # its memo of word_frequency(): module-private, no public way to clear it


def _is_real_english(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") >= 2.0


def _word_variants(word: str) -> Iterator[tuple[str, str]]:
    """(variant, rule) for one normalized Arabic word; the word itself is not yielded."""
    n = len(word)
    if n < 3 or not _ARABIC_LETTER.match(word):
        return
    for i, ch in enumerate(word):
        if ch in "غج":
            for alt in _G_LETTERS:
                if alt != ch:
                    yield word[:i] + alt + word[i + 1 :], "g"
    for end in ("نغ", "نج", "نك", "نق"):
        if word.endswith(end):
            for alt in ("نغ", "نج", "نك"):
                if alt != end:
                    yield word[:-2] + alt, "ng"
    for i in range(1, n - 1):
        if word[i] in _VOWELS and word[i - 1] not in _VOWELS and n > 3:
            yield word[:i] + word[i + 1 :], "drop"
    if n >= 4:
        for i in range(1, n - 1):
            if word[i - 1] not in _VOWELS and word[i] not in _VOWELS:
                for v in "اي":
                    yield word[:i] + v + word[i:], "add"
    if n >= 5 and word[0] == "ا" and word[1] not in _VOWELS:
        yield word[1:], "alef"


def arabic_variants(alias: str) -> dict[str, str]:
    """Variants of a normalized Arabic alias -> the rule that made each; real words filtered out.

    One word changes at a time, which keeps the set small (linear in the alias length) and each
    variant explainable by a single rule.
    """
    words = alias.split(" ")
    out: dict[str, str] = {}
    if len(words) > MAX_WORDS_FOR_VARIANTS:
        return out
    for i, word in enumerate(words):
        if _is_native_word(word):
            continue
        for variant, rule in _word_variants(word):
            if is_real_arabic_word(variant):
                continue
            key = " ".join([*words[:i], variant, *words[i + 1 :]])
            if key != alias:
                out.setdefault(key, rule)
    return out


def article_variants(alias: str) -> dict[str, str]:
    """Multi-word Arabic aliases with the article ال added or removed on the later words.

    قائمة الكيانات / قائمة كيانات; the first word's article is handled by proclitics at match time.
    """
    words = alias.split(" ")
    out: dict[str, str] = {}
    for i in range(1, len(words)):
        w = words[i]
        if not _ARABIC_LETTER.match(w):
            continue
        if w.startswith("ال"):
            if len(w) >= 5:
                out[" ".join([*words[:i], w[2:], *words[i + 1 :]])] = "article"
        elif len(w) >= 3 and w[0] not in "لبك":  # لصناعة already carries a preposition
            out[" ".join([*words[:i], "ال" + w, *words[i + 1 :]])] = "article"
    return out


# Attached pronouns (its/her, their, its/his). The press writes "قائمتها السوداء" (its
# blacklist), "رقائقها" (its chips), "صادراتها" (its exports): a list or product word owned by the
# actor named before it. ي "my" is left out: it would turn nouns into nisba adjectives (صيني).
# Only third persons: news reports what "it"/"they" did (قائمتها، صادراتهم); "our"/"your" forms and the
# dual are rare in reporting and would double the automaton.
PRONOUN_SUFFIXES = ("ها", "هم", "ه")
_CARRIES_PRONOUN = ("تها", "تهم", "تهما", "تنا", "تكم", "قها", "قهم")  # a curated form that has one already


def _suffixed(word: str) -> Iterator[str]:
    """``word`` with each attached pronoun; ة (normalized to ه) is written ت before a suffix."""
    if len(word) < 3 or not _ARABIC_LETTER.match(word) or word.endswith(_CARRIES_PRONOUN):
        return
    if word.endswith("ه"):  # ة, folded to ه by the normalizer
        for suffix in PRONOUN_SUFFIXES:
            yield word[:-1] + "ت" + suffix
        return
    for suffix in PRONOUN_SUFFIXES:
        # Not ه here: معالج + ه would read as معالجة "treatment", since the normalizer folds ة to ه.
        if suffix != "ه":
            yield word + suffix


def suffix_variants(alias: str) -> dict[str, str]:
    """Normalized Arabic alias (first word's article already removed) with an attached pronoun.

    The pronoun goes on the head noun: the first word of a noun + adjective phrase (القائمة السوداء ->
    قائمتها السوداء) or the last word of a two-word construct (تصدير الرقائق -> تصدير رقائقها), which
    then loses its article. Only common nouns take it (``bot.match.lexicon`` skips proper names).
    """
    words = alias.split(" ")
    out: dict[str, str] = {}
    for form in _suffixed(words[0]):
        out[" ".join([form, *words[1:]])] = "suffix"
    if len(words) == 2 and words[1].startswith("ال") and len(words[1]) >= 5:
        for form in _suffixed(words[1][2:]):
            out[f"{words[0]} {form}"] = "suffix"
    return out


def english_plural(alias: str, written: str) -> dict[str, str]:
    """The plural of a one-word acronym or product name (HBMs, TPUs), unless it is an English word.

    ``alias`` is normalized, ``written`` as curated: only names written with capitals (HBM, DRAM)
    are acronyms; lower-case concept words list their plurals themselves."""
    if " " in alias or len(alias) < 2 or not alias.isascii() or alias.endswith("s") or not alias[-1].isalpha():
        return {}
    if written == written.lower():
        return {}
    plural = alias + "s"
    return {} if _is_real_english(plural) else {plural: "plural"}


def spelled_arabic(latin_alias: str) -> dict[str, str]:
    """Letter-by-letter Arabic readings of a Latin acronym or model number (normalized input)."""
    m = _SPELLABLE.match(latin_alias)
    if not m:
        return {}
    letters, digits = m.groups()
    if len(letters) == 1 and letters in _FUNCTION_WORD_LETTERS:
        return {}
    if not digits and len(letters) < 2:
        return {}
    forms = [""]
    for ch in letters:
        forms = [f"{f} {name}".strip() for f in forms for name in _LETTER_NAMES[ch]]
    out: dict[str, str] = {}
    for form in forms:
        if digits:
            out[f"{form} {digits}"] = "spelled"
            out[f"{form}{digits}"] = "spelled"
        else:
            out[form] = "spelled"
    return {normalize_text(k): v for k, v in out.items()}


def latin_variants(alias: str, *, model: bool) -> dict[str, str]:
    """Typo and plural variants of a normalized Latin alias (model numbers only)."""
    out: dict[str, str] = {}
    if not model or " " in alias or not re.search(r"\d", alias):
        return out
    zeros = [i for i, c in enumerate(alias) if c == "0"]
    if 0 < len(zeros) <= 3:
        for mask in range(1, 1 << len(zeros)):
            chars = list(alias)
            for bit, pos in enumerate(zeros):
                if mask >> bit & 1:
                    chars[pos] = "o"
            typo = "".join(chars)
            if not _is_real_english(typo):
                out[typo] = "letter-o"
    if alias[-1].isdigit():
        out[alias + "s"] = "plural"
    return out
