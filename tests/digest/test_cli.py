"""`raqib digest` formats and the demo's closing digest, from a real store."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

from bot.cli.digest import probe, render
from bot.digest.demo import demo_digest
from tests.digest.conftest import UNTIL, Week


def test_every_format(week: Week) -> None:
    sub = probe(["entity-list", "nvidia"], "en", UNTIL)
    week_span = timedelta(days=7)
    md = render(week.engine, sub, UNTIL, week_span, "md").decode()
    assert md.startswith("## Raqib weekly digest") and "### Entity List" in md and "Huawei" not in md
    data = json.loads(render(week.engine, sub, UNTIL, week_span, "json"))
    assert [s["id"] for s in data["stories"]] == [week.entity_list, week.nvidia]
    page = render(week.engine, probe([], "ar", UNTIL), UNTIL, week_span, "html").decode()
    assert 'dir="rtl"' in page and 'src="data:image/png;base64,' in page
    assert render(week.engine, sub, UNTIL, week_span, "png").startswith(b"\x89PNG")
    daily = render(week.engine, sub, UNTIL, timedelta(days=1), "md").decode()
    assert "Raqib daily digest" in daily and "nothing new" in daily


def test_demo_digest_prints_and_writes_the_chart(week: Week, tmp_path: Path) -> None:
    out = io.StringIO()
    path = demo_digest(week.engine, out, "ar", now=UNTIL)
    assert path == Path(str(week.engine.url.database)).parent / "digest-ar.png"
    assert path.read_bytes().startswith(b"\x89PNG")
    assert out.getvalue().startswith("موجز رقيب الأسبوعي") and str(path) in out.getvalue()
    other = demo_digest(week.engine, io.StringIO(), "en", now=UNTIL, chart_path=tmp_path / "c.png")
    assert other == tmp_path / "c.png" and other.exists()
