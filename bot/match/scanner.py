"""One pass of the lexicon's automaton over normalized text, then containment, vetoes and recognizers.

Where a key counts as found (token boundaries, Arabic proclitics, scripts as separate tokens) is the one term
matcher's rule, ``bot.match.terms``, which a chat's watch and mute terms use too: ``H20`` never matches inside
``H200``, ``سميكة`` is no SMIC, and ``وللرقائق``, ``بإنفيديا``, ``لASML``, ``H20ات`` all match. A raw hit of the
automaton is always a valid match, so the scan does no per-character or per-hit boundary work.

After scanning, a match contained in a longer match is dropped: ``export controls`` wins over
``export``, and the veto ``potato chips`` swallows ``chips``; a match that overlaps a veto is dropped too
(``المصنع رقائق`` in ``ينتج المصنع رقائق الألومنيوم``).

Recognizers add the field's codes: ECCNs (3A090, 4A090 ...), Federal Register citations
(90 FR 12345), generic chip model numbers (H800, MI308X) and process nodes (7nm).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.match import terms
from bot.match.model import Entry, Lexicon, Pattern
from bot.match.terms import PROCLITICS

__all__ = ["PROCLITICS", "RECOGNIZER_ENTRIES", "Hit", "drop_contained", "recognize", "scan"]


@dataclass(frozen=True, slots=True)
class Hit:
    pattern: Pattern
    start: int  # normalized offsets, end exclusive
    end: int


def scan(text: str, lexicon: Lexicon) -> list[Hit]:
    """All boundary-respecting, non-contained matches of the lexicon in normalized ``text``."""
    patterns = lexicon.patterns
    hits = [Hit(patterns[i], start, end) for start, end, i in terms.find(lexicon.automaton, text)]
    if _HAS_DIGIT.search(text):
        spans = {(h.start, h.end) for h in hits}
        hits.extend(h for h in recognize(text) if (h.start, h.end) not in spans)
    if len(hits) < 2:
        return hits
    kept = drop_contained(hits, lexicon)
    vetoes = [(h.start, h.end) for h in kept if h.pattern.entry == "veto"]
    if not vetoes:
        return kept
    # A vetoed word is in its other sense for every phrase that uses it: "ينتج المصنع رقائق الألومنيوم"
    # is a foil plant, so "المصنع رقائق" (a chip plant) overlapping the veto goes too.
    return [h for h in kept if h.pattern.entry == "veto" or not any(h.start < b and a < h.end for a, b in vetoes)]


def _swallows(outer: Hit, inner: Hit, lexicon: Lexicon | None) -> bool:
    """Whether a longer hit hides a hit inside it.

    A veto hides everything (``potato chips``); a phrase hides the words of the same entry and any
    plain term (``export controls`` hides ``export``; ``Taiwan Semiconductor`` hides
    ``semiconductor``) and the countries/places inside a name (``Tokyo Electron``). Entities inside a
    term phrase stay: ``export ban on gallium`` still names gallium.
    """
    o, i = outer.pattern.entry, inner.pattern.entry
    if o == "veto" or o == i:
        return True
    if lexicon is None:
        return True
    oe, ie = lexicon.entries.get(o), lexicon.entries.get(i)
    if ie is None:
        return oe is not None or o in ("veto", "offtopic") or o.startswith("sense:")
    if ie.kind == "term":
        return True
    if oe is not None and oe.kind != "term":
        return ie.kind in ("country", "place")
    return False


def drop_contained(hits: list[Hit], lexicon: Lexicon | None = None) -> list[Hit]:
    """Drop hits hidden inside a strictly longer hit (see ``_swallows``)."""
    hits.sort(key=lambda h: (h.start, -h.end))
    kept: list[Hit] = []
    active: list[Hit] = []
    reach = -1  # the furthest end among active hits
    for h in hits:
        if h.start >= reach:
            # Nothing active overlaps (the common case): no containment to check.
            kept.append(h)
            active = [h]
            reach = h.end
            continue
        active = [a for a in active if a.end > h.start]
        if any(
            a.start <= h.start and a.end >= h.end and (a.end - a.start) > (h.end - h.start) and _swallows(a, h, lexicon)
            for a in active
        ):
            continue
        kept.append(h)
        active.append(h)
        reach = max(reach, h.end)
    return kept


# ------------------------------------------------------------------------------- recognizers
RECOGNIZER_ENTRIES: dict[str, Entry] = {
    "eccn-code": Entry(
        "eccn-code", "regulation", "entity", 3.0, ("export-controls",), "رمز ECCN", "ECCN code", control=True
    ),
    "federal-register": Entry(
        "federal-register",
        "regulation",
        "entity",
        2.0,
        ("export-controls",),
        "السجل الفيدرالي",
        "Federal Register",
        control=True,
        primary=True,
    ),
    "chip-model": Entry("chip-model", "chip", "chip_weak", 0.4, ("ai-chips",), "طراز رقاقة", "chip model"),
    # "adds 36 Chinese entities", "قيودا على تصدير 28 شركة": companies counted as a group, the way lists
    # are reported; a cue (no evidence) that lets a US export action read as a listing.
    "listed-targets": Entry("listed-targets", "term", "target", 0.0, (), "شركات مدرجة", "listed companies"),
    # A process node is manufacturing (7nm Kirin): chip evidence, but no AI-chip topic by itself.
    "process-node": Entry("process-node", "term", "chip", 1.5, (), "عقدة تصنيع", "process node"),
}

# One regex, one pass; the group name says which recognizer fired.
_RECOGNIZER = re.compile(
    # ECCN: category digit, product group A-E, three digits (3A090, 4A090, 3B001, 5A002).
    r"(?<![a-z0-9])(?:(?P<eccn>[0-9][a-e][0-9]{3}(?![0-9]))"
    # Federal Register: volume, FR, page (90 FR 12345).
    r"|(?P<fr>[0-9]{2,3} fr [0-9]{3,6}(?![0-9]))"
    # Chip model numbers not in the lexicon by name (H800, MI308X, GB300).
    r"|(?P<model>(?:h|gb|mi)[0-9]{2,3}[a-z]?(?![a-z0-9]))"
    # Process nodes (7nm, 5 nm, 3 نانومتر).
    r"|(?P<node>(?<!\.)[0-9]{1,2} ?(?:nm|نانومتر|نانو متر)(?![a-z\u0620-\u064a]))"
    # Companies counted as a group (36 Chinese entities, 28 شركة صينية, 10 شركات).
    r"|(?P<targets>[0-9]{1,4} (?:(?:more|new|other|additional) )?(?:chinese |foreign )?"
    r"(?:companies|entities|firms|organizations|organisations)(?![a-z])"
    r"|[0-9]{1,4} (?:شركه|شركات|كيانا|كيانات|مؤسسه|مؤسسات|جهه|جهات)(?![\u0620-\u064a])))"
)
_GROUP_ENTRY = {
    "eccn": "eccn-code", "fr": "federal-register", "model": "chip-model", "node": "process-node",
    "targets": "listed-targets",
}  # fmt: skip
_HAS_DIGIT = re.compile(r"[0-9]")


_DIGIT_RUN = re.compile("[0-9]+")


def recognize(text: str) -> list[Hit]:
    """Codes found by the recognizer regex, tried only where digits are (every code has some): at a
    digit run and one or two characters before it (the h/gb/mi prefix of a model number)."""
    out: list[Hit] = []
    done = -1  # end of the last code found: digit runs inside it are not tried again
    match = _RECOGNIZER.match
    for d in _DIGIT_RUN.finditer(text):
        p = d.start()
        if p < done:
            continue
        for start in (p - 2, p - 1, p):
            if start < 0 or start < done:
                continue
            m = match(text, start)
            if m is not None:
                eid = _GROUP_ENTRY[m.lastgroup or "eccn"]
                out.append(Hit(Pattern(m.group(0), eid, m.group(0), "recognizer", False, ""), m.start(), m.end()))
                done = m.end()
                break
    return out
