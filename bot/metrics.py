"""Prometheus metrics (prometheus-client) and the optional HTTP endpoint with /healthz and /metrics.

Metrics live in their own registry: the conventional module-level objects, incremented where events happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger("raqib.health")

REGISTRY = CollectorRegistry()
FEEDS_POLLED = Counter("raqib_feeds_polled_total", "Feed polls by outcome", ["status"], registry=REGISTRY)
ITEMS_NEW = Counter("raqib_items_new_total", "New items stored", registry=REGISTRY)
MATCHES = Counter("raqib_matches_total", "Items matched, by verdict", ["relevant"], registry=REGISTRY)
STORIES_NEW = Counter("raqib_stories_new_total", "New stories", registry=REGISTRY)
DELIVERIES = Counter("raqib_deliveries_total", "Delivery attempts by outcome", ["outcome"], registry=REGISTRY)
PENDING = Gauge("raqib_deliveries_pending", "Deliveries waiting in the outbox", registry=REGISTRY)
POLL_SECONDS = Histogram(
    "raqib_poll_duration_seconds",
    "Time to refresh one feed",
    registry=REGISTRY,
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
DISPATCH_LATENCY = Histogram(
    "raqib_dispatch_latency_seconds",
    "From outbox row to sent message",
    registry=REGISTRY,
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800),
)

Health = Callable[[], Awaitable[dict[str, object]]]
DISPATCH_STALL = 300.0  # seconds a due delivery may wait while the dispatcher makes no progress


def record_matches(relevant: int, matched: int) -> None:
    """Items matched in one poll: ``relevant`` of ``matched`` judged relevant."""
    MATCHES.labels("true").inc(relevant)
    MATCHES.labels("false").inc(max(0, matched - relevant))


def degraded_reasons(
    *,
    database: bool,
    feeds_enabled: int | None = None,
    feeds_failing: int | None = None,
    oldest_due: datetime | None = None,
    dispatcher_cycle: datetime | None = None,
    dispatcher_running: bool = False,
    now: datetime | None = None,
    stall: float = DISPATCH_STALL,
) -> list[str]:
    """Why the service is degraded, one short reason each; [] when it is healthy.

    * the database does not answer;
    * every enabled feed is failing (a few failing feeds are normal: they back off and are reported per feed);
    * a delivery has been due for ``stall`` seconds and this worker's dispatcher has not cycled in as long
      (``dispatcher_running``: only a worker that runs a dispatcher judges it).
    """
    now = now or datetime.now(UTC)
    if not database:
        return ["database unreachable"]
    reasons = []
    if feeds_enabled and feeds_failing is not None and feeds_failing >= feeds_enabled:
        reasons.append(f"every feed is failing ({feeds_failing} of {feeds_enabled})")
    if dispatcher_running and oldest_due is not None:
        waited = (now - oldest_due).total_seconds()
        idle = None if dispatcher_cycle is None else (now - dispatcher_cycle).total_seconds()
        if waited > stall and (idle is None or idle > stall):
            reasons.append(f"dispatcher stalled: a delivery has been due for {int(waited)} s")
    return reasons


async def serve(port: int, health: Health, host: str = "127.0.0.1") -> web.AppRunner:
    """Start the endpoint on ``host`` (loopback unless told otherwise: metrics describe the deployment, and
    /healthz answers anyone who can connect); the caller stops it with ``await runner.cleanup()``."""

    async def healthz(_: web.Request) -> web.Response:
        try:
            report = await asyncio.wait_for(health(), timeout=5)
        except Exception as exc:  # the check itself failing is a failed check
            report = {"ok": False, "error": type(exc).__name__}
        return web.json_response(report, status=200 if report.get("ok") else 503)

    async def metrics(_: web.Request) -> web.Response:
        # The health check sets the gauges read from the database (deliveries pending): fresh at every scrape.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(health(), timeout=5)
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("health and metrics on %s port %d (/healthz, /metrics)", host, port)
    return runner


def age_seconds(when: datetime | None, now: datetime | None = None) -> float | None:
    if when is None:
        return None
    return round(((now or datetime.now(UTC)) - when).total_seconds(), 1)
