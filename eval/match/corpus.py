"""Load and validate the labeled matcher corpus (one JSON object per line).

Schema of a line::

    {"id": "ar-dev-001", "lang": "ar" | "en", "title": str, "text": str,
     "relevant": bool, "topics": [topic ids], "severity": "critical" | "high" | "normal" | null,
     "note": str}

``dev.jsonl`` is for development; ``holdout.jsonl`` measures generalisation and must never be used to
tune the matcher.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPLITS: dict[str, Path] = {"dev": HERE / "dev.jsonl", "holdout": HERE / "holdout.jsonl"}

# The matcher's topic ids (issue 3, "Lexicon as data"); the corpus may use no others.
TOPICS: tuple[str, ...] = (
    "export-controls",
    "ai-chips",
    "hbm",
    "nvidia",
    "huawei-smic",
    "chip-equipment",
    "rare-earths",
    "entity-list",
    "us-china-trade",
    "china-chips",
    "us-china-tech",
)
SEVERITIES: tuple[str, ...] = ("critical", "high", "normal")
LANGS: tuple[str, ...] = ("ar", "en")
_KEYS = {"id", "lang", "title", "text", "relevant", "topics", "severity", "note"}


class CorpusError(ValueError):
    """A corpus line breaks the schema; the message names the file, line and id."""


@dataclass(frozen=True, slots=True)
class Item:
    """One labeled news item (headline plus optional lead)."""

    id: str
    lang: str
    title: str
    text: str
    relevant: bool
    topics: tuple[str, ...]
    severity: str | None
    note: str
    split: str


def _check(raw: object, where: str) -> None:
    """Raise CorpusError if one decoded line breaks the schema."""
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: not a JSON object")
    missing = _KEYS - raw.keys()
    extra = raw.keys() - _KEYS
    if missing or extra:
        raise CorpusError(f"{where}: missing {sorted(missing)} extra {sorted(extra)}")
    if raw["lang"] not in LANGS:
        raise CorpusError(f"{where}: lang {raw['lang']!r}")
    for key in ("id", "title", "text", "note"):
        if not isinstance(raw[key], str):
            raise CorpusError(f"{where}: {key} must be a string")
    if not raw["title"].strip():
        raise CorpusError(f"{where}: empty title")
    if not isinstance(raw["relevant"], bool):
        raise CorpusError(f"{where}: relevant must be a bool")
    topics = raw["topics"]
    if not isinstance(topics, list) or any(t not in TOPICS for t in topics):
        raise CorpusError(f"{where}: unknown topic in {topics!r}")
    if len(set(topics)) != len(topics):
        raise CorpusError(f"{where}: duplicate topic in {topics!r}")
    if raw["relevant"]:
        if not topics:
            raise CorpusError(f"{where}: a relevant item needs at least one topic")
        if raw["severity"] not in SEVERITIES:
            raise CorpusError(f"{where}: relevant item needs a severity, got {raw['severity']!r}")
    elif topics or raw["severity"] is not None:
        raise CorpusError(f"{where}: an irrelevant item has no topics and no severity")


def load(path: Path, split: str | None = None) -> list[Item]:
    """Read one JSONL file, checking every line; blank lines are skipped."""
    items: list[Item] = []
    name = split or path.stem
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path.name}:{lineno}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{where}: {exc}") from exc
            _check(raw, f"{where} ({raw.get('id') if isinstance(raw, dict) else '?'})")
            items.append(
                Item(
                    id=raw["id"],
                    lang=raw["lang"],
                    title=raw["title"],
                    text=raw["text"],
                    relevant=raw["relevant"],
                    topics=tuple(raw["topics"]),
                    severity=raw["severity"],
                    note=raw["note"],
                    split=name,
                )
            )
    return items


def load_split(split: str) -> list[Item]:
    """Load ``dev``, ``holdout`` or ``both`` (dev first)."""
    if split == "both":
        return load_split("dev") + load_split("holdout")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected dev, holdout or both")
    return load(SPLITS[split], split)


def validate(items: list[Item]) -> None:
    """Cross-item checks: ids unique across everything loaded together."""
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise CorpusError(f"duplicate id {item.id}")
        seen.add(item.id)
