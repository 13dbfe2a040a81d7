"""`raqib demo`: the whole pipeline, offline, on bundled sample feeds served from 127.0.0.1.

The sample week is shifted so its newest item lands at "now". A first poll stores each feed's backlog
quietly (as on a fresh install); the server then publishes the week's news and a second poll alerts.

The output is for a terminal: bidi isolates (U+2066–U+2069), which the digest puts around titles for chat
clients, are removed from everything the demo prints (a terminal shows them as boxes or spaces).
"""

from __future__ import annotations

import asyncio
import html
import io
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.config import Env, FeedsFile
from bot.deliver.alertable import Alertable
from bot.demo.server import Document, FeedServer
from bot.domain import Severity
from bot.pipeline import FeedResult

FEEDS_DIR = Path(__file__).parent / "feeds"
_RFC822 = re.compile(r"(<(pubDate|dc:date|lastBuildDate)>)([^<]+)(</\2>)")
_RFC3339 = re.compile(r"(<(updated|published)>)([^<]+)(</\2>)")
_BLOCK = re.compile(r"<(item|entry)\b.*?</\1>", re.DOTALL)
_CONTENT_TYPE = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
_NO_ISOLATES = dict.fromkeys(range(0x2066, 0x206A))  # LRI, RLI, FSI, PDI: chat HTML only


class PlainText(io.TextIOBase):
    """``out`` without bidi isolate characters (they belong in chat HTML, not a terminal or a file)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.out.write(s.translate(_NO_ISOLATES))
        return len(s)

    def flush(self) -> None:
        self.out.flush()


@dataclass
class DemoFeed:
    id: str
    path: str
    language: str
    title: str
    authority: bool
    backlog: bytes
    full: bytes
    content_type: str


def _shift(text: str, offset: timedelta) -> str:
    def rfc822(m: re.Match[str]) -> str:
        try:
            when = parsedate_to_datetime(m.group(3).strip())
        except (TypeError, ValueError):
            return m.group(0)
        return f"{m.group(1)}{format_datetime((when + offset).astimezone(UTC))}{m.group(4)}"

    def rfc3339(m: re.Match[str]) -> str:
        try:
            when = datetime.fromisoformat(m.group(3).strip().replace("Z", "+00:00"))
        except ValueError:
            return m.group(0)
        return f"{m.group(1)}{(when + offset).astimezone(UTC).isoformat()}{m.group(4)}"

    return _RFC3339.sub(rfc3339, _RFC822.sub(rfc822, text))


def _without(text: str, guids: set[str]) -> str:
    def drop(m: re.Match[str]) -> str:
        block = m.group(0)
        # Guids with & are written &amp; in the XML.
        return "" if any(f">{g}<" in block or f">{html.escape(g, quote=False)}<" in block for g in guids) else block

    return _BLOCK.sub(drop, text)


def load_demo_feeds(now: datetime) -> tuple[list[DemoFeed], dict[str, Any]]:
    manifest = yaml.safe_load((FEEDS_DIR / "manifest.yaml").read_text(encoding="utf-8"))
    end = datetime.fromisoformat(str(manifest["news_window"]["end"]).replace("Z", "+00:00"))
    offset = now.replace(microsecond=0) - end - timedelta(minutes=2)
    feeds = []
    for f in manifest["feeds"]:
        encoding = f.get("encoding", "utf-8")
        text = (FEEDS_DIR / f["file"]).read_bytes().decode(encoding)
        news = {str(i["guid"]) for i in f["items"] if i.get("phase") == "news"}
        shifted = _shift(text, offset)
        feeds.append(
            DemoFeed(
                id=f["id"],
                path="/" + f["file"],
                language=f["language"],
                title=f.get("title") or f["id"],
                authority=bool(f.get("authority")),
                backlog=_without(shifted, news).encode(encoding, "xmlcharrefreplace"),
                full=shifted.encode(encoding, "xmlcharrefreplace"),
                content_type=_CONTENT_TYPE.get(f.get("format", "rss"), "application/xml"),
            )
        )
    return feeds, manifest


def demo_config(feeds: list[DemoFeed], base_url: str, data_dir: str) -> FeedsFile:
    return FeedsFile.model_validate(
        {
            # The demo's own loopback server is the one private address it may reach.
            # No second look at article pages: the sample outlets live under .example, and the demo never
            # leaves this machine (not even for a DNS lookup).
            "settings": {"allow_private_addresses": True, "data_dir": data_dir, "retries": 0, "second_look": False},
            "feeds": [
                {
                    "id": f.id,
                    "url": base_url + f.path,
                    "language": f.language,
                    "title": f.title,
                    "authority": f.authority,
                }
                for f in feeds
            ],
        }
    )


def _line(out: io.TextIOBase, text: str = "") -> None:
    print(text, file=out, flush=True)


def _compact(alert: Alertable, view: Any, titles: dict[str, str], lead_reasons: tuple[str, ...] = ()) -> str:
    """The alert as a chat would see it: the story's lead (the primary source when there is one)."""
    m: Any = alert.match
    story = view.story if view else None
    lead = view.lead.item if view else alert.item
    source = lead.source_name or titles.get(lead.feed_id, lead.feed_id)
    sev = ((story.severity if story else None) or m.severity or Severity.NORMAL).upper()
    topics = " ".join(f"#{t}" for t in ((story.topics.split() if story else None) or m.topics)[:4])
    why = "; ".join((lead_reasons or m.reasons)[:2])
    return (
        f"  [{sev:<8}] {lead.title}\n"
        f"             {source} · {lead.language} · score {m.score:.2f} · {topics}\n"
        f"             why: {why}"
    )


