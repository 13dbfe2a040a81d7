"""Issue 13.13: the health/metrics endpoint listens on loopback unless a deployment says otherwise."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path

import pytest

from bot import metrics
from bot.config import Env, Settings

ROOT = Path(__file__).resolve().parents[2]


async def _ok() -> dict[str, object]:
    return {"ok": True}


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as r:
        return dict(json.load(r))


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


def test_environment_overrides_and_the_image_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAQIB_HEALTH_HOST", "0.0.0.0")
    assert Env(_env_file=None).raqib_health_host == "0.0.0.0"  # type: ignore[call-arg]
    assert "RAQIB_HEALTH_HOST=0.0.0.0" in (ROOT / "Dockerfile").read_text()
    assert "RAQIB_HEALTH_HOST: 0.0.0.0" in (ROOT / "docker-compose.yml").read_text()
    service = (ROOT / "bot" / "service" / "lifecycle.py").read_text()
    assert "raqib_health_host or self.config.settings.health_host" in service, "the service passes the setting"
