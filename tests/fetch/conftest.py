"""Fixtures for the fetch tests: a real loopback server, a recording sleep, a fetcher factory."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.fetch import Fetcher, FetchSettings
from tests.fakes.feedserver import FeedServer
from tests.fetch.support import RecordingSleep


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer("127.0.0.1") as srv:
        yield srv


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def make_fetcher(sleep: RecordingSleep) -> AsyncIterator[Callable[..., Fetcher]]:
    """Build fetchers with test settings: loopback allowed (our servers live there), small timeouts."""
    made: list[Fetcher] = []

    def build(**overrides: Any) -> Fetcher:
        options: dict[str, Any] = {
            "allow_private_addresses": True,
            "connect_timeout": 2.0,
            "read_timeout": 2.0,
            "total_timeout": 5.0,
        }
        options.update(overrides)
        fetcher = Fetcher(FetchSettings(**options), sleep=sleep, rng=random.Random(7))
        made.append(fetcher)
        return fetcher

    yield build
    for fetcher in made:
        await fetcher.aclose()


@pytest.fixture
async def fetcher(make_fetcher: Callable[..., Fetcher]) -> Fetcher:
    return make_fetcher()
