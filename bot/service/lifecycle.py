"""``Service``: starts the parts ``bot.app.build_service`` gave it, in order, and stops them in reverse.

Start: the database checks (SQLite: one process), signal handlers, the pid file; then, by role, the chat
listeners, the notifiers and the dispatcher, the pipeline and its feed jobs, the digest jobs, the scheduler,
the health endpoint. A signal (SIGTERM, SIGINT) stops it; SIGHUP rereads the feeds file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine

from bot import metrics, runtime
from bot.commands.core import Core
from bot.config import ConfigError, Env, FeedsFile, load_config
from bot.deliver.dispatcher import Dispatcher
from bot.deliver.model import Notifier
from bot.fetch import Fetcher
from bot.pipeline import Pipeline, StoryHook, warm_up_writer
from bot.service import health, roles
from bot.service.chats import Chats
from bot.service.jobs import Jobs
from bot.service.listeners import Listeners
from bot.service.pidfile import PidFile
from bot.service.roles import ServiceError
from storage.db import is_sqlite
from storage.leases import recover_single_process

log = logging.getLogger("raqib.service")


class Parts(Protocol):
    """What the service builds only once it runs (they need the pool, the fetcher, the notifiers): made by
    ``bot.app``, so that the service itself constructs nothing."""

    def cpu_pool(self) -> AbstractContextManager[Executor | None]: ...

    def fetcher(self) -> Fetcher: ...

    def pipeline(
        self, config: FeedsFile, fetcher: Fetcher, cpu: Executor | None, on_story_update: StoryHook
    ) -> Pipeline: ...

    def dispatcher(self, config: FeedsFile, notifiers: dict[str, Notifier]) -> Dispatcher: ...

    def sync_config(self, config: FeedsFile) -> tuple[list[str], list[str]]: ...


class Service:
    def __init__(
        self,
        config: FeedsFile,
        env: Env,
        *,
        config_path: Path | None,
        role: str,
        engine: Engine,
        owner: str,
        core: Core,
        chats: Chats,
        parts: Parts,
    ) -> None:
        self.config, self.env, self.config_path, self.role = config, env, config_path, roles.check(role)
        self.engine, self.owner, self.core, self.chats, self.parts = engine, owner, core, chats, parts
        self.stop_event = asyncio.Event()
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.jobs = Jobs(self.scheduler, engine, config, wake=self._wake)
        self.listeners = Listeners(engine, owner, config.settings.chat_lease, self.stop_event)
        self.pidfile = PidFile(config.settings.data_dir)
        self.tasks: list[asyncio.Task[Any]] = []
        self.cleanups: list[Callable[[], Awaitable[None]]] = []
        self.dispatcher: Dispatcher | None = None
        self.cpu: Executor | None = None  # a process pool for parse and match when there are many feeds

    @property
    def pipeline(self) -> Pipeline | None:
        return self.jobs.pipeline

    # -- lifecycle -----------------------------------------------------------------------------------
    async def run(self) -> None:
        if is_sqlite(self.engine):
            await self._one_process()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop_event.set)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))
        self.pidfile.write()
        # Parsing in worker processes when there are many feeds (a reload that adds feeds keeps the choice).
        with self.parts.cpu_pool() if roles.polls(self.role) else contextlib.nullcontext() as cpu:
            self.cpu = cpu
            if roles.polls(self.role):
                await asyncio.to_thread(warm_up_writer)
            async with self.parts.fetcher() as fetcher:
                try:
                    await self.start(fetcher)
                    if roles.polls(self.role):
                        runtime.settle()  # full collections wait for a quiet writer (the scheduler's "gc" job)
                    log.info("raqib running (role %s, worker %s)", self.role, self.owner)
                    await self.stop_event.wait()
                finally:
                    runtime.restore()
                    await self._shutdown()

    async def _one_process(self) -> None:
        """SQLite serves one process: refuse a second service, and take back a dead predecessor's work."""
        if self.role != "all":
            raise ServiceError(
                "SQLite serves one process: run with --role all, or use PostgreSQL (DATABASE_URL) "
                "to spread pollers and dispatchers over several processes"
            )
        other = self.pidfile.live_predecessor()
        if other is not None:
            raise ServiceError(
                f"another raqib (pid {other}) is running on this SQLite database; SQLite serves one "
                "process — stop it first, or use PostgreSQL to run several"
            )
        feeds, deliveries = await asyncio.to_thread(recover_single_process, self.engine, self.owner)
        if feeds or deliveries:
            log.warning(
                "the previous run stopped without releasing its work (a crash?): %d feeds and %d deliveries taken back",
                feeds,
                deliveries,
            )

    async def start(self, fetcher: Fetcher) -> None:
        if roles.listens(self.role):
            for platform, (token, start) in self.chats.listeners(self.core).items():
                self.tasks.append(asyncio.create_task(self.listeners.listen(platform, token, start)))
        if roles.dispatches(self.role):
            notifiers = await self.chats.notifiers(self.cleanups)
            if not (self.env.telegram_bot_token or self.env.discord_bot_token):
                log.info("no chat token set: alerts for console subscriptions are printed here")
                await asyncio.to_thread(self.chats.ensure_console_subscription)
            self.dispatcher = self.parts.dispatcher(self.config, notifiers)
            self.tasks.append(asyncio.create_task(self.dispatcher.run(self.stop_event), name="dispatcher"))
        if roles.polls(self.role):
            self.jobs.start_polling(self.parts.pipeline(self.config, fetcher, self.cpu, self._stories_updated))
        if roles.dispatches(self.role):
            self.jobs.start_dispatching()
        self.scheduler.start()
        port = self.env.raqib_health_port or self.config.settings.health_port
        if port:
            host = self.env.raqib_health_host or self.config.settings.health_host
            runner = await metrics.serve(port, self.health, host)
            self.cleanups.append(runner.cleanup)

    async def _shutdown(self) -> None:
        log.info("raqib stopping: finishing in-flight work")
        await self.jobs.stop()
        self.stop_event.set()
        for task in self.tasks:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=30)
        for cleanup in reversed(self.cleanups):
            with contextlib.suppress(Exception):
                await cleanup()
        await self.listeners.release()
        self.engine.dispose()
        self.pidfile.remove()
        log.info("raqib stopped")

    def _wake(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake.set()

    async def _stories_updated(self, _stories: set[int]) -> None:
        self._wake()

    # -- reload, health ----------------------------------------------------------------------------------
    async def reload(self) -> None:
        """SIGHUP: read the feeds file again; a bad file keeps the running configuration."""
        if self.config_path is None:
            return
        try:
            config = await asyncio.to_thread(load_config, self.config_path)
        except ConfigError as exc:
            log.error("reload refused, keeping the running configuration: %s", exc)
            return
        added, changed = await asyncio.to_thread(self.parts.sync_config, config)
        self.config = config
        self.jobs.reconfigure(config)
        if roles.dispatches(self.role):
            self.jobs.schedule_digests()
        log.info("configuration reloaded: %d feeds (%d added, %d changed)", len(config.feeds), len(added), len(changed))

    async def health(self) -> dict[str, object]:
        return await health.report(
            self.engine,
            self.config,
            self.role,
            last_poll_ok=self.jobs.last_poll_ok,
            dispatcher=self.dispatcher,
            scheduler_running=self.scheduler.running,
        )
