"""``/export`` through real PTB and the fake Bot API, the real core and SQLite: two sendDocument uploads (CSV and
JSON) in the chat's language, the caption under the first; a group member may export (it changes nothing)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine

from bot.adapters.telegram.app import TelegramAdapter, TelegramSettings
from bot.adapters.telegram.notifier import ChatThrottle
from bot.commands.core import Core
from tests.fakes.export_stories import HBM, HOSTILE, MINUS, NOW, seed_export_stories
from tests.fakes.telegram_api import TOKEN, FakeBotAPI
from tests.telegram.htmlcheck import visible

GROUP, MEMBER = -700, 21


@pytest.fixture
async def adapter(fake: FakeBotAPI, sqlite_engine: Engine) -> AsyncIterator[TelegramAdapter]:
    seed_export_stories(sqlite_engine)
    throttle = ChatThrottle(per_second=1000, private_per_second=1000, group_per_minute=60_000)
    tg = TelegramAdapter(
        TelegramSettings(token=TOKEN, api_url=fake.api_url, poll_timeout=5),
        Core(sqlite_engine, secret=b"t", clock=lambda: NOW),
        throttle=throttle,
    )
    await tg.start()
    try:
        yield tg
    finally:
        await tg.stop()


async def test_an_arabic_user_gets_csv_and_json_documents(fake: FakeBotAPI, adapter: TelegramAdapter) -> None:
    menus = [c.params["commands"] for c in fake.calls_to("setMyCommands")]
    assert all(any(c["command"] == "export" for c in menu) for menu in menus) and len(menus) == 2

    fake.command("/export nvidia 30d", chat_id=55, user_id=55, language_code="ar")
    csv_call, json_call = await fake.wait_for("sendDocument", count=2)
    upload = csv_call.params["document"]
    assert upload["filename"].startswith("raqib-nvidia-30d-") and upload["filename"].endswith(".csv")
    raw: bytes = upload["data"]
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "رقم القصة" and rows[0][6] == "الأهمية"
    assert [r[3] for r in rows[1:]] == ["'" + HOSTILE, "'" + MINUS]
    assert rows[1][6] == "عاجل"
    caption = visible(str(csv_call.params["caption"]))
    assert "عدد القصص 2" in caption and "UTC" in caption
    assert "caption" not in json_call.params, "one caption, under the first file"

    doc = json.loads(json_call.params["document"]["data"].decode("utf-8"))
    assert json_call.params["document"]["filename"].endswith(".json")
    assert doc["export"]["language"] == "ar" and [s["headline"] for s in doc["stories"]] == [HOSTILE, MINUS]
    assert not fake.calls_to("sendMessage"), "the answer is the files"


async def test_a_group_member_exports_what_the_group_follows(fake: FakeBotAPI, adapter: TelegramAdapter) -> None:
    fake.add_chat(GROUP, "supergroup")
    fake.set_member(GROUP, MEMBER, "member")
    fake.command("/export", chat_id=GROUP, user_id=MEMBER, chat_type="supergroup")
    [refused] = await fake.wait_for("sendMessage")
    assert "follows no topic" in visible(str(refused.params["text"]))

    fake.set_member(GROUP, 1, "administrator")
    fake.command("/subscribe hbm", chat_id=GROUP, user_id=1, chat_type="supergroup")
    await fake.wait_for("sendMessage", count=2)
    fake.command("/export 7d csv", chat_id=GROUP, user_id=MEMBER, chat_type="supergroup")
    [only_csv] = await fake.wait_for("sendDocument")
    rows = list(csv.reader(io.StringIO(only_csv.params["document"]["data"].decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "Story ID" and [r[3] for r in rows[1:]] == [HBM]
    assert "this chat's topics · 7d — stories: 1" in visible(str(only_csv.params["caption"]))
