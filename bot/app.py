"""Composition root: builds settings, engine, HTTP client and pipeline, and owns their lifecycle.

Everything runs on one asyncio event loop; dependencies go in through constructors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

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
        return repo.sync_feeds(s, specs)


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
    async with Fetcher(fetch_settings(config, env)) as fetcher:
        on_alerts = sink.send if sink else None
        pipeline = Pipeline(engine=engine, fetcher=fetcher, config=config, on_alerts=on_alerts)
        yield Services(engine, fetcher, pipeline)
