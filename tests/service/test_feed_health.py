"""A feed that keeps failing is disabled and the operators are told once, through the outbox; `raqib feeds
check` shows it; one command re-enables it. Retention keeps tombstones, so pruned items never return as new."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import main
from bot.config import Env, parse_config
from bot.demo.server import FeedServer
from bot.service import notices
from storage.db import make_engine, session, upgrade
from storage.feeds import get_feed
from storage.retention import prune
from storage.tables import Delivery, ItemRow, Subscription

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>Old news about chips</title>'
    b'<link>https://o.example/1</link><guid isPermaLink="false">o1</guid>'
    b"<pubDate>Mon, 02 Jan 2023 10:00:00 GMT</pubDate></item></channel></rss>"
)


async def test_disabled_after_failures_operators_told_once_then_enabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with FeedServer() as server:  # every path answers 404
        cfg_file = tmp_path / "feeds.yaml"
        cfg_file.write_text(
            f"settings: {{allow_private_addresses: true, retries: 0, disable_after_failures: 3,"
            f" data_dir: '{tmp_path}', admin_chats: ['telegram:4242']}}\n"
            f"feeds:\n  - {{id: dead, url: '{server.base_url}/dead.xml', language: en}}\n"
        )
        config = parse_config(cfg_file.read_text())
        engine = make_engine(f"sqlite:///{tmp_path / 'raqib.db'}")
        upgrade(engine)
        from bot.app import services, sync_config

        sync_config(engine, config)
        async with services(config, Env(_env_file=None), engine=engine) as svc:
            for _ in range(3):
                with session(engine) as s:  # make it due again at once instead of waiting out the backoff
                    feed = get_feed(s, "dead")
                    assert feed is not None
                    feed.next_poll = None
                    s.add(feed)
                    s.commit()
                [result] = await svc.pipeline.poll_once(["dead"])
            assert result.disabled and result.error_code == "http_404"
        notices.feed_disabled(engine, config.settings, "dead", result.error or "")
        notices.feed_disabled(engine, config.settings, "dead", result.error or "")  # the same hour: told once
        with session(engine) as s:
            [notice] = s.exec(select(Delivery)).all()
            sub = s.get(Subscription, notice.subscription_id)
            assert sub is not None and (sub.platform, sub.target) == ("telegram", "4242")
            assert notice.kind == "notice" and "raqib feeds enable dead" in json.loads(notice.payload or "{}")["text"]
            assert sub.topics == "__operator__", "an operator chat gets notices, not every alert"

        # The CLI runs its own event loop: call it from a thread, as a shell would from another process.
        assert await asyncio.to_thread(main, ["--config", str(cfg_file), "feeds", "check"]) == 0
        out = capsys.readouterr().out
        assert "FAILED  dead" in out and "disabled by the service: 3 consecutive failures" in out
        assert await asyncio.to_thread(main, ["--config", str(cfg_file), "feeds", "enable", "dead"]) == 0
        with session(engine) as s:
            feed = get_feed(s, "dead")
            assert feed is not None and feed.enabled and feed.consecutive_failures == 0


async def test_pruned_items_stay_as_tombstones_and_never_come_back_as_new(tmp_path: Path) -> None:
    from bot.app import services, sync_config

    with FeedServer({"/f.xml": lambda: (200, {"Content-Type": "application/rss+xml"}, RSS)}) as server:
        config = parse_config(
            f"settings: {{allow_private_addresses: true, retries: 0}}\n"
            f"feeds:\n  - {{id: f, url: '{server.base_url}/f.xml', language: en}}\n"
        )
        engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
        upgrade(engine)
        sync_config(engine, config)
        async with services(config, Env(_env_file=None), engine=engine) as svc:
            [first] = await svc.pipeline.poll_once()
            assert first.new == 1
            assert prune(engine, datetime.now(UTC) - timedelta(days=30)) == 1
            with session(engine) as s:
                [row] = s.exec(select(ItemRow)).all()
                assert row.pruned_at is not None and row.content == "" and row.identity
                feed = get_feed(s, "f")
                assert feed is not None
                feed.etag = None  # a full 200 again, not a 304
                s.add(feed)
                s.commit()
            [again] = await svc.pipeline.poll_once()
            assert again.new == 0, "a pruned item is not news when its feed still lists it"
