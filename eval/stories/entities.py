"""Entity ids for the story evaluation: ``bot.match.classify`` when it exists, else a tiny fallback.

The fallback is a *degraded* stand-in (a few dozen domain aliases, no spelling-variant
generation, no proclitic handling beyond substring search on folded text). Figures measured with
it say how clustering behaves with a weak matcher; the real figures come with ``bot.match``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.stories.text import normalize

# id → aliases (matched on normalized text; Arabic with optional proclitics in front).
_ALIASES: dict[str, tuple[str, ...]] = {
    "nvidia": ("nvidia", "انفيديا", "نفيديا"),
    "amd": ("amd",),
    "intel": ("intel", "انتل"),
    "huawei": ("huawei", "هواوي"),
    "cambricon": ("cambricon", "كامبريكون"),
    "asml": ("asml",),
    "tsmc": ("tsmc",),
    "samsung": ("samsung", "سامسونغ", "سامسونج"),
    "inspur": ("inspur", "انسبور"),
    "naura": ("naura", "ناورا"),
    "piotech": ("piotech", "بيوتك"),
    "mellanox": ("mellanox", "ميلانوكس"),
    "bytedance": ("bytedance", "بايت دانس"),
    "alibaba": ("alibaba", "علي بابا"),
    "tencent": ("tencent", "تينسنت"),
    "us": ("united states", "washington", "american", "الولايات المتحده", "واشنطن", "امريكي", "اميركي", "امريكا"),
    "china": ("china", "chinese", "beijing", "الصين", "بكين", "الصيني"),
    "trump": ("trump", "ترامب", "ترمب"),
    "xi-jinping": ("xi jinping", "xi", "شي جين", "شي"),
    "biden": ("biden", "بايدن"),
    "jensen-huang": ("jensen huang", "huang", "هوانغ", "هوانج"),
    "bessent": ("bessent", "بيسنت"),
    "lutnick": ("lutnick", "لوتنيك"),
    "commerce": ("commerce department", "commerce ministry", "وزاره التجاره"),
    "entity-list": ("entity list", "قائمه الكيانات", "القائمه السوداء"),
    "hbm": ("hbm", "high-bandwidth memory", "high bandwidth memory", "الذاكره عاليه النطاق"),
    "rare-earths": ("rare earth", "المعادن النادره", "ارضيه نادره", "الارضيه النادره"),
    "gallium": ("gallium", "الغاليوم", "الجاليوم"),
    "germanium": ("germanium", "الجرمانيوم"),
    "antimony": ("antimony", "الانتيمون"),
    "samarium": ("samarium", "الساماريوم"),
    "dysprosium": ("dysprosium", "الديسبروسيوم"),
    "magnets": ("magnet", "مغناطيس"),
    "netherlands": ("dutch", "netherlands", "the hague", "هولندا", "الهولنديه", "لاهاي"),
    "malaysia": ("malaysia", "ماليزيا", "الماليزيه"),
    "cac": ("cyberspace administration", "internet regulator", "الفضاء الالكتروني", "تنظيم الانترنت"),
    "samr": ("market regulation", "market regulator", "تنظيم السوق"),
    "congress": ("congress", "lawmakers", "house democrats", "الكونغرس", "النواب"),
    "diffusion-rule": ("diffusion rule", "ai diffusion", "قاعده نشر الذكاء"),
    "affiliates-rule": ("affiliates rule", "50% owned", "الشركات التابعه"),
    "tariffs": ("tariff", "الرسوم", "رسوم جمركيه"),
    "blackwell": ("blackwell", "بلاكويل"),
    "ascend": ("ascend", "اسيند"),
    "lithography": ("lithography", "الطباعه الحجريه"),
    "licence": ("licence", "license", "ترخيص", "تراخيص"),
    "antitrust": ("anti-monopoly", "antitrust", "الاحتكار"),
}


def _compile() -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for ent, aliases in _ALIASES.items():
        alts = "|".join(re.escape(normalize(a)) for a in sorted(aliases, key=len, reverse=True))
        # Arabic aliases may carry proclitics (و ب ل ال ...) in front.
        # Arabic suffixes (ة/ية/ون/ين) may follow; nothing else may extend a match.
        pat = rf"(?<!\w)(?:[وفبلك]?(?:ال|لل)?)(?:{alts})(?:ه|يه|ون|ين|ها)?(?!\w)"
        out.append((ent, re.compile(pat)))
    return out


_PATTERNS = _compile()


def fallback_entities(title: str, text: str = "") -> frozenset[str]:
    """Entity ids found by the degraded alias table."""
    s = normalize(f"{title}\n{text}")
    return frozenset(ent for ent, pat in _PATTERNS if pat.search(s))


def entity_extractor() -> tuple[Callable[[str, str, str | None], frozenset[str]], str]:
    """(extract(title, text, lang) → entity ids, name of the extractor used)."""
    try:
        from bot.match import classify  # type: ignore[attr-defined]
    except ImportError:
        return (lambda title, text, lang: fallback_entities(title, text)), "fallback (degraded)"

    def extract(title: str, text: str, lang: str | None) -> frozenset[str]:
        return frozenset(hit.id for hit in classify(title, text, lang=lang).entities)

    return extract, "bot.match.classify"


def matcher_available() -> bool:
    try:
        from bot.match import classify  # type: ignore[attr-defined]  # noqa: F401
    except ImportError:
        return False
    return True
