"""`raqib feeds check` and `raqib feeds enable`: each feed fetched once as a poll would see it, what the service
recorded about the feeds (disabled, failures in a row, a URL moved by a permanent redirect), and a disabled feed
brought back. OPML import and export are in ``bot.cli.opml``."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Env, FeedConfig, FeedsFile, format_duration
from bot.fetch.pacing import Pacing
from bot.parse import ParsedFeed

if TYPE_CHECKING:
    from storage.tables import Feed


def describe_pacing(pacing: Pacing) -> str:
    """``every 1h (feed asks 1h: ttl)``, naming the bound that overrode the feed's ask, if one did."""
    every = f"every {format_duration(round(pacing.interval))}"
    ask = pacing.ask
    if ask is None:
        return every
    asked = f"feed asks {format_duration(round(ask.seconds))}: {ask.source}"
    if pacing.bound == "minimum":
        return f"{every} ({asked}; the configured interval is the minimum)"
    if pacing.bound == "maximum":
        return f"{every} ({asked}; capped by max_feed_interval)"
    return f"{every} ({asked})"


def check(config: FeedsFile, env: Env, *, as_json: bool) -> int:
    """Fetch each feed once (no storing) and report what a poll would see."""
    from bot.analyze import parse_body
    from bot.app import fetch_settings
    from bot.fetch import Fetcher, FetchError
    from bot.fetch.pacing import Ask, header_ask, pace
    from bot.log import REDACT
    from bot.parse import ParseError

    async def one(fetcher: Fetcher, feed: FeedConfig) -> dict[str, object]:
        feed_id, url = feed.id, feed.url
        try:
            r = await fetcher.fetch(url)
            parsed, charset = await asyncio.to_thread(parse_body, r.body, url=r.final_url, headers=r.headers)
            garbled = await asyncio.to_thread(_garbled_items, parsed, feed, r.final_url)
        except FetchError as exc:
            return {"feed": feed_id, "ok": False, "error_code": exc.code, "error": REDACT(str(exc))}
        except ParseError as exc:  # not_a_feed, parse_error
            return {"feed": feed_id, "ok": False, "error_code": exc.code, "error": REDACT(str(exc))}
        except Exception as exc:  # one feed never ends the check: report it like any failure
            return {"feed": feed_id, "ok": False, "error_code": "internal", "error": f"{type(exc).__name__}"}
        out: dict[str, object] = {
            "feed": feed_id,
            "ok": True,
            "entries": len(parsed.entries),
            "status": r.status,
            "seconds": round(r.elapsed, 2),
        }
        # the pace the service would keep after this answer (bot.fetch.pacing)
        document = Ask(*parsed.ask) if parsed.ask else None
        pacing = pace(config.interval(feed), config.settings.max_feed_interval, (header_ask(r.headers), document))
        out["interval"] = pacing.interval
        out["pace"] = describe_pacing(pacing)
        if pacing.ask is not None:
            out["feed_asks"] = {"seconds": pacing.ask.seconds, "source": pacing.ask.source}
        if r.permanent_url:
            out["moved_to"] = r.permanent_url
        if parsed.bozo:
            out["warning"] = parsed.bozo_reason
        if charset:
            out["charset"] = charset  # read in the charset of its bytes, not the declared one
        if garbled:
            out["garbled"] = garbled
        return out

    async def go() -> list[dict[str, object]]:
        async with Fetcher(fetch_settings(config, env)) as fetcher:
            return list(await asyncio.gather(*(one(fetcher, f) for f in config.feeds)))

    results = asyncio.run(go())
    stored = _stored_health(config, env)
    for r in results:
        health = stored.get(str(r["feed"]))
        if health:
            r.update(health)
        if as_json:
            print(json.dumps(r, ensure_ascii=False))
        elif r["ok"]:
            extra = f" (moved to {r['moved_to']})" if "moved_to" in r else ""
            print(f"ok      {r['feed']}: {r['entries']} entries in {r['seconds']} s, polled {r['pace']}{extra}")
            if r.get("disabled"):
                print(f"        … but the service has it disabled: {r['disabled']} (raqib feeds enable {r['feed']})")
            if r.get("charset"):
                print(f"        charset: {r['charset']}; read as such")
            if r.get("garbled"):
                print(f"        {r['garbled']} of {r['entries']} entries have garbled text (stored, never alerted)")
        else:
            print(f"FAILED  {r['feed']}: {r['error']} [{r['error_code']}]")
            if r.get("disabled"):
                print(f"        disabled by the service: {r['disabled']} (raqib feeds enable {r['feed']})")
            elif r.get("consecutive_failures"):
                print(f"        {r['consecutive_failures']} failed polls in a row so far")
    return 0


def enable(config: FeedsFile, env: Env, feed_id: str) -> int:
    from datetime import UTC, datetime

    from bot.app import open_database
    from storage.db import session
    from storage.feeds import get_feed

    engine = open_database(config, env)
    with session(engine) as s:
        feed = get_feed(s, feed_id)
        if feed is None:
            print(f"raqib: no feed {feed_id!r}", file=sys.stderr)
            return 2
        feed.enabled, feed.disabled_reason = True, None
        feed.consecutive_failures, feed.next_poll = 0, datetime.now(UTC)
        s.add(feed)
        s.commit()
    print(f"feed {feed_id} enabled; it is polled at the next cycle")
    return 0


def _stored_feeds(config: FeedsFile, env: Env) -> list[Feed]:
    """The feeds table as the service left it, or [] when there is no database (or no schema) yet."""
    from bot.app import database_url
    from storage.db import make_engine, session
    from storage.feeds import list_feeds

    url = database_url(config, env)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return []
    try:
        engine = make_engine(url)
        with session(engine) as s:
            return list_feeds(s)
    except Exception:  # no schema yet, or the database is away: callers stand on the configuration alone
        return []


def _garbled_items(parsed: ParsedFeed, feed: FeedConfig, url: str) -> int:
    """Entries whose text stays garbled after repair (``bot.text.mojibake``): a poll stores them unalerted."""
    from datetime import UTC, datetime

    from bot.normalize import normalize_entries

    items = normalize_entries(
        parsed.entries, feed_id=feed.id, feed_url=url, language=feed.language, fetched=datetime.now(UTC)
    )
    return sum(bool(i.garbled) for i in items)


def _stored_health(config: FeedsFile, env: Env) -> dict[str, dict[str, object]]:
    """What the service has recorded about each feed (when a database exists): disabled, failures in a row."""
    return {
        f.id: {
            "disabled": None if f.enabled else (f.disabled_reason or "disabled"),
            "consecutive_failures": f.consecutive_failures,
        }
        for f in _stored_feeds(config, env)
    }


def urls_in_use(config: FeedsFile, env: Env) -> dict[str, str]:
    """Feed id -> the URL the service polls, where a permanent redirect moved it from the configured one
    (read from the database when there is one; empty when there is none)."""
    return {
        f.id: f.url
        for f in _stored_feeds(config, env)
        if f.url and f.url != f.configured_url and any(c.id == f.id and c.url == f.configured_url for c in config.feeds)
    }
