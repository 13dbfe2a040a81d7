"""Text and JSON-lines front ends of the matcher, for `raqib match` and `raqib classify`."""

from __future__ import annotations

import json
from typing import IO, Any

from bot.match.classify import Classification, classify
from bot.match.model import Lexicon

BOLD = "\033[1m"
RESET = "\033[0m"


def highlight(text: str, spans: list[tuple[int, int]], *, ansi: bool = False) -> str:
    """``text`` with each span wrapped in [brackets] (or ANSI bold); overlapping spans are merged."""
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    open_, close = (BOLD, RESET) if ansi else ("[", "]")
    out: list[str] = []
    last = 0
    for s, e in merged:
        out.append(text[last:s] + open_ + text[s:e] + close)
        last = e
    out.append(text[last:])
    return "".join(out)


def explain(text: str, *, ansi: bool = False, lexicon: Lexicon | None = None) -> str:
    """Human-readable explanation of how one text (treated as a title) is classified."""
    c = classify(text, "", lexicon=lexicon)
    spans = [(h.start, h.end) for h in c.entities]
    lines = [
        highlight(text, spans, ansi=ansi),
        f"relevant: {'yes' if c.relevant else 'no'}  score: {c.score:.2f}  severity: {c.severity or '-'}",
        f"topics: {', '.join(c.topics) or '-'}",
        "entities: " + (", ".join(f"{h.id} '{h.text}'" for h in c.entities) or "-"),
        "reasons:",
        *(f"  - {r}" for r in c.reasons),
    ]
    return "\n".join(lines)


def to_json(c: Classification) -> dict[str, Any]:
    return {
        "relevant": c.relevant,
        "score": c.score,
        "severity": c.severity,
        "topics": list(c.topics),
        "entities": [
            {"id": h.id, "text": h.text, "start": h.start, "end": h.end, "field": h.field} for h in c.entities
        ],
        "reasons": list(c.reasons),
    }


def classify_json_lines(in_stream: IO[str], out_stream: IO[str], lexicon: Lexicon | None = None) -> int:
    """`raqib classify`: one JSON object per input line -> one JSON line per input, in order.

    Input lines are ``{"title": ..., "text": ..., "lang": optional}``. A bad line (not JSON, not an
    object, non-string fields) yields ``{"error": "..."}`` and processing continues. Blank lines are
    skipped. Returns the number of error lines written.
    """
    errors = 0
    for lineno, line in enumerate(in_stream, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("expected a JSON object")
            title, text, lang = obj.get("title", ""), obj.get("text", ""), obj.get("lang")
            if title is None:
                title = ""
            if text is None:
                text = ""
            if not isinstance(title, str) or not isinstance(text, str):
                raise ValueError("'title' and 'text' must be strings")
            if lang is not None and not isinstance(lang, str):
                raise ValueError("'lang' must be a string")
            result: dict[str, Any] = to_json(classify(title, text, lang, lexicon))
        except (ValueError, RecursionError) as exc:
            errors += 1
            result = {"error": f"line {lineno}: {exc}"}
        out_stream.write(json.dumps(result, ensure_ascii=False) + "\n")
        out_stream.flush()
    return errors