async def _demo(out: io.TextIOBase, data_dir: str) -> int:
    from bot.app import open_database, services

    now = datetime.now(UTC)
    feeds, manifest = load_demo_feeds(now)
    phase = {"news": False}

    def route(f: DemoFeed) -> Any:
        def serve() -> Document:
            return 200, {"Content-Type": f"{f.content_type}"}, f.full if phase["news"] else f.backlog

        return serve

    with FeedServer({f.path: route(f) for f in feeds}) as server:
        config = demo_config(feeds, server.base_url, data_dir)
        env = Env(_env_file=None)  # the demo never reads tokens: it delivers to this console only
        engine = await asyncio.to_thread(open_database, config, env, f"sqlite:///{data_dir}/demo.db")
        titles = {f.id: f.title for f in feeds}
        alerts: list[Alertable] = []

        async def collect(batch: Any) -> None:
            alerts.extend(batch)

        _line(out, "Raqib demo — offline. Nothing leaves this machine.")
        _line(
            out, f"Serving {len(feeds)} sample feeds (Arabic and English, written for this demo) at {server.base_url}"
        )
        _line(out, "")
        async with services(config, env, engine=engine) as svc:
            svc.pipeline.on_alerts = collect
            _line(out, "1) First poll. A fresh install stores each feed's backlog quietly — no alerts for old news:")
            for r in await svc.pipeline.poll_once():
                _line(out, f"   {r.feed_id:<22} {_result(r)}")
            _line(out, "")
            phase["news"] = True
            phase2_start = datetime.now(UTC)
            _line(out, "2) The feeds publish this week's news. Second poll:")
            results = await svc.pipeline.poll_once()
            for r in results:
                _line(out, f"   {r.feed_id:<22} {_result(r)}")
            _line(out, "")
            _line(out, f"3) {_n(len(alerts), 'new story', 'new stories')}, one alert each — copies from other outlets")
            _line(out, "   and languages join the story instead of alerting again.")
            _line(out, _weights_line())
            views, reasons = await asyncio.to_thread(_story_views, engine, [a.story_id for a in alerts], phase2_start)
            for a in sorted(alerts, key=lambda a: a.item.published, reverse=True):
                view = views.get(a.story_id) if a.story_id is not None else None
                _line(out, _compact(a, view, titles, reasons.get(a.story_id or -1, ())))
                _members(out, view, titles)
            grown = [v for sid, v in views.items() if sid not in {a.story_id for a in alerts}]
            if grown:
                _line(
                    out,
                    "   Backlog stories this week's news joined (their chats see an edit, not a new alert):",
                )
                for v in grown:
                    _line(out, f"   · {v.lead.item.title}")
                    _members(out, v, titles)
            _line(out, "")
            covered = {m.item.guid for v in views.values() for m in v.members}
            _report_traps(out, manifest, alerts, covered)
            _line(out, "")
            _line(out, "5) The week's digest, as a subscribed chat gets it on Monday morning.")
            for text in _digest_note(engine, {a.story_id for a in alerts}, phase2_start):
                _line(out, text)
            from bot.digest.demo import demo_digest

            # The chart outlives the demo's temporary database: it is written where the demo was run.
            chart = Path.cwd() / "raqib-demo-digest.png"
            await asyncio.to_thread(demo_digest, engine, out, "en", chart_path=chart)
    return 0


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _weights_line() -> str:
    from bot.match.relevance import THRESHOLD, TITLE_FACTOR

    return (
        f"   (+n.nn: what a term adds to the evidence — its lexicon weight, ×{TITLE_FACTOR:g} in the title "
        f"(2.50 → +{2.5 * TITLE_FACTOR:.2f}); relevant from {THRESHOLD:g} in all; "
        f"score = evidence / (evidence + {THRESHOLD:g}))"
    )


