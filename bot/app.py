"""Composition root: builds settings, engine, HTTP client and pipeline, and owns their lifecycle.

Everything runs on one asyncio event loop; dependencies go in through constructors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.analyze import lexicon_key, warm_up
from bot.config import Env, FeedsFile
from bot.deliver.console import ConsoleSink
from bot.fetch import Fetcher, FetchSettings
from bot.pipeline import Pipeline
from storage import repositories as repo
from storage.db import default_url, make_engine, session, upgrade

log = logging.getLogger("raqib.app")


def database_url(config: FeedsFile, env: Env) -> str:
    if env.database_url is not None:
        return env.database_url.get_secret_value()
    return default_url(Path(config.settings.data_dir))


def fetch_settings(config: FeedsFile, env: Env) -> FetchSettings:
    s = config.settings
    return FetchSettings(
        connect_timeout=s.connect_timeout,
        total_timeout=s.total_timeout,
        read_timeout=s.read_timeout,
        max_bytes=s.max_bytes,
        max_redirects=s.max_redirects,
        max_connections=s.max_connections,
        per_host=s.per_host,
        retries=s.retries,
        allow_file=s.allow_file_urls,
        allow_private_addresses=s.allow_private_addresses or env.raqib_allow_private_addresses,
    )


def sync_config(engine: Engine, config: FeedsFile) -> tuple[list[str], list[str]]:
    specs = [repo.FeedSpec(f.id, f.url, f.language, f.title, f.authority, f.enabled) for f in config.feeds]
    with session(engine) as s:
        changed = repo.sync_feeds(s, specs)
    if config.subscriptions:
        sync_subscriptions(engine, config)
    return changed


def sync_subscriptions(engine: Engine, config: FeedsFile) -> None:
    """Subscriptions written in the feeds file: created or updated at every load (the file owns their topics)."""
    import json
    import logging
    from datetime import UTC, datetime

    from bot.match import topic_lookup
    from storage import subscriptions as subs

    now = datetime.now(UTC)
    with session(engine) as s:
        for sc in config.subscriptions:
            target, secret = sc.target, None
            if sc.platform == "discord-webhook":
                from bot.adapters.discord.webhook import InvalidWebhookURL, parse_webhook_url

                url = sc.webhook_url()
                try:
                    ref = parse_webhook_url(url or "")
                except InvalidWebhookURL as exc:
                    where = f"${sc.url_env}" if sc.url_env else "url"
                    logging.getLogger("raqib.config").error("webhook subscription (%s) skipped: %s", where, exc)
                    continue
                target, secret = f"webhook:{ref.id}", url
            assert target is not None
            sub = subs.get_or_create(s, sc.platform, target, now=now, language=sc.language)
            sub.topics = " ".join(dict.fromkeys(t for t in (topic_lookup(x) for x in sc.topics) if t))
            sub.secret, sub.interface_language, sub.updated_at = secret or sub.secret, sc.language, now
            if sc.name or sc.avatar:
                sub.title = json.dumps({"username": sc.name, "avatar_url": sc.avatar})
            s.add(sub)
        s.commit()


def open_database(config: FeedsFile, env: Env, url: str | None = None) -> Engine:
    engine = make_engine(url or database_url(config, env))
    upgrade(engine)
    sync_config(engine, config)
    return engine


@dataclass
class Services:
    engine: Engine
    fetcher: Fetcher
    pipeline: Pipeline


@contextlib.asynccontextmanager
async def services(
    config: FeedsFile, env: Env, *, engine: Engine | None = None, sink: ConsoleSink | None = None
) -> AsyncIterator[Services]:
    engine = engine or await asyncio.to_thread(open_database, config, env)
    with cpu_pool(config) as cpu:
        async with Fetcher(fetch_settings(config, env)) as fetcher:
            on_alerts = sink.send if sink else None
            pipeline = Pipeline(engine=engine, fetcher=fetcher, config=config, on_alerts=on_alerts, cpu=cpu)
            yield Services(engine, fetcher, pipeline)


POOL_FROM_FEEDS = 20  # below this a cycle's parsing is short: a worker thread is enough


def parse_workers(config: FeedsFile) -> int:
    """The pool's size: the setting, else every usable core but the one the service's process needs (its
    writer and event loop are busy while workers parse: one more worker only takes turns with them, at
    ~150 MB of memory each)."""
    if config.settings.parse_workers is not None:
        return config.settings.parse_workers
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return max(1, cores - 1)


@contextlib.contextmanager
def cpu_pool(config: FeedsFile, *, force: bool = False) -> Iterator[Executor | None]:
    """A process pool for parse → normalize → match when there are many feeds.

    In a thread, that work holds the GIL and stalls the event loop (and with it every fetch in flight); in
    processes it uses every core. Workers are spawned (not forked from a process with threads) and build the
    lexicon once when they start.
    """
    if not force and sum(f.enabled for f in config.feeds) < POOL_FROM_FEEDS:
        yield None
        return
    pool = ProcessPoolExecutor(
        max_workers=parse_workers(config),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=warm_up,
        initargs=(lexicon_key(config.lexicon),),
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
