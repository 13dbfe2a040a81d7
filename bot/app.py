"""Composition root: builds settings, engine, HTTP client and pipeline, and owns their lifecycle; for
``raqib run``, ``build_service`` builds the whole service (``bot.service``), which only starts and stops it.

Everything runs on one asyncio event loop; dependencies go in through constructors.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import multiprocessing
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot.analyze import lexicon_key, warm_up
from bot.config import Env, FeedsFile
from bot.deliver.console import ConsoleSink
from bot.fetch import Fetcher, FetchSettings
from bot.pipeline import Pipeline
from storage.db import default_url, make_engine, session, upgrade
from storage.feeds import FeedSpec, sync_feeds

if TYPE_CHECKING:
    from bot.deliver.dispatcher import Dispatcher
    from bot.deliver.model import Notifier
    from bot.pipeline import StoryHook
    from bot.service.lifecycle import Service

log = logging.getLogger("raqib.app")
NO_VARIABLES: Mapping[str, str] = MappingProxyType({})  # no subscription can name a variable (tests, benches)


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


def sync_config(
    engine: Engine, config: FeedsFile, variables: Mapping[str, str] = NO_VARIABLES
) -> tuple[list[str], list[str]]:
    """The feeds file's feeds and subscriptions into the database; ``variables`` (``Env.variables``) holds the
    webhook URLs subscriptions name by variable (``url_env``)."""
    specs = [FeedSpec(f.id, f.url, f.language, f.title, f.authority, f.enabled) for f in config.feeds]
    with session(engine) as s:
        changed = sync_feeds(s, specs)
    if config.subscriptions:
        sync_subscriptions(engine, config, variables)
    return changed


def sync_subscriptions(engine: Engine, config: FeedsFile, variables: Mapping[str, str]) -> None:
    """Subscriptions written in the feeds file: created or updated at every load (the file owns their topics)."""
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

                url = sc.webhook_url(variables)
                try:
                    ref = parse_webhook_url(url or "")
                except InvalidWebhookURL as exc:
                    where = f"${sc.url_env}" if sc.url_env else "url"
                    logging.getLogger("raqib.config").error("webhook subscription (%s) skipped: %s", where, exc)
                    continue
                target, secret = f"webhook:{ref.id}", url
            if target is None:  # SubscriptionConfig requires one of every platform but discord-webhook
                raise ValueError(f"a {sc.platform} subscription without a target")
            sub = subs.get_or_create(s, sc.platform, target, now=now, language=sc.language)
            sub.topics = " ".join(dict.fromkeys(t for t in (topic_lookup(x) for x in sc.topics) if t))
            sub.secret, sub.interface_language, sub.updated_at = secret or sub.secret, sc.language, now
            if sc.name or sc.avatar:  # only Discord webhooks take them (``SubscriptionConfig``)
                from bot.adapters.discord.options import DiscordOptions

                look = DiscordOptions(username=sc.name, avatar_url=sc.avatar)
                sub.options = look.merged_into(sub.options)
            s.add(sub)
        s.commit()


def open_database(config: FeedsFile, env: Env, url: str | None = None) -> Engine:
    engine = make_engine(url or database_url(config, env))
    upgrade(engine)
    sync_config(engine, config, env.variables)
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
    if engine is None:
        engine = await asyncio.to_thread(open_database, config, env)
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


# -- the service (``raqib run``) -------------------------------------------------------------------------
# Its modules are imported here, not at the top: `poll --once` and the other commands need none of them.


@dataclass
class ServiceParts:
    """``bot.service.lifecycle.Parts``: what the service builds only once it runs."""

    config: FeedsFile
    env: Env
    engine: Engine
    owner: str

    def cpu_pool(self) -> contextlib.AbstractContextManager[Executor | None]:
        return cpu_pool(self.config, force=False)

    def fetcher(self) -> Fetcher:
        return Fetcher(fetch_settings(self.config, self.env))

    def pipeline(
        self, config: FeedsFile, fetcher: Fetcher, cpu: Executor | None, on_story_update: StoryHook
    ) -> Pipeline:
        """The pipeline with the service's feed claim (its slack and horizon are the scheduler's: ``jobs``)."""
        from bot.service.jobs import claim_horizon
        from storage.leases import FeedClaim

        claim = FeedClaim(self.engine, self.owner, lease=config.settings.feed_lease, horizon=claim_horizon(config))
        return Pipeline(
            cpu=cpu, engine=self.engine, fetcher=fetcher, config=config, claim=claim, on_story_update=on_story_update
        )

    def dispatcher(self, config: FeedsFile, notifiers: dict[str, Notifier]) -> Dispatcher:
        from bot.deliver.dispatcher import Dispatcher, DispatchSettings
        from bot.digest.deliver import PAYLOADS

        settings = DispatchSettings(lease=config.settings.delivery_lease)
        return Dispatcher(self.engine, notifiers, owner=self.owner, settings=settings, payloads=PAYLOADS)

    def sync_config(self, config: FeedsFile) -> tuple[list[str], list[str]]:
        return sync_config(self.engine, config, self.env.variables)


def build_service(
    config: FeedsFile, env: Env, *, config_path: Path | None, engine: Engine, role: str = "all"
) -> Service:
    """The service and everything it runs, for ``engine`` (opened and upgraded: ``open_database``)."""
    from bot.commands.core import Core
    from bot.digest.deliver import digest_reply
    from bot.service.chats import Chats
    from bot.service.lifecycle import Service
    from bot.service.roles import worker_id

    owner = worker_id()
    # Callback data is signed with a key the tokens give (a worker's own id when there is none).
    seed = "|".join(t.get_secret_value() for t in (env.telegram_bot_token, env.discord_bot_token) if t)
    secret = hashlib.sha256(("raqib-callbacks|" + (seed or owner)).encode()).digest()
    return Service(
        config,
        env,
        config_path=config_path,
        role=role,
        engine=engine,
        owner=owner,
        core=Core(engine, secret=secret, digest=digest_reply),
        chats=Chats(engine, env),
        parts=ServiceParts(config, env, engine, owner),
    )


async def run_service(config: FeedsFile, env: Env, *, config_path: Path | None = None, role: str = "all") -> None:
    """``raqib run``: open the database, build the service, run it until a signal."""
    from bot.service.roles import check

    check(role)  # a wrong role is refused before the database is touched
    engine = await asyncio.to_thread(open_database, config, env)
    await build_service(config, env, config_path=config_path, engine=engine, role=role).run()
