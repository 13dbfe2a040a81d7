"""Issue 13.13: the health/metrics endpoint listens on loopback unless a deployment says otherwise.

What the service binds to is checked by running it: the real ``Service`` (role ``chat`` with no token: it polls
nothing and sends nothing, so it starts only its scheduler and the endpoint) on a free port, and connecting
to the address it should answer on and to one it should not. 127.0.0.1 and 127.0.0.2 are both loopback (the
whole 127/8 block is, on Linux), so a server bound to one refuses the other."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot import metrics
from bot.app import build_service
from bot.config import Env, Settings, parse_config
from bot.service.lifecycle import Service
from tests.service.support import free_port

ROOT = Path(__file__).resolve().parents[2]
OTHER_LOOPBACK = "127.0.0.2"


async def _ok() -> dict[str, object]:
    return {"ok": True}


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as r:
        return dict(json.load(r))


def _answers(host: str, port: int) -> bool:
    """Whether the service's /healthz answers at ``host:port`` (with its own report); False when refused."""
    try:
        report = _get(f"http://{host}:{port}/healthz")
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ConnectionRefusedError):
            return False
        raise
    assert report["role"] == "chat" and report["scheduler"] is True, report
    return True


@pytest.fixture
def other_loopback() -> str:
    """127.0.0.2, where the system routes it to this host (Linux does; macOS only with an alias)."""
    with socket.socket() as s:
        try:
            s.bind((OTHER_LOOPBACK, 0))
        except OSError:
            pytest.skip(f"{OTHER_LOOPBACK} is not a loopback address here")
    return OTHER_LOOPBACK


@pytest.fixture
def no_health_variables(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("RAQIB_HEALTH_HOST", "RAQIB_HEALTH_PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@contextlib.asynccontextmanager
async def _running(engine: Engine, settings: str) -> AsyncIterator[Service]:
    """The service started with ``settings`` (the feeds file's) and the environment as it is now."""
    config = parse_config(f"settings: {{{settings}}}\nfeeds: []\n")
    svc = build_service(config, Env(_env_file=None), config_path=None, engine=engine, role="chat")  # type: ignore[call-arg]
    async with svc.parts.fetcher() as fetcher:  # the chat role polls nothing: the fetcher stays unused
        await svc.start(fetcher)
        try:
            yield svc
        finally:
            for cleanup in reversed(svc.cleanups):  # the endpoint's runner
                await cleanup()
            svc.scheduler.shutdown(wait=False)


async def test_endpoint_binds_loopback_by_default() -> None:
    assert Settings().health_host == "127.0.0.1"
    runner = await metrics.serve(0, _ok)  # port 0: the system picks a free one
    try:
        [(host, port, *_)] = runner.addresses
        assert host == "127.0.0.1", "not on every interface"
        assert (await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/healthz")) == {"ok": True}
    finally:
        await runner.cleanup()


async def test_containers_choose_every_interface() -> None:
    runner = await metrics.serve(0, _ok, "0.0.0.0")
    try:
        assert runner.addresses[0][0] == "0.0.0.0"
    finally:
        await runner.cleanup()


async def test_the_service_listens_on_loopback_only_by_default(
    sqlite_engine: Engine, no_health_variables: pytest.MonkeyPatch, other_loopback: str
) -> None:
    port = free_port()
    async with _running(sqlite_engine, f"health_port: {port}"):
        assert await asyncio.to_thread(_answers, "127.0.0.1", port)
        assert not await asyncio.to_thread(_answers, other_loopback, port), "not on every interface"


async def test_the_service_listens_where_the_setting_says(
    sqlite_engine: Engine, no_health_variables: pytest.MonkeyPatch, other_loopback: str
) -> None:
    port = free_port()
    async with _running(sqlite_engine, f"health_port: {port}, health_host: '{other_loopback}'"):
        assert await asyncio.to_thread(_answers, other_loopback, port)
        assert not await asyncio.to_thread(_answers, "127.0.0.1", port)


async def test_the_environment_overrides_the_setting(
    sqlite_engine: Engine, no_health_variables: pytest.MonkeyPatch, other_loopback: str
) -> None:
    port = free_port()
    no_health_variables.setenv("RAQIB_HEALTH_HOST", "127.0.0.1")
    no_health_variables.setenv("RAQIB_HEALTH_PORT", str(port))  # the setting's port is "none"
    async with _running(sqlite_engine, f"health_host: '{other_loopback}'"):
        assert await asyncio.to_thread(_answers, "127.0.0.1", port)
        assert not await asyncio.to_thread(_answers, other_loopback, port)


def test_environment_overrides_and_the_image_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAQIB_HEALTH_HOST", "0.0.0.0")
    assert Env(_env_file=None).raqib_health_host == "0.0.0.0"  # type: ignore[call-arg]
    assert "RAQIB_HEALTH_HOST=0.0.0.0" in (ROOT / "Dockerfile").read_text()
    assert "RAQIB_HEALTH_HOST: 0.0.0.0" in (ROOT / "docker-compose.yml").read_text()
