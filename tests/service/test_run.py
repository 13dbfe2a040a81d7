"""`raqib run` as a real subprocess: polls a local feed server, alerts a console subscription, reloads on
SIGHUP, answers /healthz and /metrics, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.demo.server import FeedServer

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss(*items: tuple[str, str, str]) -> bytes:
    now = datetime.now(UTC)
    body = "".join(
        f"<item><title>{t}</title><link>https://news.example/{g}</link><guid>{g}</guid>"
        f"<description>{d}</description><pubDate>{format_datetime(now - timedelta(minutes=5))}</pubDate></item>"
        for g, t, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{body}</channel></rss>'.encode()


class Lines:
    """Lines of a child's stream, read in a thread; ``wait_for`` blocks on a queue with a timeout."""

    def __init__(self, stream: object) -> None:
        self.q: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.q.put(line)
        self.q.put(None)  # end of stream: the process exited

    def wait_for(self, needle: str, timeout: float = 30) -> str:
        deadline = datetime.now(UTC) + timedelta(seconds=timeout)
        while True:
            left = (deadline - datetime.now(UTC)).total_seconds()
            if left <= 0:
                raise AssertionError(f"{needle!r} not seen; got:\n{''.join(self.seen[-40:])}")
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"{needle!r} not seen before the stream ended:\n{''.join(self.seen[-40:])}")
            self.seen.append(line)
            if needle in line:
                return line


BACKLOG = ("old", "Nvidia H20 licence news from yesterday", "The Commerce Department granted licences for H20 chips.")
NEWS = (
    "new",
    "SK Hynix to double HBM output as AI chip demand soars",
    "The memory maker said high-bandwidth memory capacity for AI accelerators will double next year.",
)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Lines, Lines, FeedServer, Path, int]]:
    server = FeedServer({"/a.xml": lambda: (200, {"Content-Type": "application/rss+xml"}, rss(BACKLOG))})
    server.__enter__()
    port = free_port()
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(
        "settings: {default_interval: 1s, interval_jitter: 0.1, allow_private_addresses: true, retries: 0, "
        f"data_dir: '{tmp_path / 'data'}', health_port: {port}}}\n"
        f"feeds:\n  - {{id: a, url: '{server.base_url}/a.xml', language: en}}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_", "DATABASE_URL"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "--config", str(cfg), "run"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc, Lines(proc.stdout), Lines(proc.stderr), server, cfg, port
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        server.__exit__()


def test_run_alerts_reloads_reports_health_and_stops(service) -> None:  # type: ignore[no-untyped-def]
    proc, out, err, server, cfg, port = service
    err.wait_for("raqib running")
    err.wait_for("feed a: 1 new items")  # the backlog, stored quietly
    server.routes["/a.xml"] = lambda: (200, {"Content-Type": "application/rss+xml"}, rss(BACKLOG, NEWS))
    try:
        out.wait_for(NEWS[1])  # the news arrives on the console subscription, once
    except AssertionError:
        raise AssertionError("".join(err.seen) + "".join(iter(lambda: err.q.get() or "", ""))) from None
    assert not any(BACKLOG[1] in line for line in out.seen), "the backlog never alerts"

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
        health = json.load(r)
    assert health["ok"] and health["database"] and health["scheduler"] and health["last_poll_age_s"] is not None
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        metrics = r.read().decode()
    assert 'raqib_feeds_polled_total{status="new"}' in metrics and "raqib_items_new_total 2.0" in metrics

    # A broken file on reload keeps the running configuration; a good one adds the feed.
    cfg.write_text(cfg.read_text() + "  - {id: b, url: 'ftp://nope', language: en}\n")
    proc.send_signal(signal.SIGHUP)
    err.wait_for("reload refused")
    server.routes["/b.xml"] = lambda: (200, {"Content-Type": "application/rss+xml"}, rss(("b1", "x", "y")))
    cfg.write_text(cfg.read_text().replace("ftp://nope", f"{server.base_url}/b.xml"))
    proc.send_signal(signal.SIGHUP)
    err.wait_for("configuration reloaded: 2 feeds (1 added")
    err.wait_for("feed b: 1 new items")

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    err.wait_for("raqib stopped")
    assert sum(NEWS[1] in line for line in out.seen) == 1
