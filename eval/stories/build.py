"""Build ``pairs.jsonl`` from the hand-written articles (``python -m eval.stories.build``).

Deterministic: the same articles always give the same file. Syndicated copies are produced with the
edits real republishers make (headline swapped for another outlet's, "Read more"/"اقرأ أيضا" block,
byline and copyright lines, last paragraph cut); exact copies are the same article under a URL
variant (AMP, tracking parameters, another feed of the same site).
"""

from __future__ import annotations

import json
import random
import zlib
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

from eval.stories.articles import BOILERPLATE_PAIRS, EVENTS, SOURCES, Article

HERE = Path(__file__).resolve().parent
OUT = HERE / "pairs.jsonl"

_READ_MORE = {
    "en": [
        "Read more: Stocks close higher as oil prices ease",
        "Related: Ten gadgets worth buying this summer",
        "READ MORE: Central bank holds rates steady",
    ],
    "ar": [
        "اقرأ أيضا: أسعار الذهب تتراجع مع صعود الدولار",
        "اقرأ أيضاً..\nمنتخب الشباب يتأهل إلى نهائي البطولة",
        "اقرأ أيضا: موعد صرف رواتب شهر سبتمبر",
    ],
}
_BYLINE = {"en": "By Staff Reporter", "ar": "كتب: محرر الشؤون الاقتصادية"}
_FOOTER = {
    "en": "© 2025 Daily Brief. All rights reserved.",
    "ar": "جميع الحقوق محفوظة © 2025 أخبار 24",
}
_MIRRORS = {"en": ("dailybrief", "https://dailybrief.example/"), "ar": ("akhbar24", "https://akhbar24.example/")}


def _slug(event: str, version: str) -> str:
    return f"{event}-{version}"


def _doc(art: Article, lang: str, published: datetime, url: str, source: str | None = None) -> dict[str, Any]:
    src, title, text = art
    return {
        "title": title,
        "text": text,
        "lang": lang,
        "url": url,
        "published": published.isoformat(),
        "source": source or src,
    }


def _url(source: str, slug: str) -> str:
    return f"{SOURCES[source]}news/{slug}"


def _syndicate(art: Article, lang: str, rng: random.Random, other_title: str | None) -> tuple[Article, str]:
    """A republished copy with 2-3 typical edits; returns the copy and a note naming the edits."""
    src, title, text = art
    paras = text.split("\n\n")
    edits: list[str] = []
    if other_title and rng.random() < 0.6:
        title, _ = other_title, edits.append("headline rewritten")
    elif rng.random() < 0.5:
        title = ("UPDATE 1-" if lang == "en" else "بالتفاصيل.. ") + title
        edits.append("headline prefix")
    if rng.random() < 0.7:
        paras.insert(1, rng.choice(_READ_MORE[lang]))
        edits.append("read-more block")
    if len(paras) >= 3 and rng.random() < 0.6:
        paras = paras[:-1]
        edits.append("last paragraph cut")
    if rng.random() < 0.6:
        paras = [_BYLINE[lang], *paras, _FOOTER[lang]]
        edits.append("byline and copyright")
    if rng.random() < 0.5:
        paras = [_copy_edit(p, lang, rng) for p in paras]
        edits.append("copy-edited words")
    if not edits:
        paras = [_BYLINE[lang], *paras]
        edits.append("byline")
    return (src, title, "\n\n".join(paras)), ", ".join(edits)


_COPY_EDITS = {
    "en": [
        (" said on ", " said "),
        ("Chinese", "China's"),
        (" about ", " roughly "),
        (" also ", " "),
        ("the United States", "the US"),
        (" would ", " will "),
    ],
    "ar": [
        ("قالت ", "أفادت "),
        ("قال ", "أفاد "),
        ("يوم ", ""),
        ("نحو ", "قرابة "),
        ("الأمريكية", "الأميركية"),
        ("أيضا", "كذلك"),
    ],
}


def _copy_edit(para: str, lang: str, rng: random.Random) -> str:
    """A sub-editor's touch: a few words swapped, like republishers' house style."""
    for old, new in _COPY_EDITS[lang]:
        if rng.random() < 0.7:
            para = para.replace(old, new)
    return para


