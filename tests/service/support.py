"""Helpers for tests that run ``raqib run`` as real subprocesses: a feed that publishes news over time, the
child's output read line by line, and free ports."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.db import session
from storage.tables import Delivery, ItemRow, StoryItem, Subscription

ROOT = Path(__file__).resolve().parents[2]

# Distinct, relevant news (written for these tests), so that each becomes its own story.
NEWS: tuple[tuple[str, str, str], ...] = (
    (
        "en",
        "US adds 14 Chinese chip firms to the Entity List",
        "The Commerce Department's Bureau of Industry and Security placed fourteen semiconductor companies on the "
        "Entity List on Tuesday, citing support for military supercomputing.",
    ),
    (
        "en",
        "SK Hynix sells out next year's HBM capacity",
        "The Korean memory maker told analysts that its high-bandwidth memory output for 2026 is already booked by "
        "AI accelerator customers.",
    ),
    (
        "en",
        "ASML says Dutch licence rules now cover more DUV immersion tools",
        "The lithography company said the Netherlands extended licence requirements to additional deep ultraviolet "
        "immersion scanners shipped to China.",
    ),
    (
        "ar",
        "هواوي تكشف عن شريحة أسند جديدة للذكاء الاصطناعي",
        "أعلنت شركة هواوي الصينية عن معالج أسند جديد مخصص لتدريب نماذج الذكاء الاصطناعي في ظل القيود الأمريكية "
        "على تصدير الرقائق المتقدمة.",
    ),
    (
        "en",
        "TSMC halts shipments of 7nm AI chips to several Chinese customers",
        "Taiwan Semiconductor Manufacturing told some mainland clients it would stop making advanced AI processors "
        "at 7 nanometres or below for them.",
    ),
    (
        "ar",
        "الصين تفرض قيودا على تصدير الغاليوم والجرمانيوم",
        "قالت وزارة التجارة الصينية إن المصدرين سيحتاجون إلى تراخيص لشحن معدني الغاليوم والجرمانيوم المستخدمين "
        "في صناعة أشباه الموصلات.",
    ),
    (
        "en",
        "Nvidia books a charge on unsold H20 inventory after licence requirement",
        "Nvidia said a new US licence requirement for its H20 accelerator sales to China led to a multibillion-"
        "dollar inventory charge this quarter.",
    ),
    (
        "en",
        "Malaysia tightens checks on AI server transshipments",
        "The Malaysian trade ministry will require permits for exports of US-made high-performance AI chips, to "
        "stop servers being diverted to restricted buyers.",
    ),
    (
        "ar",
        "سامسونج تبدأ إنتاج ذاكرة HBM4 للجيل المقبل من مسرعات الذكاء الاصطناعي",
        "بدأت سامسونج للإلكترونيات الإنتاج الكمي لذاكرة النطاق الترددي العالي من الجيل الرابع لعملائها من "
        "صانعي مسرعات الذكاء الاصطناعي.",
    ),
    (
        "en",
        "BIS issues new foundry due-diligence rule for advanced logic",
        "Foundries must now verify the end users of chips made at 16 nanometres or below under a Bureau of "
        "Industry and Security rule published Wednesday.",
    ),
    (
        "en",
        "Japan expands export controls on chipmaking equipment",
        "Tokyo added 21 categories of semiconductor manufacturing equipment, including etching and deposition "
        "tools, to the items that need an export licence.",
    ),
    (
        "ar",
        "الإمارات توقع اتفاقا لاستيراد رقائق إنفيديا المتقدمة",
        "وقعت الإمارات العربية المتحدة اتفاقا مع الولايات المتحدة يسمح باستيراد مئات الآلاف من معالجات "
        "إنفيديا للذكاء الاصطناعي سنويا لمراكز البيانات.",
    ),
    (
        "en",
        "Smuggling ring charged over diverted Nvidia GPUs",
        "Federal prosecutors charged three people with routing thousands of restricted Nvidia graphics processors "
        "to China through shell companies in Singapore.",
    ),
    (
        "en",
        "Micron exits China server chip business after ban",
        "Micron Technology will stop supplying server memory chips to data centres in China, two years after "
        "Beijing barred its products from critical infrastructure.",
    ),
    (
        "ar",
        "هولندا تسيطر على شركة نكسبيريا لصناعة الرقائق",
        "استخدمت الحكومة الهولندية قانونا نادرا لتولي إدارة شركة نكسبيريا المملوكة لمستثمرين صينيين بسبب مخاوف "
        "تتعلق بأمن سلاسل توريد أشباه الموصلات.",
    ),
    (
        "en",
        "AMD wins licence to sell MI308 accelerators in China",
        "Advanced Micro Devices said the Commerce Department approved licences for some MI308 AI accelerator sales "
        "to Chinese customers, with a revenue-sharing condition.",
    ),
)
BACKLOG = {
    "en": (
        "en",
        "Chip export licences: what changed last year",
        "A look back at the export control rules for advanced semiconductors published over the past year.",
    ),
    "ar": (
        "ar",
        "قيود تصدير الرقائق: ماذا تغير في العام الماضي",
        "مراجعة لقواعد الرقابة على تصدير أشباه الموصلات المتقدمة التي صدرت خلال العام الماضي.",
    ),
}


def url_of(n: int) -> str:
    return f"https://news.example/story-{n:03d}.html"


def rss_of(entries: Sequence[tuple[int, tuple[str, str, str]]], now: datetime | None = None) -> bytes:
    now = now or datetime.now(UTC)
    body = "".join(
        f"<item><title>{escape(title)}</title><link>{url_of(n)}</link><guid>{url_of(n)}</guid>"
        f"<description>{escape(text)}</description>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=30 - min(n, 29)))}</pubDate></item>"
        for n, (_lang, title, text) in entries
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
    return f"{head}{body}</channel></rss>".encode()


@dataclass
class Publisher:
    """A feed (per language) whose items appear over time: ``publish()`` releases the next piece of news."""

    released: int = 0
    polls: dict[str, list[float]] = field(default_factory=dict)  # path -> monotonic times of requests

    def route(self, language: str):  # type: ignore[no-untyped-def]
        path = f"/{language}.xml"

        def serve() -> tuple[int, dict[str, str], bytes]:
            self.polls.setdefault(path, []).append(time.monotonic())
            entries = [(900 if language == "ar" else 901, BACKLOG[language])]  # stored quietly at the first poll
            entries += [(i + 1, NEWS[i]) for i in range(self.released) if NEWS[i][0] == language]
            return 200, {"Content-Type": "application/rss+xml"}, rss_of(entries)

        return serve

    def publish(self) -> int:
        if self.released < len(NEWS):
            self.released += 1
        return self.released


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_", "DATABASE_URL"))}
    return {**env, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **extra}


class Child:
    """One ``raqib run`` subprocess, its stderr lines collected by a task; ``wait_for`` is an event wait."""

    def __init__(self, proc: asyncio.subprocess.Process, name: str = "raqib") -> None:
        self.proc, self.name = proc, name
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self._tasks = [asyncio.create_task(self._pump(proc.stderr)), asyncio.create_task(self._pump(proc.stdout))]

    @classmethod
    async def start(cls, config: Path, *args: str, env: dict[str, str], cwd: Path, name: str = "raqib") -> Child:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "--config",
            str(config),
            "run",
            *args,
            cwd=cwd,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc, name)

    async def _pump(self, stream: asyncio.StreamReader | None) -> None:
        assert stream is not None
        while line := await stream.readline():
            async with self._changed:
                self.lines.append(line.decode(errors="replace"))
                self._changed.notify_all()
        await self.proc.wait()
        async with self._changed:  # wake waiters: the child is gone
            self._changed.notify_all()

    def saw(self, needle: str) -> bool:
        return any(needle in line for line in self.lines)

    async def wait_for(self, needle: str, within: float = 30.0) -> None:
        async def wait() -> None:
            async with self._changed:
                while not self.saw(needle):
                    if self.proc.returncode is not None:
                        raise AssertionError(f"{self.name} exited before {needle!r}:\n{self.tail()}")
                    await self._changed.wait()

        try:
            await asyncio.wait_for(wait(), within)
        except TimeoutError:
            raise AssertionError(f"{self.name}: {needle!r} not seen within {within}s:\n{self.tail()}") from None

    def tail(self, n: int = 40) -> str:
        return "".join(self.lines[-n:])

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()  # SIGKILL: no cleanup of any kind
        await self.proc.wait()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def terminate(self, within: float = 30.0) -> int:
        if self.proc.returncode is None:
            self.proc.terminate()
        code = await asyncio.wait_for(self.proc.wait(), within)
        await asyncio.gather(*self._tasks, return_exceptions=True)
        return code


STORY_URL = re.compile(r"story-(\d{3})\.html")


def outbox_by_chat_and_story(engine: Engine) -> tuple[dict[int, int], dict[tuple[int, int | None], Delivery]]:
    """(story number in the published URL → story id, (chat id, story id) → its outbox row)."""
    with session(engine) as s:
        story_of = {
            int(m.group(1)): sid
            for url, sid in s.exec(
                select(ItemRow.url, StoryItem.story_id).join(StoryItem, StoryItem.item_id == ItemRow.id)
            ).all()
            if url and (m := STORY_URL.search(url))
        }
        chat_of = {sub.id: int(sub.target) for sub in s.exec(select(Subscription)).all()}
        rows = {(chat_of[d.subscription_id], d.story_id): d for d in s.exec(select(Delivery)).all()}
    return story_of, rows
