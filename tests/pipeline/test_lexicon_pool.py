"""A ``lexicon:`` section in feeds.yaml keeps parse → normalize → match in the service's process pool (it used
to send them to a thread), and the workers match with the extension, loaded from the disk cache the main
process wrote when it validated the file. Real feed server, real SQLite, real spawned worker."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.analyze import analyze, lexicon_key, warm_up, worker_stats
from bot.app import build_service, fetch_settings, sync_config
from bot.config import ConfigError, Env, parse_config
from bot.demo.server import FeedServer
from bot.fetch import Fetcher
from bot.match.lexicon import clear_memory_cache
from storage.db import make_engine, session, upgrade
from storage.tables import MatchEntity


class CountingPool(ProcessPoolExecutor):
    """A process pool that counts the analyze jobs it is given (anything else submitted is not counted)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.analyses = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if getattr(fn, "func", fn) is analyze:
            self.analyses += 1
        return super().submit(fn, *args, **kwargs)


def rss(title: str) -> bytes:
    now = format_datetime(datetime.now(UTC))
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Acme wire</title>'
        f"<item><title>{title}</title><link>https://acme.example/1</link><guid>acme-1</guid>"
        f"<pubDate>{now}</pubDate></item></channel></rss>"
    ).encode()


LEXICON = """
lexicon:
  entities:
    - id: acme-foundry
      kind: company
      weight: 3.0
      topics: [ai-chips]
      name: {ar: أكمي فاوندري, en: Acme Foundry}
      aliases: {ar: [أكمي فاوندري], en: [Acme Foundry]}
"""


async def test_a_lexicon_extension_keeps_parse_and_match_in_the_process_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAQIB_CACHE_DIR", str(tmp_path / "cache"))  # the spawned worker inherits it
    monkeypatch.delenv("DATABASE_URL", raising=False)
    clear_memory_cache()
    body = rss("Acme Foundry wins US export licence to sell AI chips to China")
    with FeedServer({"/acme.xml": lambda: (200, {"Content-Type": "application/rss+xml"}, body)}) as server:
        text = (
            f"settings: {{allow_private_addresses: true, retries: 0, data_dir: '{tmp_path}'}}\n"
            f"feeds:\n  - {{id: acme, url: '{server.base_url}/acme.xml', language: en}}\n{LEXICON}"
        )
        config = parse_config(text)  # validating the extension builds it once, into the disk cache
        assert config.lexicon
        engine = make_engine(f"sqlite:///{tmp_path / 'raqib.db'}")
        upgrade(engine)
        sync_config(engine, config)
        env = Env(_env_file=None)
        service = build_service(config, env, config_path=None, role="poller", engine=engine)
        # The test drives the poll itself: the scheduler's jobs would race it for the feed's lease.
        monkeypatch.setattr(service.scheduler, "start", lambda *a, **k: None)
        # As the service's cpu_pool makes it (spawned workers, the extension as initializer argument).
        pool = CountingPool(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=warm_up,
            initargs=(lexicon_key(config.lexicon),),
        )
        try:
            service.cpu = pool
            async with Fetcher(fetch_settings(config, env)) as fetcher:
                await service.start(fetcher)  # the poller role takes no chats
                assert service.pipeline is not None
                result = await service.pipeline.refresh_feed("acme")
            stats = pool.submit(worker_stats).result()
        finally:
            pool.shutdown(wait=True)
            clear_memory_cache()
            engine.dispose()

    assert (result.status, result.new, result.relevant) == ("new", 1, 1), result
    assert pool.analyses == 1, "parse and match ran in the process pool, not in a thread"
    assert stats["pid"] != os.getpid()
    assert stats["lexicon_builds"] == 0, "the worker loaded the extended lexicon from the cache"
    with session(engine) as s:
        entities = {m.entity for m in s.exec(select(MatchEntity)).all()}
    assert "acme-foundry" in entities, "the worker matched with the feeds file's extension"


def test_the_pool_leaves_the_services_own_core_and_follows_parse_workers() -> None:
    from bot.app import cpu_pool, parse_workers

    feeds = "".join(f"  - {{id: f{i}, url: 'https://f{i}.example/rss', language: en}}\n" for i in range(25))
    cores = len(os.sched_getaffinity(0))
    default = parse_config("feeds:\n" + feeds)
    assert parse_workers(default) == max(1, cores - 1)
    with cpu_pool(parse_config("settings: {parse_workers: 3}\nfeeds:\n" + feeds)) as pool:
        assert isinstance(pool, ProcessPoolExecutor) and pool._max_workers == 3  # no worker started yet
    with pytest.raises(ConfigError, match="parse_workers`: 0: must be at least 1"):
        parse_config("settings: {parse_workers: 0}\nfeeds:\n" + feeds)