def build() -> list[dict[str, Any]]:
    rng = random.Random(20250815)
    pairs: list[dict[str, Any]] = []

    def add(kind: str, a: dict[str, Any], b: dict[str, Any], nd: bool, same: bool, note: str) -> None:
        pairs.append(
            {
                "id": f"{kind}-{len(pairs) + 1:03d}",
                "kind": kind,
                "a": a,
                "b": b,
                "near_duplicate": nd,
                "same_story": same,
                "note": note,
            }
        )

    docs: dict[tuple[str, str], dict[str, Any]] = {}
    for ev, spec in EVENTS.items():
        t0 = datetime.fromisoformat(str(spec["date"]))
        for i, version in enumerate(("en1", "ar1", "en2", "ar2")):
            art = spec.get(version)
            if art is None:
                continue
            lang = version[:2]
            published = t0 + timedelta(minutes=37 * i + rng.randint(0, 200))
            docs[(ev, version)] = _doc(art, lang, published, _url(art[0], _slug(ev, version)))  # type: ignore[arg-type]

    # exact copies: the same article under a URL variant or in a second feed of the same site
    variants = [
        ("{u}?utm_source=rss&utm_medium=feed", "tracking parameters"),
        ("{u}/amp/", "AMP variant"),
        ("{u}#comments", "fragment"),
        ("https://news.google.com/rss/articles/CBMi{h}?oc=5", "aggregator link"),
    ]
    for n, ((ev, version), doc) in enumerate(sorted(docs.items())):
        if n % 4 != 0:
            continue
        tmpl, what = variants[(n // 4) % len(variants)]
        b = dict(doc)
        b["url"] = tmpl.format(u=doc["url"], h=zlib.crc32(ev.encode()))
        b["published"] = (datetime.fromisoformat(doc["published"]) + timedelta(minutes=5)).isoformat()
        b["source"] = doc["source"] + ("-google-news" if "google" in b["url"] else "-tech-feed")
        add("exact", doc, b, True, True, f"{ev}/{version}: same article, {what}")

    # syndicated edits: every article is republished once by a mirror outlet
    for (ev, version), doc in sorted(docs.items()):
        lang = version[:2]
        other = "en2" if version == "en1" else "en1" if version == "en2" else "ar2" if version == "ar1" else "ar1"
        other_doc = docs.get((ev, other))
        art: Article = (doc["source"], doc["title"], doc["text"])
        copy, edits = _syndicate(art, lang, rng, other_doc["title"] if other_doc else None)
        mirror, home = _MIRRORS[lang]
        published = datetime.fromisoformat(doc["published"]) + timedelta(minutes=rng.randint(20, 300))
        b = _doc(copy, lang, published, f"{home}{rng.randint(10000, 99999)}", mirror)
        add("syndicated", doc, b, True, True, f"{ev}/{version}: {edits}")

    # the same event told by two outlets in the same language
    for ev in EVENTS:
        for x, y in (("en1", "en2"), ("ar1", "ar2")):
            if (ev, x) in docs and (ev, y) in docs:
                add("same-event", docs[(ev, x)], docs[(ev, y)], False, True, f"{ev}: {x} vs {y}")

    # the same event in Arabic and English
    for ev in EVENTS:
        for x, y in (("en1", "ar1"), ("en2", "ar2"), ("en1", "ar2"), ("en2", "ar1")):
            if (ev, x) in docs and (ev, y) in docs:
                add("cross-language", docs[(ev, x)], docs[(ev, y)], False, True, f"{ev}: {x} vs {y}")

    # hard negatives: sibling events sharing entities, and follow-ups days later
    for ev, spec in EVENTS.items():
        rel_kind, others = None, []
        if spec.get("sibling_of"):
            rel_kind, others = "negative-shared-entities", list(spec["sibling_of"])  # type: ignore[arg-type]
        elif spec.get("follow_up_of"):
            rel_kind, others = "follow-up", [str(spec["follow_up_of"])]
        for other in others:
            for x, y in (("en1", "en1"), ("ar1", "ar1"), ("en1", "ar1"), ("ar1", "en1"), ("en2", "en1")):
                if (other, x) in docs and (ev, y) in docs:
                    note = f"{other}/{x} vs {ev}/{y}"
                    add(rel_kind, docs[(other, x)], docs[(ev, y)], False, False, note)  # type: ignore[arg-type]

    # unrelated: different events, no relation declared
    related = {
        frozenset((ev, str(o)))
        for ev, spec in EVENTS.items()
        for o in [*spec.get("sibling_of", []), spec.get("follow_up_of")]  # type: ignore[list-item]
        if o
    }
    candidates = [(a, b) for a, b in combinations(sorted(EVENTS), 2) if frozenset((a, b)) not in related]
    for a, b in rng.sample(candidates, 16):
        x, y = rng.choice((("en1", "en1"), ("ar1", "ar1"), ("en1", "ar1")))
        add("unrelated", docs[(a, x)], docs[(b, y)], False, False, f"{a}/{x} vs {b}/{y}")
    for lang, art_a, art_b in BOILERPLATE_PAIRS:
        t = datetime.fromisoformat("2025-09-01T08:00:00+00:00")
        da = _doc(art_a, lang, t, _url(art_a[0], "live-1"))
        db = _doc(art_b, lang, t + timedelta(hours=2), _url(art_b[0], "live-2"))
        add("unrelated", da, db, False, False, f"identical boilerplate title {art_a[1]!r}, different news")
    return pairs


def main() -> None:
    pairs = build()
    with OUT.open("w", encoding="utf-8") as fh:
        for p in pairs:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    kinds: dict[str, int] = {}
    for p in pairs:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    print(f"wrote {len(pairs)} pairs to {OUT}: {kinds}")


if __name__ == "__main__":
    main()
