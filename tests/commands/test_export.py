"""``/export`` in the command core, on stories the real ingest code made (SQLite, and PostgreSQL when set):
what the files hold, in the chat's language, and what no spreadsheet may evaluate."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.commands import export_command
from bot.commands.core import Core
from bot.commands.export import clean, neutral
from bot.commands.model import Invocation
from bot.deliver.model import Reply
from storage.db import session
from storage.tables import ItemRow
from tests.fakes.export_stories import ARABIC, HBM, HOSTILE, MINUS, NOW, OLD, seed_export_stories


def inv(command: str, *args: str, chat: str = "100") -> Invocation:
    async def yes() -> bool:
        return True

    return Invocation("telegram", chat, "private", "7", command, args, user_language="en", is_admin=yes)


def files(reply: Reply) -> tuple[list[list[str]], dict]:
    """The CSV's rows (header first) and the JSON, decoded as a spreadsheet and a program would."""
    by_ext = {d.filename.rsplit(".", 1)[1]: d for d in reply.documents}
    raw = by_ext["csv"].data
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so Excel reads Arabic"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert b"\r\n" in raw
    return rows, json.loads(by_ext["json"].data.decode("utf-8"))


@pytest.fixture
def core(engine: Engine) -> Core:
    seed_export_stories(engine)
    return Core(engine, secret=b"s", clock=lambda: NOW)


async def test_an_arabic_chat_exports_a_topic_as_csv_and_json(core: Core) -> None:
    assert not (await core.handle(inv("lang", "ar"))).error
    reply = await core.handle(inv("export", "nvidia", "30d"))
    assert not reply.error and reply.language == "ar"
    assert [d.mime_type for d in reply.documents] == ["text/csv", "application/json"]
    assert all(d.filename.isascii() and d.filename.startswith("raqib-nvidia-30d-") for d in reply.documents)
    rows, doc = files(reply)
    header, body = rows[0], rows[1:]
    assert header[:4] == ["رقم القصة", "أول خبر (UTC)", "آخر خبر (UTC)", "العنوان"]
    assert header[-1] == "سبب المطابقة"
    col = {name: i for i, name in enumerate(doc["columns"])}
    headlines = [r[col["headline"]] for r in body]
    # 40 days old: outside 30d; the HBM story is not about Nvidia.
    assert not any("SUM" in h for h in headlines) and not any("Hynix" in h for h in headlines)
    assert headlines == ["'" + HOSTILE, "'" + MINUS], "formula-looking cells are text; latest first"
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in body for cell in r)
    first = body[0]  # the licence story, told in English and then in Arabic: the latest activity
    assert first[col["headline"]] == "'" + HOSTILE and first[col["headline_language"]] == "الإنجليزية"
    assert first[col["severity"]] == "عاجل"
    assert "إنفيديا" in first[col["topics"]] and "، " in first[col["topics"]]
    assert first[col["languages"]] == "العربية، الإنجليزية" and first[col["reports"]] == "2"
    assert first[col["outlets"]] == "Example Wire، خبر"
    assert first[col["link"]] == "https://wire.example/1"
    assert "«Nvidia» → nvidia" in first[col["why"]] and "«H20» → h20" in first[col["why"]]
    assert first[col["first_reported"]] == (NOW - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first[col["last_reported"]] == (NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body[1][col["headline"]] == "'" + MINUS and body[1][col["severity"]] == "مهم"

    export = doc["export"]
    assert export["total"] == export["count"] == len(body) and export["language"] == "ar"
    assert export["topics"] == ["nvidia"] and export["period"] == "30d"
    story = doc["stories"][0]
    assert story["headline"] == HOSTILE, "JSON keeps the text as written"
    assert story["severity"] == {"id": "critical", "name": "عاجل"}
    assert {"id": "nvidia", "name": "إنفيديا ومعالجات الرسوميات"} in story["topics"]
    assert [lang["id"] for lang in story["languages"]] == ["ar", "en"] and story["reports"] == 2
    assert str(len(body)) in reply.text


async def test_period_cap_format_and_typo(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    wide = await core.handle(inv("export", "nvidia", "60d", "csv"))
    assert [d.filename.rsplit(".", 1)[1] for d in wide.documents] == ["csv"]
    rows, _ = files_csv(wide)
    assert any(r[3] == "'" + OLD for r in rows[1:]), "60d reaches the 40-day-old story"
    total = len(rows) - 1
    arabic_digits = await core.handle(inv("export", "nvidia", "٦٠d", "csv"))
    assert arabic_digits.documents[0].filename.startswith("raqib-nvidia-60d-")
    assert arabic_digits.documents[0].data == wide.documents[0].data
    monkeypatch.setattr(export_command, "MAX_ROWS", 1)
    capped = await core.handle(inv("export", "nvidia", "60d", "json"))
    doc = json.loads(capped.documents[0].data)
    assert doc["export"]["total"] == total and doc["export"]["count"] == len(doc["stories"]) == 1
    assert f"the first 1 of {total} stories" in capped.text

    typo = await core.handle(inv("export", "nvidiaa", "7d"))
    assert not typo.documents and "Did you mean “nvidia”" in typo.text
    too_long = await core.handle(inv("export", "hbm", "400d"))
    assert too_long.error and not too_long.documents
    reported_in_arabic = await core.handle(inv("export", "nvidia", "30d", "ar", "json"))
    stories = json.loads(reported_in_arabic.documents[0].data)["stories"]
    assert [s["headline"] for s in stories] == [HOSTILE], "the one story with an Arabic report"


def files_csv(reply: Reply) -> tuple[list[list[str]], bytes]:
    raw = reply.documents[0].data
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))), raw


