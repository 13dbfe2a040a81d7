"""discord.py imports the deprecated ``audioop`` (voice support we don't use) on Python 3.11-3.12; the project
turns warnings into errors, so import it once here with that one warning silenced. Every test must leave
discord.py's endpoints as it found them."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="'audioop' is deprecated", category=DeprecationWarning)
    import discord

import pytest

DEFAULTS = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)


@pytest.fixture(autouse=True)
def _discord_endpoints_restored() -> Iterator[None]:
    """Every test leaves discord.py talking to Discord again: a client that kept DISCORD_API_URL's server after
    it closed would send the next test's (or the next chat's) requests there."""
    yield
    assert (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == DEFAULTS
