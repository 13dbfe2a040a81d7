"""The end of `raqib demo`: the digest of the demo's week, printed, and its chart written beside the DB."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import Engine

from bot.digest.build import probe
from storage.db import session


def demo_digest(
    engine: Engine,
    out: TextIO | io.TextIOBase,  # the demo's isolate-stripping writer is a TextIOBase
    language: str = "en",
    *,
    chart_path: Path | None = None,
    now: datetime | None = None,
) -> Path:
    """Print the last seven days' digest (all topics) to ``out`` and write its chart; returns the chart's
    path (default: ``digest-<language>.png`` beside the demo database, or the working directory)."""
    from bot.digest.build import build_digest
    from bot.digest.chart import render_chart
    from bot.digest.render import render_text

    now = now or datetime.now(UTC)
    if chart_path is None:
        db = engine.url.database
        folder = Path(db).parent if db and db != ":memory:" else Path.cwd()
        chart_path = folder / f"digest-{language}.png"
    with session(engine) as s:
        d = build_digest(s, probe([], language, now), now, timedelta(days=7))
        print(render_text(d), file=out, flush=True)
        chart_path.write_bytes(render_chart(s, d))
    print(f"\n(chart: {chart_path})", file=out, flush=True)
    return chart_path
