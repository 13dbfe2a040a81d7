"""The database goes away while ``raqib run`` works (PostgreSQL behind a TCP proxy on 127.0.0.1 that drops
every connection and refuses new ones for a while): the service keeps running, waits, recovers, and the
news published during the outage still arrives, once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import make_url

from bot.app import sync_config
from bot.config import load_config
from bot.demo.server import FeedServer
from storage import subscriptions as subs
from storage.db import session
from tests.fakes.telegram_api import FakeBotAPI
from tests.service.support import Child, Publisher, child_env
from tests.service.test_scale import write_config

OUTAGE = float(os.environ.get("RAQIB_OUTAGE_SECONDS", "6"))
STORY_URL = re.compile(r"story-(\d{3})\.html")
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


class Proxy:
    """TCP forwarding to the database; ``down()`` cuts every connection and stops listening."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in list(self.writers):
            w.transport.abort()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= {writer, up_writer}


async def test_the_service_waits_for_the_database_and_loses_nothing(pg_schema, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine, url = pg_schema
    parsed = make_url(url)
    proxy = Proxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.up()
    pub = Publisher()
    server = FeedServer({"/en.xml": pub.route("en"), "/ar.xml": pub.route("ar")})
    server.__enter__()
    fake = await FakeBotAPI().start()
    child: Child | None = None
    try:
        fake.add_chat(301, "private")
        cfg = write_config(tmp_path, server.base_url)
        sync_config(engine, load_config(cfg))
        with session(engine) as s:
            subs.get_or_create(s, "telegram", "301", now=datetime.now(UTC))
            s.commit()
        via_proxy = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        env = child_env(DATABASE_URL=via_proxy, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.api_url)
        child = await Child.start(cfg, env=env, cwd=tmp_path)
        await child.wait_for("feed en: 1 new items", within=60)
        await child.wait_for("feed ar: 1 new items", within=30)

        def shown() -> set[int]:
            return {
                int(x)
                for c in fake.calls
                if c.method in ("sendMessage", "editMessageText")
                for x in STORY_URL.findall(str(c.params.get("text")))
            }

        async def until_shown(wanted: set[int], within: float) -> None:
            async def wait() -> None:
                async with fake._changed:
                    while not wanted <= shown():
                        await fake._changed.wait()

            await asyncio.wait_for(wait(), within)

        pub.publish()
        await until_shown({1}, 30)
        await proxy.down()  # the database goes away
        pub.publish()
        pub.publish()
        await asyncio.sleep(OUTAGE)  # the length of the outage (a schedule, not a wait for something)
        assert child.proc.returncode is None, "the service must not exit when the database goes away"
        await proxy.up()
        await until_shown({1, 2, 3}, 60)
        assert await child.terminate() == 0, child.tail()
        sent = Counter(
            int(m.group(1)) for c in fake.calls_to("sendMessage") if (m := STORY_URL.search(str(c.params.get("text"))))
        )
        assert all(n == 1 for n in sent.values()), sent
    finally:
        if child is not None:
            await child.kill()
        await fake.close()
        server.__exit__()
        with contextlib.suppress(Exception):
            await proxy.down()
