"""``/export``'s files, built from store rows (pure: no database, no platform): a CSV for spreadsheets and a JSON
document for programs, in the chat's language.

CSV. UTF-8 with a byte-order mark, so Excel opens Arabic text as Arabic (without it Excel reads the file in the
machine's ANSI code page); comma-separated, CRLF line ends, fields quoted where needed (RFC 4180). Headers and
the values Raqib names (topics, severity, languages, entities) are in the chat's language; headlines, outlets and
the matched terms as the feeds wrote them. Every text cell that a spreadsheet would read as a formula — starting with
``= + - @``, their full-width forms, a tab or a carriage return — is prefixed with an apostrophe (OWASP's advice
on CSV injection): a headline "=HYPERLINK(…)" shows as text and runs nothing. Times are ISO 8601 in UTC
(``2026-11-30T08:15:00Z``); lists inside a cell are joined with the language's separator.

JSON. One object: ``export`` (what was asked, the period, how many stories matched and how many are listed),
``columns`` (the localized column names) and ``stories``; keys are stable English identifiers and every
localized value sits beside its id (``{"id": "hbm", "name": "…"}``), so a program never parses labels.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.deliver.model import Document
from bot.domain import Severity
from bot.text.messages import text
from storage.exports import ExportRow

COLUMNS = (
    "story_id",
    "first_reported",
    "last_reported",
    "headline",
    "headline_language",
    "topics",
    "severity",
    "score",
    "languages",
    "outlets",
    "reports",
    "link",
    "entities",
    "why",
)
MAX_CELL = 1000  # characters of one feed-written cell (a headline, the outlets): a row stays a row
MAX_LIST = 30  # outlets or entities named in one cell
FORMULA_STARTS = tuple("=+-@\t\r＝＋－＠")
_HIT = re.compile(r"^\w+: '(?P<text>.+)' -> (?P<id>[\w.-]+) \(")  # "title: 'H20' -> h20 (chip, +4.50)"
Namer = Callable[[str, str], str]  # (id, language) -> display name


@dataclass(frozen=True)
class ExportRequest:
    """What the chat asked, as the files describe it."""

    language: str  # the chat's: headers and names
    query: str  # as shown: a topic's name, an entity's, the words, or "this chat's topics"
    slug: str  # ASCII part of the file names: "hbm", "nvidia", "search", "chat-topics"
    period: str  # "30d"
    since: datetime
    until: datetime
    total: int  # stories that matched (the files hold at most the cap)
    topics: tuple[str, ...] = ()
    entity: str | None = None
    item_language: str | None = None


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def clean(value: str | None, limit: int = MAX_CELL) -> str:
    """Feed text fit for one cell: controls and lone surrogates dropped (no encoder refuses the file), runs of
    whitespace (newlines too) made one space, at most ``limit`` characters."""
    kept = "".join(ch for ch in value or "" if unicodedata.category(ch) not in ("Cc", "Cs") or ch in "\t\n\r")
    one = " ".join(kept.split())
    return one if len(one) <= limit else one[: limit - 1].rstrip() + "…"


def neutral(cell: str) -> str:
    """A cell no spreadsheet evaluates: a leading formula character gets an apostrophe before it."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _record(row: ExportRow, lang: str, topic_name: Namer, entity_name: Namer) -> dict[str, Any]:
    story = row.story
    severity = Severity.parse(story.severity, Severity.NORMAL)
    languages = [code for code in ("ar", "en") if code in story.languages.split()] or [row.lead.language]
    return {
        "story_id": story.id,
        "first_reported": iso(story.first_published),
        "last_reported": iso(story.last_published),
        "headline": clean(row.lead.title),
        "headline_language": {"id": row.lead.language, "name": _language(row.lead.language, lang)},
        "topics": [{"id": t, "name": topic_name(t, lang)} for t in story.topics.split()],
        "severity": {"id": severity, "name": text(lang, f"export_severity_{severity}")},
        "score": round(float(story.score), 2),
        "languages": [{"id": code, "name": _language(code, lang)} for code in languages],
        "outlets": [clean(o, 200) for o in row.outlets[:MAX_LIST]],
        "reports": len(row.members),
        "link": clean(row.lead.url) or None,
        "entities": [{"id": e, "name": entity_name(e, lang)} for e in row.entities[:MAX_LIST]],
        "why": [clean(r, 200) for r in row.reasons],
    }


def _language(code: str, lang: str) -> str:
    return text(lang, f"export_language_{code}") if code in ("ar", "en") else code


def _cells(record: dict[str, Any], lang: str) -> list[str]:
    sep = text(lang, "export_separator")

    def names(values: list[dict[str, str]]) -> str:
        return sep.join(v["name"] for v in values)

    cells = [
        str(record["story_id"]),
        record["first_reported"],
        record["last_reported"],
        record["headline"],
        record["headline_language"]["name"],
        names(record["topics"]),
        record["severity"]["name"],
        f"{record['score']:.2f}",
        names(record["languages"]),
        sep.join(record["outlets"]),
        str(record["reports"]),
        record["link"] or "",
        names(record["entities"]),
        _matched(record["why"]),
    ]
    return [neutral(c) for c in cells]


def _matched(reasons: list[str]) -> str:
    """The matched terms as the Telegram alert's "Why" line shows them (``«H20» → h20 · «إنفيديا» → nvidia``);
    the matcher's other reasons (rules, severity) stay in the JSON."""
    hits = [f"«{m['text']}» → {m['id']}" for r in reasons if (m := _HIT.match(r))]
    return " · ".join(hits or reasons)


def build_files(
    rows: Sequence[ExportRow], request: ExportRequest, *, topic_name: Namer, entity_name: Namer, formats: Sequence[str]
) -> tuple[Document, ...]:
    """The export as documents, in ``formats`` order ("csv", "json")."""
    lang = request.language
    records = [_record(r, lang, topic_name, entity_name) for r in rows]
    headers = {c: text(lang, f"export_col_{c}") for c in COLUMNS}
    stem = f"raqib-{slug(request.slug)}-{slug(request.period)}-{request.until.astimezone(UTC):%Y%m%d-%H%M}"
    out: list[Document] = []
    for fmt in formats:
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow([neutral(headers[c]) for c in COLUMNS])
            writer.writerows(_cells(r, lang) for r in records)
            data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
            out.append(Document(f"{stem}.csv", data, "text/csv"))
        elif fmt == "json":
            doc = {"export": _about(request, len(records)), "columns": headers, "stories": records}
            data = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
            out.append(Document(f"{stem}.json", data, "application/json"))
    return tuple(out)


def _about(request: ExportRequest, count: int) -> dict[str, Any]:
    return {
        "query": clean(request.query, 200),
        "topics": list(request.topics),
        "entity": request.entity,
        "item_language": request.item_language,
        "period": request.period,
        "since": iso(request.since),
        "until": iso(request.until),
        "language": request.language,
        "total": request.total,
        "count": count,
    }


def slug(value: str) -> str:
    """ASCII for a file name: what a multipart header and every file system take as is."""
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:40] or "export"
