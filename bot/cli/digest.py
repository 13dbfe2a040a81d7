"""`raqib digest`: a digest from the store for a person (markdown, HTML) or a script (JSON), or its chart."""

from __future__ import annotations

import argparse
import base64
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Env, FeedsFile, parse_duration
from bot.digest.build import probe
from storage.tables import Subscription

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def render(engine: Engine, sub: Subscription, now: datetime, span: timedelta, fmt: str) -> bytes:
    """The digest in ``fmt`` (md, html, png, json) as bytes ready to write."""
    from bot.digest.build import build_digest
    from bot.digest.chart import render_chart
    from bot.digest.render import render_html, render_json, render_markdown
    from storage.db import session

    with session(engine) as s:
        d = build_digest(s, sub, now, span)
        if fmt == "png":
            return render_chart(s, d)
        if fmt == "json":
            return render_json(d).encode()
        if fmt == "html":
            src = None
            if not d.empty:  # a self-contained page: the chart inline
                src = "data:image/png;base64," + base64.b64encode(render_chart(s, d)).decode()
            return render_html(d, chart_src=src).encode()
        return render_markdown(d).encode()


def run(config: FeedsFile, env: Env, args: argparse.Namespace) -> int:
    from bot.app import open_database
    from bot.match import topic_lookup

    try:
        span = timedelta(seconds=parse_duration(args.since))
    except ValueError as exc:
        raise ConfigError(f"--since: {exc}") from None
    topics = []
    for raw in [t for t in args.topics.split(",") if t.strip()]:
        tid = topic_lookup(raw.strip())
        if tid is None:
            print(f"raqib: unknown topic {raw!r}", file=sys.stderr)
            return 2
        topics.append(tid)
    now = datetime.now(UTC)
    engine = open_database(config, env)
    body = render(engine, probe(topics, args.lang, now), now, span, args.format)
    if args.format == "png":
        out = Path(args.out or "digest.png")
        out.write_bytes(body)
        print(f"chart written to {out}")
    elif args.out:
        Path(args.out).write_bytes(body + b"\n")
    else:
        sys.stdout.write(body.decode() + "\n")
    return 0