async def test_without_a_topic_the_chat_exports_what_it_follows(core: Core) -> None:
    nothing = await core.handle(inv("export"))
    assert nothing.error and "/export hbm 30d" in nothing.text and not nothing.documents
    await core.handle(inv("subscribe", "hbm"))
    followed = await core.handle(inv("export", "7d"))
    doc = json.loads(followed.documents[1].data)
    assert [s["headline"] for s in doc["stories"]] == [HBM]
    assert doc["export"]["topics"] == ["hbm"] and "this chat's topics" in followed.text
    await core.handle(inv("subscribe", "all"))
    everything = json.loads((await core.handle(inv("export", "json"))).documents[0].data)
    assert {HBM, HOSTILE} <= {s["headline"] for s in everything["stories"]}
    assert OLD not in {s["headline"] for s in everything["stories"]}, "the default period is 30 days"


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "＝1", "＠x"])
def test_formula_starts_are_neutralised(cell: str) -> None:
    assert neutral(cell) == "'" + cell
    assert neutral("Nvidia = 1") == "Nvidia = 1" and neutral("") == ""


def test_cells_lose_controls_and_line_breaks() -> None:
    assert clean("a\x00b\nc\u2028d\x1b") == "ab c d"
    assert len(clean("x" * 5000)) == 1000


async def test_an_entity_or_words_select_too_and_an_untitled_lead_gives_way(core: Core, engine: Engine) -> None:
    with session(engine) as s:
        lead = s.exec(select(ItemRow).where(ItemRow.identity == "wire-1")).one()
        lead.title = ""  # a feed that sends no title
        s.add(lead)
        s.commit()
    by_topic = json.loads((await core.handle(inv("export", "H20", "30d", "json"))).documents[0].data)
    assert by_topic["export"]["topics"] == ["nvidia"], "H20 is an alias of the nvidia topic"
    first = by_topic["stories"][0]
    assert first["headline"] == ARABIC and first["link"] == "https://khabar.example/1"
    assert first["headline_language"] == {"id": "ar", "name": "Arabic"}
    by_words = json.loads((await core.handle(inv("export", "Beijing", "RTX", "json"))).documents[0].data)
    assert [s["headline"] for s in by_words["stories"]] == [MINUS] and by_words["export"]["query"] == "Beijing RTX"
    by_entity = await core.handle(inv("export", "BIS", "60d", "json"))
    doc = json.loads(by_entity.documents[0].data)
    assert doc["export"]["entity"] == "bis" and [s["headline"] for s in doc["stories"]] == [OLD]
    assert by_entity.documents[0].filename.startswith("raqib-bis-60d-")
