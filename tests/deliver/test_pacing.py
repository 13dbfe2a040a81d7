"""Pacing lives in the notifiers (``bot.deliver.pacing``): the dispatcher waits on a notifier's ``pace`` before it
builds and sends, and has no rates of its own."""

from __future__ import annotations

import asyncio
from dataclasses import fields

import pytest
from sqlalchemy.engine import Engine

from bot.deliver import pacing
from bot.deliver.console import ConsoleNotifier
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.deliver.model import AlertView, Reply
from bot.deliver.pacing import Pacer
from storage import subscriptions as subs
from storage.db import session
from tests.fakes.store import NOW


async def test_the_pacer_spaces_one_target_and_the_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))

    monkeypatch.setattr(pacing.asyncio, "sleep", sleep)
    pacer = Pacer(global_rate=10.0, per_target_interval=1.0, monotonic=lambda: 100.0)
    for target in ("a", "b", "a", "c"):
        await pacer.wait(target)
    # a at once; b a tenth later (the global rate); a again a second after its first; c after that
    assert slept == [0.1, 1.0, 1.1]
    slept.clear()
    await Pacer(global_rate=0, per_target_interval=0, monotonic=lambda: 5.0).wait("x")
    assert slept == []


class _Gated:
    """A notifier whose pacing holds every send until the test opens the gate."""

    platform = "gated"

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.reached = asyncio.Event()
        self.paced: list[str] = []
        self.sent: list[str] = []

    async def pace(self, target: str) -> None:
        self.paced.append(target)
        self.reached.set()
        await self.gate.wait()

    async def send_alert(self, target: str, alert: AlertView, *, language: str, timezone: str) -> str:
        return self._note(target)

    async def edit_alert(self, target: str, message_id: str, alert: AlertView, *, language: str, timezone: str) -> None:
        return None

    async def send_reply(self, target: str, reply: Reply) -> str:
        return self._note(target)

    def _note(self, target: str) -> str:
        self.sent.append(target)
        return str(len(self.sent))


def _notice(engine: Engine, target: str) -> None:
    with session(engine) as s:
        sub = subs.get_or_create(s, "gated", target, now=NOW)
        subs.enqueue(s, [sub.id], story_id=None, key=f"n:{target}", kind="notice", now=NOW, payload='{"text": "hi"}')
        s.commit()


async def test_the_dispatcher_sends_only_once_the_notifier_lets_it(sqlite_engine: Engine) -> None:
    _notice(sqlite_engine, "chat-1")
    gated = _Gated()
    dispatcher = Dispatcher(sqlite_engine, {"gated": gated}, owner="w", clock=lambda: NOW)
    run = asyncio.ensure_future(dispatcher.dispatch_once())
    await asyncio.wait_for(gated.reached.wait(), 10)
    assert gated.paced == ["chat-1"] and gated.sent == [], "nothing leaves before the notifier's pacing allows it"
    gated.gate.set()
    assert await asyncio.wait_for(run, 10) == 1
    assert gated.sent == ["chat-1"]


async def test_pace_false_skips_the_notifiers_pacing(sqlite_engine: Engine) -> None:
    _notice(sqlite_engine, "chat-2")
    gated = _Gated()  # its gate never opens
    dispatcher = Dispatcher(
        sqlite_engine, {"gated": gated}, owner="w", settings=DispatchSettings(pace=False), clock=lambda: NOW
    )
    assert await asyncio.wait_for(dispatcher.dispatch_once(), 10) == 1
    assert gated.paced == [] and gated.sent == ["chat-2"]


def test_the_dispatcher_has_no_rates_and_every_notifier_paces() -> None:
    names = {f.name for f in fields(DispatchSettings)}
    assert not names & {"per_chat_interval", "global_rate"}
    assert isinstance(ConsoleNotifier().pacer, Pacer)
