"""``/export`` on Discord: the real discord.py client against the fake Discord, the real core and SQLite. The
interaction's answer carries the CSV and the JSON as attachments, in the channel's language."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy.engine import Engine

from tests.discord.running import running_adapter
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.export_stories import HBM, HOSTILE, MINUS, seed_export_stories

MANAGE_CHANNELS = 1 << 4


def opt(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "type": 3, "value": value}


async def answer(fake: FakeDiscord, name: str, options: list[dict[str, Any]], permissions: int = 0) -> Any:
    """Send a slash command; the interaction's answer as recorded (JSON payload and uploaded files)."""
    payload = fake.interaction(name, options, permissions=permissions)
    await fake.dispatch("INTERACTION_CREATE", payload)
    path = f"/interactions/{payload['id']}/{payload['token']}/callback"
    return await fake.wait_for(lambda r: r.path == path)


def table(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


async def test_export_answers_with_csv_and_json_attachments(sqlite_engine: Engine) -> None:
    seed_export_stories(sqlite_engine)
    async with running_adapter(sqlite_engine) as (fake, adapter, run):
        adapter.defer_after = 30.0  # the answer itself, not "thinking…" then a follow-up (a cold lexicon is slow)
        assert "export" in {c["name"] for r in fake.requests if r.method == "PUT" for c in r.body or []}
        await run("lang", [opt("language", "ar")], MANAGE_CHANNELS)
        rec = await answer(fake, "export", [opt("topic", "nvidia"), opt("period", "30d")])
        data = rec.body["data"]
        assert not (data.get("flags") or 0) & 64, "an export is for the channel"
        names = [a["filename"] for a in data["attachments"]]
        assert [n.rsplit(".", 1)[1] for n in names] == ["csv", "json"] and names[0].startswith("raqib-nvidia-30d-")
        rows = table(rec.form["files[0]"])
        assert rows[0][0] == "رقم القصة" and [r[3] for r in rows[1:]] == ["'" + HOSTILE, "'" + MINUS]
        assert rows[1][6] == "عاجل" and "عدد القصص 2" in data["content"]
        doc = json.loads(rec.form["files[1]"].decode("utf-8"))
        assert doc["export"]["language"] == "ar" and doc["stories"][0]["headline"] == HOSTILE

        await run("subscribe", [opt("topic", "hbm")], MANAGE_CHANNELS)
        only_json = await answer(fake, "export", [opt("period", "7d"), opt("format", "json")])
        assert [a["filename"][-5:] for a in only_json.body["data"]["attachments"]] == [".json"]
        stories = json.loads(only_json.form["files[0]"])["stories"]
        assert [s["headline"] for s in stories] == [HBM]
        # Exports cost like /digest (3 tokens of the member's 10): lang, export, subscribe, export, export is over.
        again = await run("export", [opt("topic", "hbm")])
        assert again["flags"] & 64 and "Slow down" in again["content"] and not again.get("attachments")
