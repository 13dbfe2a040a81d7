"""Where discord.py talks to: Discord itself, or the server ``DISCORD_API_URL`` / ``DISCORD_GATEWAY_URL`` name
(a test server, a proxy).

discord.py keeps both in class attributes: ``Route.BASE`` for every REST call (webhooks and interaction answers
included) and ``DiscordWebSocket.DEFAULT_GATEWAY`` for the first connection and after an invalidated session.
They are therefore process-wide, so ``Hold`` sets them while at least one of our clients uses them and puts
discord.py's defaults back when the last one closes; two different servers in one process are refused, not mixed.
Only http(s) reaches REST and only ws(s) the gateway: any other URL is refused before anything is sent.

With only ``DISCORD_API_URL`` set, the gateway is the one that API's ``GET /gateway/bot`` names (as Discord
documents); ``rest_client`` is a logged-in client with no gateway, for sending from any worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import discord
import yarl

API_SCHEMES = ("http", "https")
GATEWAY_SCHEMES = ("ws", "wss")


class EndpointError(ValueError):
    """A URL discord.py must not be pointed at (wrong scheme, no host), or a second server in one process."""


def checked_url(value: str, schemes: tuple[str, ...], name: str) -> str:
    """``value`` (stripped), or ``EndpointError`` naming the variable (never the URL, which may hold a secret)."""
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in schemes or not parts.hostname:
        allowed = " or ".join(f"{s}://" for s in schemes)
        raise EndpointError(f"{name} must be a URL starting with {allowed}, with a host (not {parts.scheme or 'none'})")
    return value.strip()


@dataclass(frozen=True)
class Endpoints:
    """The REST base (``…/api/v10``) and gateway URL; None: Discord's own."""

    api_url: str | None = None
    gateway_url: str | None = None

    def __post_init__(self) -> None:
        if self.api_url is not None:
            api = checked_url(self.api_url, API_SCHEMES, "DISCORD_API_URL").rstrip("/")  # Route adds "/path"
            object.__setattr__(self, "api_url", api)
        if self.gateway_url is not None:
            gateway = checked_url(self.gateway_url, GATEWAY_SCHEMES, "DISCORD_GATEWAY_URL")
            object.__setattr__(self, "gateway_url", gateway)


class _Slot:
    """One class attribute of discord.py, set while held (counted), restored when the last holder lets go."""

    def __init__(self, owner: Any, attribute: str) -> None:
        self.owner, self.attribute = owner, attribute
        self.value: Any = None
        self.saved: Any = None
        self.count = 0

    def take(self, value: Any, name: str) -> None:
        if self.count and value != self.value:
            raise EndpointError(f"{name}: this process already talks to another Discord server")
        if not self.count:
            self.saved = getattr(self.owner, self.attribute)
            setattr(self.owner, self.attribute, value)
            self.value = value
        self.count += 1

    def give_back(self) -> None:
        self.count -= 1
        if not self.count:
            setattr(self.owner, self.attribute, self.saved)
            self.value = self.saved = None


_REST = _Slot(discord.http.Route, "BASE")
_GATEWAY = _Slot(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY")


class Hold:
    """Our use of the endpoints, from ``Hold(endpoints)`` to ``release()`` (idempotent)."""

    def __init__(self, endpoints: Endpoints | None) -> None:
        self._slots: list[_Slot] = []
        endpoints = endpoints or Endpoints()
        try:
            if endpoints.api_url:
                self._take(_REST, endpoints.api_url, "DISCORD_API_URL")
            if endpoints.gateway_url:
                self.gateway(endpoints.gateway_url)
        except EndpointError:
            self.release()  # no half-held endpoints: the caller gets no Hold to release
            raise

    def _take(self, slot: _Slot, value: Any, name: str) -> None:
        slot.take(value, name)
        self._slots.append(slot)

    def gateway(self, url: str, name: str = "DISCORD_GATEWAY_URL") -> None:
        """Use this gateway too (checked: ws or wss)."""
        if _GATEWAY not in self._slots:
            self._take(_GATEWAY, yarl.URL(checked_url(url, GATEWAY_SCHEMES, name)), name)

    def release(self) -> None:
        while self._slots:
            self._slots.pop().give_back()


async def gateway_of(client: discord.Client) -> str:
    """The gateway the REST API names for this bot (``GET /gateway/bot``); the client must be logged in."""
    _shards, url, _limits = await client.http.get_bot_gateway()
    return url


async def rest_client(token: str, endpoints: Endpoints | None) -> tuple[discord.Client, Callable[[], Awaitable[None]]]:
    """A logged-in client with no gateway connection (sending needs none), and its close, which also lets go
    of the endpoints."""
    hold = Hold(endpoints)
    client = discord.Client(intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none())
    try:
        await client.login(token)
    except BaseException:
        await client.close()
        hold.release()
        raise

    async def close() -> None:
        try:
            await client.close()
        finally:
            hold.release()

    return client, close
