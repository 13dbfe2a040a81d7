"""``python -m eval.mojibake``: how well ``bot.text.mojibake`` finds and repairs text read in the
wrong charset, and what ftfy and charset-normalizer do on the same cases.

Clean text: the titles and bodies of the labeled sets (``eval/match`` dev and holdout, ``eval/stories``)
and the sentences of ``texts.yaml`` (Arabic, English, and Latin-script languages with accents). Every
detection on clean text is a false alarm; every change to it a false repair (good news corrupted).
Garbled text: each clean text garbled in each known way; a repair must give back the clean text exactly.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml

from bot.text import mojibake

HERE = Path(__file__).resolve().parent
EVAL = HERE.parent

SLOPPY_1252 = mojibake._SLOPPY_1252


def _sloppy(data: bytes) -> str:
    return "".join(SLOPPY_1252[b] for b in data)


# how a clean text is garbled: name → (function, what a good outcome is)
GARBLE: dict[str, Callable[[str], str]] = {
    "utf-8 read as windows-1256": lambda t: t.encode().decode("cp1256"),
    "utf-8 read as latin-1": lambda t: t.encode().decode("latin-1"),
    "utf-8 read as windows-1252": lambda t: _sloppy(t.encode()),
    "windows-1256 read as latin-1": lambda t: t.encode("cp1256").decode("latin-1"),
    "windows-1256 read as windows-1252": lambda t: _sloppy(t.encode("cp1256")),
    "windows-1256 read as utf-8": lambda t: t.encode("cp1256").decode("utf-8", "replace"),
}


def corpus() -> dict[str, list[str]]:
    """Clean texts by set: 'tuning' (what the thresholds were chosen on) and 'held out'."""
    texts = yaml.safe_load((HERE / "texts.yaml").read_text(encoding="utf-8"))
    tuning = [t for group in texts.values() for t in group]
    held: list[str] = []
    for line in (EVAL / "match" / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        tuning += [row["title"], row["text"]]
    for line in (EVAL / "match" / "holdout.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        held += [row["title"], row["text"]]
    for line in (EVAL / "stories" / "pairs.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        held += [row[s][f] for s in ("a", "b") for f in ("title", "text")]
    return {"tuning": [t for t in tuning if t], "held out": [t for t in dict.fromkeys(held) if t]}


def _timed(fn: Callable[[str], object], texts: list[str]) -> float:
    start = time.perf_counter()
    for t in texts:
        fn(t)
    return (time.perf_counter() - start) / max(len(texts), 1) * 1e6


def measure_ours(sets: dict[str, list[str]]) -> int:
    worst = 0
    for name, clean in sets.items():
        alarms = [t for t in clean if mojibake.signature(t)]
        changed = [t for t in clean if mojibake.repair(t).text != t]
        print(f"clean, {name}: {len(clean)} texts, {len(alarms)} flagged, {len(changed)} changed")
        for t in (alarms + changed)[:5]:
            print(f"    false: {t[:80]!r} → {mojibake.repair(t)}")
        worst = max(worst, len(changed))
    clean = [t for texts in sets.values() for t in texts]
    print(f"\n{'garbled as':36} {'cases':>6} {'repaired':>9} {'flagged':>8} {'missed':>7} {'wrong':>6}")
    for how, garble in GARBLE.items():
        outcome: Counter[str] = Counter()
        for t in clean:
            try:
                bad = garble(t)
            except UnicodeEncodeError:
                continue  # a character windows-1256 cannot hold: no such feed exists
            if bad == t:
                continue  # ASCII: nothing to garble
            fixed = mojibake.repair(bad)
            if fixed.text == t:
                outcome["repaired"] += 1
            elif fixed.text != bad:
                outcome["wrong"] += 1
            elif fixed.garbled:
                outcome["flagged"] += 1
            else:
                outcome["missed"] += 1
        counts = " ".join(f"{outcome[k]:>{len(k) + 1}}" for k in ("repaired", "flagged", "missed", "wrong"))
        print(f"{how:36} {sum(outcome.values()):6} {counts}")
        worst = max(worst, outcome["wrong"])
    arabic = [t for t in clean if mojibake._ARABIC_LETTER.search(t)]
    bad = [GARBLE["utf-8 read as windows-1256"](t) for t in arabic]
    print(
        f"\ntime per text (µs): clean Arabic {_timed(mojibake.repair, arabic):.1f}, "
        f"clean other {_timed(mojibake.repair, [t for t in clean if t not in set(arabic)]):.1f}, "
        f"garbled Arabic {_timed(mojibake.repair, bad):.1f}"
    )
    return worst


def measure_libraries(sets: dict[str, list[str]]) -> None:
    """What ftfy (repairs text) and charset-normalizer (guesses a charset from bytes) make of the same cases."""
    try:
        import charset_normalizer
        import ftfy
    except ImportError as exc:  # both come with trafilatura and wordfreq today; not our dependencies
        print(f"\nlibraries not measured: {exc}")
        return
    clean = [t for texts in sets.values() for t in texts]
    arabic = [t for t in clean if mojibake._ARABIC_LETTER.search(t)]
    print("\nftfy.fix_encoding (repaired / changed clean text):")
    changed = sum(ftfy.fix_encoding(t) != t for t in clean)
    print(f"    clean: {changed} of {len(clean)} changed; {_timed(ftfy.fix_encoding, arabic):.1f} µs per Arabic text")
    for how in ("utf-8 read as windows-1256", "utf-8 read as latin-1", "windows-1256 read as latin-1"):
        cases = []
        for t in arabic:
            try:
                cases.append((t, GARBLE[how](t)))
            except UnicodeEncodeError:
                continue
        ok = sum(ftfy.fix_encoding(bad) == t for t, bad in cases)
        print(f"    {how}: {ok} of {len(cases)} repaired")
    print("charset_normalizer.from_bytes (right charset guessed):")
    sample = arabic[:80]
    for label, encode, right in (
        ("Arabic in windows-1256", lambda t: t.encode("cp1256"), {"cp1256", "windows_1256"}),
        ("Arabic in utf-8", lambda t: t.encode(), {"utf_8", "ascii"}),
    ):
        good, total, start = 0, 0, time.perf_counter()
        for t in sample:
            try:
                data = encode(t)
            except UnicodeEncodeError:
                continue
            best = charset_normalizer.from_bytes(data).best()
            total += 1
            good += bool(best and best.encoding in right)
        per = (time.perf_counter() - start) / max(total, 1) * 1e3
        print(f"    {label}: {good} of {total}, {per:.1f} ms per text")
    latin = yaml.safe_load((HERE / "texts.yaml").read_text(encoding="utf-8"))["latin"]
    good = 0
    for t in latin:
        best = charset_normalizer.from_bytes(t.encode("cp1252", "replace")).best()
        good += bool(best and best.encoding in {"cp1252", "latin_1", "iso8859_15"})
    print(f"    Latin text in windows-1252: {good} of {len(latin)}")


def main(argv: list[str] | None = None) -> int:
    sets = corpus()
    worst = measure_ours(sets)
    if "--libraries" in (argv if argv is not None else sys.argv[1:]):
        measure_libraries(sets)
    return 1 if worst else 0


if __name__ == "__main__":
    sys.exit(main())