def _digest_note(engine: Any, alerted: set[int | None], news_since: datetime) -> list[str]:
    """Why the digest counts more stories than step 3 alerted: it covers the whole week, backlog included."""
    from sqlmodel import col, select

    from storage.db import session
    from storage.tables import Story

    week = datetime.now(UTC) - timedelta(days=7)
    with session(engine) as s:
        rows = s.exec(select(Story.id, Story.created_at).where(col(Story.first_published) >= week)).all()
    shown = sum(1 for sid, _ in rows if sid in alerted)
    backlog = sum(1 for sid, created in rows if sid not in alerted and created < news_since)
    quiet = len(rows) - shown - backlog
    said_alerted = _n(shown, "story", "stories")
    parts = [f"the {said_alerted} alerted in step 3", f"{backlog} from the backlog step 1 stored without alerting"]
    if quiet:
        parts.append(f"{quiet} of this week's news that joined no alert")
    return [
        f"   It counts {_n(len(rows), 'story', 'stories')} first published in the last 7 days: "
        f"{', '.join(parts[:-1])} and {parts[-1]}",
        "   (alerts are for what is new since the last poll; a digest summarises the week).",
    ]


def _story_views(
    engine: Any, alerted: list[int | None], since: datetime
) -> tuple[dict[int, Any], dict[int, tuple[str, ...]]]:
    """The stories to show (alerted, or grown since ``since``) and the reasons of each story's lead item."""
    from sqlmodel import col, select

    from bot.deliver.views import alert_view
    from storage.db import session
    from storage.queries import story_view
    from storage.tables import Story

    with session(engine) as s:
        ids = [sid for sid in alerted if sid is not None]
        grown = s.exec(select(Story.id).where(col(Story.updated_at) >= since)).all()
        ids += [sid for sid in grown if sid is not None and sid not in ids]
        views = {sid: v for sid in ids if (v := story_view(s, sid)) is not None}
        reasons = {sid: lead.reasons for sid in views if (lead := alert_view(s, sid)) is not None}
        return views, reasons


def _members(out: io.TextIOBase, view: Any, titles: dict[str, str]) -> None:
    if view is None or len(view.members) < 2:
        return
    langs = " + ".join(sorted({m.item.language for m in view.members}))
    _line(out, f"             story: {len(view.members)} reports from {view.story.source_count} sources ({langs}):")
    for m in view.members:
        mark = "primary source" if m.authority else ("lead" if m is view.lead else "also")
        source = m.item.source_name or m.feed_title
        _line(out, f"               - [{mark}] {source}: {m.item.title[:90]}")


def _result(r: FeedResult) -> str:
    if r.status == "failed":
        return f"failed: {r.error}"
    if r.status == "not_modified":
        return "unchanged (HTTP 304)"
    return f"{r.new:>2} new {'item' if r.new == 1 else 'items'}, {r.relevant} relevant"


def _report_traps(out: io.TextIOBase, manifest: dict[str, Any], alerts: list[Alertable], covered: set[str]) -> None:
    """``covered``: guids of every item in a story that reached chats (alerted, or joined one that was)."""
    alerted = {a.item.guid for a in alerts}
    news = [i for f in manifest["feeds"] for i in f["items"] if i.get("phase") == "news"]
    traps = [i for i in news if i["expect"] == "trap"]
    missed = [i for i in news if i["expect"] == "relevant" and str(i["guid"]) not in covered]
    _line(out, f"4) Traps: {len(traps)} items share words with the field but are not about it:")
    for t in traps:
        mark = "ALERTED (wrong)" if str(t["guid"]) in alerted else "no alert ✓"
        _line(out, f"   {mark:<16} {t['title']}")
    if missed:
        _line(out, f"   relevant news items in no story that reached chats: {len(missed)}")
        for i in missed:
            _line(out, f"   missed           {i['title']}")


def run_demo(*, keep: bool = False, out: TextIO | None = None) -> int:
    data_dir = tempfile.mkdtemp(prefix="raqib-demo-")
    try:
        return asyncio.run(_demo(PlainText(out or sys.stdout), data_dir))
    finally:
        if keep:
            print(f"(demo database kept in {data_dir}/demo.db)", file=out or sys.stdout)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
