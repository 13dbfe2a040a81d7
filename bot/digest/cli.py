"""`raqib digest`: a digest from the store for a person (markdown, HTML) or a script (JSON), or its chart."""

from __future__ import annotations

import argparse
import html
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.config import ConfigError, Env, FeedsFile, parse_duration


def run(config: FeedsFile, env: Env, args: argparse.Namespace) -> int:
    from bot.app import open_database
    from bot.digest.build import build_digest, render_text
    from bot.match import topic_lookup
    from storage.db import session
    from storage.tables import Subscription

    try:
        period = parse_duration(args.since)
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
    from datetime import timedelta

    probe = Subscription(
        platform="cli",
        target="-",
        topics=" ".join(topics),
        interface_language=args.lang,
        created_at=now,
        updated_at=now,
    )
    engine = open_database(config, env)
    with session(engine) as s:
        d = build_digest(s, probe, now, timedelta(seconds=period))
        if args.format == "png":
            from bot.digest.chart import render_chart

            data = render_chart(s, d)
            out = Path(args.out or "digest.png")
            out.write_bytes(data)
            print(f"chart written to {out}")
            return 0
    if args.format == "json":
        body = json.dumps(
            {
                "since": d.since.isoformat(),
                "until": d.until.isoformat(),
                "language": d.language,
                "counts": d.counts,
                "previous": d.previous,
                "entities": d.entities,
                "new_entities": d.new_entities,
                "stories": [s.__dict__ for s in d.stories],
            },
            ensure_ascii=False,
            default=str,
        )
    elif args.format == "html":
        direction = "rtl" if args.lang == "ar" else "ltr"
        body = f'<div dir="{direction}"><pre>{html.escape(render_text(d))}</pre></div>'
    else:
        body = render_text(d)
    if args.out:
        Path(args.out).write_text(body + "\n", encoding="utf-8")
    else:
        print(body)
    return 0
