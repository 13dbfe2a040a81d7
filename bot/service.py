"""The long-running service (``raqib run``): scheduler, dispatcher, chat adapters, health — on one loop.

Roles: ``poller`` (feed jobs), ``dispatcher`` (the outbox), ``chat`` (Telegram/Discord listeners), ``all``.
Several processes may share one PostgreSQL: feeds are claimed with leases (``storage.leases.claim_feed``),
deliveries with ``FOR UPDATE SKIP LOCKED`` leases, and the chat listeners of a token by a named lease that
every chat worker keeps trying to take, so a listener comes back when its holder dies. Sending needs no
listener: every dispatcher sends through its own send-only notifiers.

SQLite is one process, ``--role all``: a second ``raqib run`` on the same data folder is refused while the
first is alive (pid file), and at start the leases of a dead predecessor are released at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import random
import signal
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine

from bot import metrics
from bot.commands.core import Core
from bot.config import ConfigError, Env, FeedsFile, load_config
from bot.deliver.console import ConsoleNotifier
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.deliver.model import Notifier
from bot.fetch import Fetcher
from bot.pipeline import FeedResult, Pipeline
from storage import subscriptions as subs
from storage.db import is_sqlite, session
from storage.leases import claim_feed, recover_single_process, release_lease, take_lease

log = logging.getLogger("raqib.service")
ROLES = ("all", "poller", "dispatcher", "chat")
LISTENER_START_GRACE = 60.0  # seconds a listener lease lasts while its bot is starting


class ServiceError(Exception):
    """A setting that makes the service impossible to start, with a message for the operator."""


class LeasedPipeline(Pipeline):
    """The pipeline with the service's feed claim: a run that the scheduler's jitter brought a little early
    still counts as due, and a clock that went back does not stall the feed (see ``storage.leases``)."""

    slack: float = 0.0

    def _claim(self, feed_id: str) -> bool:
        if self.owner is None:  # the service always gives one; a bare Pipeline does not claim
            raise RuntimeError("a leased pipeline needs an owner")
        return claim_feed(
            self.engine,
            feed_id,
            owner=self.owner,
            now=self.clock(),
            lease=self.lease,
            slack=self.slack,
            horizon=claim_horizon(self.config),
        )


def claim_horizon(config: FeedsFile) -> float:
    """The furthest ahead a feed's ``next_poll`` is ever set (seconds): beyond it the clock went back.

    The longest of a failing feed's backoff (its jitter adds up to a quarter) and a feed's own pace
    (``max_feed_interval``), plus two of the longest configured intervals (a configured interval above the
    pace's ceiling is kept, and the scheduler's runs fall up to an interval apart).
    """
    s = config.settings
    longest = max((config.interval(f) for f in config.feeds), default=s.default_interval)
    return max(1.25 * s.max_backoff, s.max_feed_interval) + 2 * longest


def worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{random.randrange(16**4):04x}"


class Service:
    def __init__(
        self, config: FeedsFile, env: Env, *, config_path: Path | None, role: str = "all", engine: Engine | None = None
    ) -> None:
        if role not in ROLES:
            raise ServiceError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        self.config, self.env, self.config_path, self.role = config, env, config_path, role
        self.engine = engine
        self.owner = worker_id()
        self.stop_event = asyncio.Event()
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.tasks: list[asyncio.Task[Any]] = []
        self.cleanups: list[Callable[[], Awaitable[None]]] = []
        self.notifiers: dict[str, Notifier] = {}
        self.last_poll_ok: datetime | None = None
        self.dispatcher: Dispatcher | None = None
        self.pipeline: LeasedPipeline | None = None
        self.cpu: Executor | None = None  # a process pool for parse and match when there are many feeds
        self.chat_leases: dict[str, str] = {}  # platform -> lease name, while this worker listens

    def _db(self) -> Engine:
        """The engine ``run`` opened; jobs, listeners and health start only after it (a bug otherwise)."""
        if self.engine is None:
            raise RuntimeError("the service's database is not open yet")
        return self.engine

    # -- lifecycle -----------------------------------------------------------------------------------
    async def run(self) -> None:
        from bot.app import cpu_pool, open_database

        if self.engine is None:
            self.engine = await asyncio.to_thread(open_database, self.config, self.env)
        if is_sqlite(self.engine):
            if self.role != "all":
                raise ServiceError(
                    "SQLite serves one process: run with --role all, or use PostgreSQL (DATABASE_URL) "
                    "to spread pollers and dispatchers over several processes"
                )
            other = self._live_predecessor()
            if other is not None:
                raise ServiceError(
                    f"another raqib (pid {other}) is running on this SQLite database; SQLite serves one "
                    "process — stop it first, or use PostgreSQL to run several"
                )
            feeds, deliveries = await asyncio.to_thread(recover_single_process, self.engine, self.owner)
            if feeds or deliveries:
                log.warning(
                    "the previous run stopped without releasing its work (a crash?): %d feeds and %d deliveries "
                    "taken back",
                    feeds,
                    deliveries,
                )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop_event.set)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))
        self._write_pid()
        core = Core(self.engine, secret=self._secret(), digest=_digest_fn())
        # Parsing in worker processes when there are many feeds (a reload that adds feeds keeps the choice).
        with cpu_pool(self.config, force=False) if self.role in ("all", "poller") else contextlib.nullcontext() as cpu:
            self.cpu = cpu
            await self._run(core)

    async def _run(self, core: Core) -> None:
        from bot.app import fetch_settings

        async with Fetcher(fetch_settings(self.config, self.env)) as fetcher:
            try:
                await self._start(core, fetcher)
                log.info("raqib running (role %s, worker %s)", self.role, self.owner)
                await self.stop_event.wait()
            finally:
                await self._shutdown()

    async def _start(self, core: Core, fetcher: Fetcher) -> None:
        engine = self._db()
        settings = self.config.settings
        if self.role in ("all", "chat"):
            self._start_listeners(core)
        if self.role in ("all", "dispatcher"):
            await self._start_notifiers()
            self.notifiers["console"] = ConsoleNotifier()
            if not (self.env.telegram_bot_token or self.env.discord_bot_token):
                log.info("no chat token set: alerts for console subscriptions are printed here")
                await asyncio.to_thread(self._ensure_console_subscription)
            self.dispatcher = Dispatcher(
                engine,
                self.notifiers,
                owner=self.owner,
                settings=DispatchSettings(lease=settings.delivery_lease),
            )
            self.tasks.append(asyncio.create_task(self.dispatcher.run(self.stop_event), name="dispatcher"))
        if self.role in ("all", "poller"):
            self.pipeline = LeasedPipeline(
                cpu=self.cpu,
                engine=engine,
                fetcher=fetcher,
                config=self.config,
                owner=self.owner,
                on_story_update=self._wake,
                lease=settings.feed_lease,
            )
            self._schedule_feeds()
            self.scheduler.add_job(
                self._retention,
                "interval",
                hours=6,
                id="retention",
                coalesce=True,
                next_run_time=datetime.now(UTC) + timedelta(minutes=5),
            )
        if self.role in ("all", "dispatcher"):
            self._schedule_digests()
            # A chat's /settings digest … changes its schedule while we run: keep the jobs in step, and
            # catch up on a slot missed while the service was down (the outbox key makes repeats harmless).
            self.scheduler.add_job(self._schedule_digests, "interval", minutes=5, id="digest-sync", coalesce=True)
            self.scheduler.add_job(self._catch_up_digests, "date", run_date=datetime.now(UTC), id="digest-catch-up")
            self.scheduler.add_job(
                self._trends,
                "interval",
                hours=1,
                id="trends",
                coalesce=True,
                next_run_time=datetime.now(UTC) + timedelta(minutes=10),
            )
        self.scheduler.start()
        port = self.env.raqib_health_port or self.config.settings.health_port
        if port:
            host = self.env.raqib_health_host or self.config.settings.health_host
            runner = await metrics.serve(port, self.health, host)
            self.cleanups.append(runner.cleanup)

    async def _shutdown(self) -> None:
        log.info("raqib stopping: finishing in-flight work")
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.stop_event.set()
        for task in self.tasks:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=30)
        for cleanup in reversed(self.cleanups):
            with contextlib.suppress(Exception):
                await cleanup()
        for name in self.chat_leases.values():  # the next worker need not wait for them to expire
            with contextlib.suppress(Exception):
                await asyncio.to_thread(release_lease, self.engine, name, self.owner)  # type: ignore[arg-type]
        if self.engine is not None:
            self.engine.dispose()
        self._remove_pid()
        log.info("raqib stopped")

    async def _wake(self, _stories: set[int]) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake.set()

    # -- feeds -----------------------------------------------------------------------------------------
    def _schedule_feeds(self) -> None:
        now = datetime.now(UTC)
        wanted = {f"feed:{f.id}": f for f in self.config.feeds if f.enabled}
        if self.pipeline is not None:
            # A run may come up to the jitter early (APScheduler draws it afresh for every run).
            shortest = min((self.config.interval(f) for f in wanted.values()), default=600.0)
            self.pipeline.slack = min(self.config.settings.interval_jitter + 0.5, shortest / 2)
        for job in self.scheduler.get_jobs():
            if job.id.startswith("feed:") and job.id not in wanted:
                job.remove()
        for job_id, feed in wanted.items():
            interval = self.config.interval(feed)
            self.scheduler.add_job(
                self._poll,
                "interval",
                args=[feed.id],
                id=job_id,
                replace_existing=True,
                seconds=interval,
                jitter=min(self.config.settings.interval_jitter, interval / 4),
                coalesce=True,
                max_instances=1,
                misfire_grace_time=max(int(interval), 30),
                # the first polls spread over a few seconds rather than all at once
                next_run_time=now + timedelta(seconds=random.uniform(0, min(5.0, interval))),
            )

    async def _poll(self, feed_id: str) -> None:
        if self.pipeline is None:  # feed jobs are scheduled only once the pipeline exists
            raise RuntimeError("a feed job ran before the pipeline was built")
        started = asyncio.get_running_loop().time()
        result: FeedResult = await self.pipeline.refresh_feed(feed_id)
        metrics.FEEDS_POLLED.labels(result.status).inc()
        if result.status != "skipped":
            metrics.POLL_SECONDS.observe(asyncio.get_running_loop().time() - started)
        if result.status in ("new", "unchanged", "not_modified"):
            self.last_poll_ok = datetime.now(UTC)
        if result.new:  # a failure was already logged, once, where it was classified (the pipeline)
            log.info(
                "feed %s: %d new items, %d relevant, %d new stories",
                feed_id,
                result.new,
                result.relevant,
                result.new_stories,
            )
        metrics.ITEMS_NEW.inc(result.new)
        metrics.record_matches(result.relevant, result.new + result.updated)
        metrics.STORIES_NEW.inc(result.new_stories)
        if result.alerts and self.dispatcher is not None:
            self.dispatcher.wake.set()
        if result.disabled:
            await asyncio.to_thread(self._notify_operators, feed_id, result.error or "")

    def _notify_operators(self, feed_id: str, error: str) -> None:
        """Tell the operators once, through the outbox, that a feed was disabled."""
        engine = self._db()
        now = datetime.now(UTC)
        text = (
            f"Raqib disabled the feed {feed_id} after {self.config.settings.disable_after_failures} failures in a "
            f"row. Last error: {error[:300]}. Re-enable it with: raqib feeds enable {feed_id}"
        )
        import json

        with session(engine) as s:
            ids = []
            for ref in self.config.settings.admin_chats:
                platform, _, target = ref.partition(":")
                sub = subs.get_or_create(s, platform, target, now=now)
                if sub.id is None:
                    s.flush()
                if not sub.topics:
                    sub.topics = "__operator__"  # a notice-only chat: matches no topic
                ids.append(sub.id)
            subs.enqueue(
                s,
                [i for i in ids if i is not None],
                story_id=None,
                key=f"disabled:{feed_id}:{now:%Y%m%d%H}",
                kind="notice",
                now=now,
                payload=json.dumps({"text": text}),
            )
            s.commit()
        log.warning("feed %s disabled; operators notified", feed_id)

    async def _retention(self) -> None:
        from storage.retention import prune

        engine = self._db()
        days = self.config.settings.retention_days
        pruned = await asyncio.to_thread(prune, engine, datetime.now(UTC) - timedelta(days=days))
        log.info("retention: %d items older than %d days pruned to tombstones", pruned, days)

    # -- digests ---------------------------------------------------------------------------------------
    async def _catch_up_digests(self) -> None:
        from bot.digest.schedule import catch_up

        engine = self._db()
        if await asyncio.to_thread(catch_up, engine, datetime.now(UTC)) and self.dispatcher is not None:
            self.dispatcher.wake.set()

    async def _trends(self) -> None:
        """Instant trend alerts for the subscriptions that asked for them (/settings trends on)."""
        from bot.digest.spikes import enqueue_trend_alerts

        engine = self._db()

        def run() -> int:
            with session(engine) as s:
                ids = [x.id for x in subs.list_subscriptions(s, active_only=True) if x.trend_alerts and x.id]
            return enqueue_trend_alerts(engine, datetime.now(UTC), ids) if ids else 0

        if await asyncio.to_thread(run) and self.dispatcher is not None:
            self.dispatcher.wake.set()

    def _schedule_digests(self) -> None:
        from bot.digest.schedule import digest_jobs

        engine = self._db()
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest:"):
                job.remove()
        with session(engine) as s:
            for sub_id, trigger in digest_jobs(subs.list_subscriptions(s, active_only=True)):
                self.scheduler.add_job(
                    self._digest,
                    trigger,
                    args=[sub_id],
                    id=f"digest:{sub_id}",
                    coalesce=True,
                    misfire_grace_time=3600,
                    max_instances=1,
                )

    async def _digest(self, sub_id: int) -> None:
        from bot.digest.schedule import enqueue_digest

        await asyncio.to_thread(enqueue_digest, self._db(), sub_id, datetime.now(UTC))
        if self.dispatcher is not None:
            self.dispatcher.wake.set()

    # -- chat adapters ---------------------------------------------------------------------------------
    async def _start_notifiers(self) -> None:
        """Send-only notifiers for the dispatcher: sending needs no listener, so any worker can deliver."""
        from bot.adapters.discord.webhook import DiscordWebhookNotifier

        tg = self.env.telegram_bot_token
        if tg is not None:
            from bot.adapters.telegram.app import TelegramSettings
            from bot.adapters.telegram.notifier import TelegramNotifier

            settings = TelegramSettings.from_env({**os.environ, "TELEGRAM_BOT_TOKEN": tg.get_secret_value()})
            if settings is None:  # from_env answers None only without a token, and it was given one
                raise RuntimeError("no Telegram settings despite a token")
            notifier = TelegramNotifier.create(
                settings.token, api_url=settings.api_url, link_previews=settings.link_previews
            )
            await notifier.start()
            self.cleanups.append(notifier.close)
            self.notifiers["telegram"] = notifier
        dc = self.env.discord_bot_token
        if dc is not None:
            from bot.adapters.discord.endpoints import rest_client
            from bot.adapters.discord.notifier import DiscordBotNotifier

            client, close = await rest_client(dc.get_secret_value(), self._discord_endpoints())  # REST only
            self.cleanups.append(close)
            self.notifiers["discord"] = DiscordBotNotifier(client, options_for=self._discord_options("discord"))
        webhook = DiscordWebhookNotifier(
            options_for=self._discord_options("discord-webhook"), endpoints=self._discord_endpoints()
        )
        self.notifiers["discord-webhook"] = webhook
        self.cleanups.append(webhook.close)

    def _discord_endpoints(self) -> Any:
        """Discord's servers, or the ones ``DISCORD_API_URL`` / ``DISCORD_GATEWAY_URL`` name (a test server)."""
        from bot.adapters.discord.endpoints import Endpoints

        return Endpoints(self.env.discord_api_url, self.env.discord_gateway_url)

    def _discord_options(self, platform: str) -> Callable[[str], Any]:
        """A subscription's presentation on Discord: the webhook's name and avatar, the role to mention."""
        from bot.adapters.discord.webhook import TargetOptions

        levels = ("normal", "high", "critical")

        def options_for(target: str) -> TargetOptions | None:
            with session(self._db()) as s:
                sub = subs.find_by_target(s, platform, target)
            if sub is None:
                return None
            look: dict[str, Any] = {}
            if sub.title and sub.title.startswith("{"):
                with contextlib.suppress(ValueError):
                    look = json.loads(sub.title)
            at_least = sub.mention_severity if sub.mention_severity in levels else "critical"
            return TargetOptions(
                username=look.get("username") or None,
                avatar_url=look.get("avatar_url") or None,
                mention_role_id=int(sub.mention_role) if (sub.mention_role or "").isdigit() else None,
                mention_severities=frozenset(levels[levels.index(at_least) :]),
            )

        return options_for

    def _start_listeners(self, core: Core) -> None:
        """One worker listens for each bot token's updates; the others keep trying, and take over when it dies."""
        tg, dc = self.env.telegram_bot_token, self.env.discord_bot_token
        if tg is not None:
            self.tasks.append(
                asyncio.create_task(self._listen("telegram", tg.get_secret_value(), self._telegram_adapter(core)))
            )
        if dc is not None:
            self.tasks.append(
                asyncio.create_task(self._listen("discord", dc.get_secret_value(), self._discord_adapter(core)))
            )

    def _telegram_adapter(self, core: Core) -> Callable[[], Awaitable[Callable[[], Awaitable[None]]]]:
        async def start() -> Callable[[], Awaitable[None]]:
            os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB 22: durations as timedelta, no deprecation noise
            from bot.adapters.telegram.app import TelegramAdapter, TelegramSettings

            token = self.env.telegram_bot_token
            if token is None:  # _start_listeners starts this only with a token
                raise RuntimeError("the Telegram listener started without a token")
            settings = TelegramSettings.from_env({**os.environ, "TELEGRAM_BOT_TOKEN": token.get_secret_value()})
            if settings is None:
                raise RuntimeError("no Telegram settings despite a token")
            adapter = TelegramAdapter(settings, core)
            await adapter.start()
            return adapter.stop

        return start

    def _discord_adapter(self, core: Core) -> Callable[[], Awaitable[Callable[[], Awaitable[None]]]]:
        async def start() -> Callable[[], Awaitable[None]]:
            from bot.adapters.discord.bot import DiscordAdapter

            token = self.env.discord_bot_token
            if token is None:  # _start_listeners starts this only with a token
                raise RuntimeError("the Discord listener started without a token")
            adapter = DiscordAdapter(
                core,
                token=token.get_secret_value(),
                topic_choices=_topic_choices,
                on_removed_from_guild=self._guild_removed,
                admin_role_id=self.env.discord_admin_role_id,
                test_guild_id=self.env.discord_test_guild_id,
                options_for=self._discord_options("discord"),
                endpoints=self._discord_endpoints(),
            )
            await adapter.start()
            return adapter.close

        return start

    async def _listen(
        self, platform: str, token: str, start: Callable[[], Awaitable[Callable[[], Awaitable[None]]]]
    ) -> None:
        """Hold the listener lease of a bot token: take it when free, renew it, listen while we hold it."""
        engine = self._db()
        name = f"chat:{platform}:{hashlib.sha256(token.encode()).hexdigest()[:16]}"
        seconds = self.config.settings.chat_lease
        stop: Callable[[], Awaitable[None]] | None = None
        announced = False
        try:
            while not self.stop_event.is_set():
                # Starting a bot (login, menu) can take longer than a lease on a busy machine, and the lease is
                # renewed only between steps: ask for a longer one while we are not yet listening.
                span = seconds if stop is not None else max(seconds, LISTENER_START_GRACE)
                try:
                    held = await asyncio.to_thread(take_lease, engine, name, self.owner, span)
                except Exception:  # the database is away: keep listening if we were, and try again
                    log.warning("could not renew the %s listener lease; retrying", platform, exc_info=True)
                    held = stop is not None
                if held and stop is None:
                    self.chat_leases[platform] = name
                    try:
                        stop = await start()
                    except Exception as exc:
                        log.error("the %s bot could not start: %s", platform, exc)
                        self.chat_leases.pop(platform, None)
                        await asyncio.to_thread(release_lease, engine, name, self.owner)
                        return
                    log.info("this worker listens for the %s bot", platform)
                elif not held and stop is not None:  # we lost the lease (a long pause): another worker listens
                    log.warning("the %s listener lease was taken over; stopping this listener", platform)
                    await stop()
                    stop = None
                    self.chat_leases.pop(platform, None)
                elif not held and not announced:
                    log.info("another worker listens for the %s bot; this one takes over if it stops", platform)
                    announced = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_event.wait(), timeout=seconds / 3)
        finally:
            if stop is not None:
                with contextlib.suppress(Exception):
                    await stop()

    async def _guild_removed(self, guild_id: str) -> None:
        """The bot was removed from a Discord server: its subscriptions there pause, with the reason."""
        engine = self._db()

        def pause_all() -> None:
            with session(engine) as s:
                for sub in subs.list_subscriptions(s):
                    if sub.guild_id == str(guild_id) and not sub.paused:
                        subs.pause(s, sub, "the bot was removed from the server", datetime.now(UTC))
                s.commit()

        await asyncio.to_thread(pause_all)

    def _ensure_console_subscription(self) -> None:
        with session(self._db()) as s:
            subs.get_or_create(s, "console", "stdout", now=datetime.now(UTC))
            s.commit()

    # -- reload, health ----------------------------------------------------------------------------------
    async def reload(self) -> None:
        """SIGHUP: read the feeds file again; a bad file keeps the running configuration."""
        from bot.app import sync_config

        if self.config_path is None:
            return
        try:
            config = await asyncio.to_thread(load_config, self.config_path)
        except ConfigError as exc:
            log.error("reload refused, keeping the running configuration: %s", exc)
            return
        added, changed = await asyncio.to_thread(sync_config, self._db(), config)
        self.config = config
        if self.pipeline is not None:
            self.pipeline.config = config
            self._schedule_feeds()
        if self.role in ("all", "dispatcher"):
            self._schedule_digests()
        log.info("configuration reloaded: %d feeds (%d added, %d changed)", len(config.feeds), len(added), len(changed))

    async def health(self) -> dict[str, object]:
        engine = self._db()

        def counts() -> dict[str, object]:
            with session(engine) as s:
                return subs.service_counts(s)

        try:
            c = await asyncio.to_thread(counts)
            db_ok = True
        except Exception:
            c, db_ok = {}, False
        metrics.PENDING.set(float(c.get("pending", 0) or 0))  # type: ignore[arg-type]
        age = metrics.age_seconds(self.last_poll_ok)
        interval = max((self.config.interval(f) for f in self.config.feeds), default=600)
        poll_ok = self.role not in ("all", "poller") or (age is not None and age < 3 * interval)
        reasons = metrics.degraded_reasons(
            database=db_ok,
            feeds_enabled=c.get("polled") if self.role in ("all", "poller") else None,  # type: ignore[arg-type]
            feeds_failing=c.get("broken"),  # type: ignore[arg-type]
            oldest_due=c.get("oldest_due"),  # type: ignore[arg-type]
            dispatcher_cycle=self.dispatcher.last_cycle if self.dispatcher else None,
            dispatcher_running=self.dispatcher is not None,
        )
        ok = not reasons and self.scheduler.running and (poll_ok or age is None)
        return {
            "ok": ok,
            "reasons": reasons,
            "database": db_ok,
            "scheduler": self.scheduler.running,
            "last_poll_age_s": age,
            "role": self.role,
            "feeds": c.get("feeds"),
            "pending_deliveries": c.get("pending"),
        }

    def _secret(self) -> bytes:
        seed = "|".join(t.get_secret_value() for t in (self.env.telegram_bot_token, self.env.discord_bot_token) if t)
        return hashlib.sha256(("raqib-callbacks|" + (seed or self.owner)).encode()).digest()

    def _pid_path(self) -> Path:
        return Path(self.config.settings.data_dir) / "raqib.pid"

    def _live_predecessor(self) -> int | None:
        """The pid of another live ``raqib run`` on this data folder, if any (a stale pid file is ignored)."""
        try:
            pid = int(self._pid_path().read_text().strip())
        except (OSError, ValueError):
            return None
        if pid == os.getpid():
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        try:  # a recycled pid belongs to some other program
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return pid
        return pid if b"raqib" in cmdline or b"bot.cli" in cmdline else None

    def _write_pid(self) -> None:
        with contextlib.suppress(OSError):
            self._pid_path().parent.mkdir(parents=True, exist_ok=True)
            self._pid_path().write_text(str(os.getpid()))

    def _remove_pid(self) -> None:
        with contextlib.suppress(OSError):
            if self._pid_path().read_text().strip() == str(os.getpid()):
                self._pid_path().unlink()


def _topic_choices(prefix: str, language: str) -> list[tuple[str, str]]:
    from bot.match import load_lexicon
    from bot.match.normalizer import normalize_text

    p = normalize_text(prefix[:100])
    out = []
    for t in load_lexicon().topics.values():
        name = t.name_ar if language == "ar" else t.name_en
        if not p or p in normalize_text(f"{t.id} {t.name_ar} {t.name_en}"):
            out.append((f"{name} ({t.id})"[:100], t.id))
    return out[:25]


def _digest_fn() -> Any:
    try:
        from bot.digest.build import digest_reply
    except ImportError:  # pragma: no cover
        return None
    return digest_reply


def reload_running(config: FeedsFile) -> str:
    """`raqib reload`: signal the running service (its pid file is in the data folder)."""
    pid_file = Path(config.settings.data_dir) / "raqib.pid"
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        raise ServiceError(f"no running raqib found ({pid_file}: {exc})") from None
    return f"asked raqib (pid {pid}) to reload its configuration"


async def run_service(config: FeedsFile, env: Env, *, config_path: Path | None = None, role: str = "all") -> None:
    await Service(config, env, config_path=config_path, role=role).run()


__all__ = ["ROLES", "Service", "ServiceError", "reload_running", "run_service"]
