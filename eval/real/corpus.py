"""Locate and load the real-news corpus (``relevance.jsonl``, ``stories.jsonl``) without copying it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = "RAQIB_REAL_NEWS"


def location() -> Path | None:
    """The corpus folder: ``$RAQIB_REAL_NEWS``, else ``../shared/corpora/real-news`` beside the project."""
    candidates = [Path(os.environ[ENV])] if os.environ.get(ENV) else []
    candidates.append(ROOT.parent / "shared" / "corpora" / "real-news")
    for path in candidates:
        if (path / "relevance.jsonl").is_file() and (path / "stories.jsonl").is_file():
            return path
    return None


@dataclass(frozen=True, slots=True)
class LabeledItem:
    id: str
    lang: str
    title: str
    text: str
    url: str
    relevant: bool
    topics: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class Report:
    """One outlet's report of an event; ``published`` is the day at noon UTC plus its place in the file
    (reports of one day arrive in file order, minutes apart)."""

    id: str
    event: str
    lang: str
    source: str
    title: str
    text: str
    url: str
    published: datetime


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def relevance(folder: Path) -> list[LabeledItem]:
    return [
        LabeledItem(
            id=str(r["id"]),
            lang=str(r["lang"]),
            title=str(r["title"]),
            text=str(r["text"]),
            url=str(r["url"]),
            relevant=r["label"] == "relevant",
            topics=tuple(r["topics"]),  # type: ignore[arg-type]
            note=str(r.get("note", "")),
        )
        for r in _lines(folder / "relevance.jsonl")
    ]


def stories(folder: Path) -> list[Report]:
    out = []
    for n, r in enumerate(_lines(folder / "stories.jsonl")):
        day = datetime.fromisoformat(str(r["published"])).replace(hour=12, tzinfo=UTC)
        out.append(
            Report(
                id=str(r["id"]),
                event=str(r["event_id"]),
                lang=str(r["lang"]),
                source=str(r["source"]),
                title=str(r["title"]),
                text=str(r["text"]),
                url=str(r["url"]),
                published=day + timedelta(minutes=7 * n % 360),
            )
        )
    return out
