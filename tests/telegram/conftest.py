"""Fixtures: the fake Bot API on loopback and a notifier pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.adapters.telegram.notifier import ChatThrottle, TelegramNotifier
from tests.fakes.telegram_api import TOKEN, FakeBotAPI


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error under our pytest settings, which take precedence over the filter the adapter
    # installs in bot/adapters/telegram/errors.py) when RetryAfter is built unless durations are timedeltas.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def notifier(fake: FakeBotAPI, clock: FakeClock) -> AsyncIterator[TelegramNotifier]:
    # Generous pacing: the tests send bursts to one chat and must not wait on the throttle.
    throttle = ChatThrottle(per_second=1000, private_per_second=1000, group_per_minute=60_000, clock=clock)
    async with TelegramNotifier.create(TOKEN, api_url=fake.api_url, throttle=throttle, timeout=2.0) as n:
        yield n
