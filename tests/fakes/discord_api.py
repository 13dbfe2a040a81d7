"""A fake Discord (REST + gateway) on 127.0.0.1 for discord.py, over real HTTP and a real websocket.

Point the code at it as an operator points Raqib at a test server: ``Endpoints(fake.base)`` for an adapter or
notifier, ``DISCORD_API_URL=fake.base`` for ``raqib run`` (the gateway is the one ``/gateway/bot`` names).
``FakeDiscord.patched()`` instead sets discord.py's ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY``
directly (and restores them), for tests of objects built without our endpoints. It answers what a real ``Client``
needs to log in and reach ``on_ready`` (``/users/@me``, ``/oauth2/applications/@me``, ``/gateway``, HELLO →
IDENTIFY → READY → GUILD_CREATE, heartbeat ACKs), command sync, channel messages, webhooks, interaction callbacks
and followups. Every request is recorded; ``fail()`` injects errors (429 with
retry_after, 403/50013, 404/10003/10015, 5xx). ``dispatch()`` sends a gateway event to connected clients.

Facts discord.py depends on: JSON answers carry exactly ``Content-Type: application/json``; a 429 is retried by
discord.py only when it has a ``Via`` header (else it is taken for a Cloudflare ban and raised).

    async with FakeDiscord() as fake:
        adapter = DiscordAdapter(core, token=BOT_TOKEN, endpoints=Endpoints(fake.base))
        fake.fail("POST", r"/webhooks/", status=404, code=10015)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

import discord
import yarl
from aiohttp import WSMsgType, web

API = "/api/v10"
BOT_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gfake0.fake-token-for-tests-only-aaaaaaaaaaaa"
APP_ID = 1100000000000000001
BOT_ID = 1100000000000000002
GUILD_ID = 1200000000000000001
CHANNEL_ID = 1300000000000000001
OWNER_ID = 1400000000000000001


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, Any] = field(default_factory=dict)  # multipart: payload_json parsed, files as bytes

    @property
    def body(self) -> Any:
        """The JSON payload, from a plain JSON body or a multipart ``payload_json``."""
        return self.json if self.json is not None else self.form.get("payload_json")


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    code: int = 0
    retry_after: float | None = None
    via: bool = True
    times: int = 1


def user(uid: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {"id": str(uid), "username": name, "discriminator": "0", "global_name": None, "avatar": None, "bot": bot}


class FakeDiscord:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.identifies: list[dict[str, Any]] = []
        self.unauthorized = False  # answer 401 to every bot-authenticated call (a bad token)
        self.guilds: list[dict[str, Any]] = [self.guild(GUILD_ID, [CHANNEL_ID])]
        self.nonces: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, nonce) → the message posted
        self._ids = itertools.count(1500000000000000001)
        self._sockets: set[web.WebSocketResponse] = set()
        self._seq = itertools.count(2)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.ready_sent = asyncio.Event()

    # -- lifecycle ----------------------------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get(API + "/gateway/ws", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)  # its lines carry webhook secrets
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}{API}/gateway/ws"

    @contextlib.contextmanager
    def patched(self) -> Iterator[None]:
        """Point discord.py at this fake; restore the real endpoints afterwards."""
        old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    # -- scripting ----------------------------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int,
        code: int = 0,
        retry_after: float | None = None,
        via: bool = True,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests matching (method, path regex) get this error."""
        self.faults.append(Fault(method, re.compile(path), status, code, retry_after, via, times))

    def webhook_url(self, webhook_id: int = 1600000000000000001, token: str | None = None) -> str:
        """A Discord-shaped webhook URL (discord.py sends it to wherever Route.BASE points)."""
        token = token or "wh-" + "s3cr3t" * 11
        return f"https://discord.com/api/webhooks/{webhook_id}/{token}"

    async def wait_for(self, predicate: Callable[[Recorded], bool], within: float = 5.0) -> Recorded:
        """The first recorded request matching ``predicate`` (waits for it on a condition, no polling)."""
        async with asyncio.timeout(within), self._changed:
            while True:
                for r in self.requests:
                    if predicate(r):
                        return r
                await self._changed.wait()

    def sent(self, method: str, pattern: str) -> list[Recorded]:
        rx = re.compile(pattern)
        return [r for r in self.requests if r.method == method and rx.search(r.path)]

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        for ws in list(self._sockets):
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    # -- payload builders ---------------------------------------------------------------------------------------
    @staticmethod
    def guild(guild_id: int, channel_ids: list[int]) -> dict[str, Any]:
        everyone = {"id": str(guild_id), "name": "@everyone", "permissions": "0", "position": 0, "color": 0}
        everyone |= {"hoist": False, "managed": False, "mentionable": False, "flags": 0}
        channels = [
            {"id": str(c), "type": 0, "name": f"alerts-{i}", "position": i, "permission_overwrites": []}
            for i, c in enumerate(channel_ids)
        ]
        return {
            "id": str(guild_id),
            "name": "Test guild",
            "owner_id": str(OWNER_ID),
            "roles": [everyone],
            "channels": channels,
            "threads": [],
            "members": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "member_count": 2,
            "unavailable": False,
            "joined_at": datetime.now(UTC).isoformat(),
            "preferred_locale": "en-US",
        }

    def message(self, channel_id: str, payload: dict[str, Any] | None, *, webhook_id: str | None = None) -> dict:
        payload = payload or {}
        author = user(int(webhook_id), payload.get("username") or "hook", bot=True) if webhook_id else None
        return {
            "id": str(next(self._ids)),
            "channel_id": channel_id,
            "type": 0,
            "content": payload.get("content") or "",
            "embeds": payload.get("embeds") or [],
            "components": [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "flags": payload.get("flags") or 0,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "author": author or user(BOT_ID, "raqib", bot=True),
            **({"webhook_id": webhook_id} if webhook_id else {}),
        }

    # -- REST ---------------------------------------------------------------------------------------------------
    async def _record(self, request: web.Request) -> Recorded:
        body: Any = None
        form: dict[str, Any] = {}
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            async for part in await request.multipart():
                data = await part.read()  # type: ignore[union-attr]
                name = part.name or ""  # type: ignore[union-attr]
                form[name] = json.loads(data) if name == "payload_json" else bytes(data)
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        path = request.path[len(API) :]
        rec = Recorded(request.method, path, dict(request.query), dict(request.headers), body, form)
        async with self._changed:
            self.requests.append(rec)
            self._changed.notify_all()
        return rec

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # Exactly "application/json": aiohttp would append "; charset=utf-8", which discord.py does not parse.
        return web.Response(
            body=json.dumps(data).encode(),
            status=status,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def _fault_for(self, rec: Recorded) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == rec.method and fault.path.search(rec.path):
                fault.times -= 1
                return fault
        return None

    def _error(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            retry = fault.retry_after if fault.retry_after is not None else 1.0
            headers = {"Retry-After": str(retry), "X-RateLimit-Scope": "user"}
            if fault.via:
                headers["Via"] = "1.1 google"
            return self._json(
                {"message": "You are being rate limited.", "retry_after": retry, "global": False}, 429, headers
            )
        messages = {10003: "Unknown Channel", 10008: "Unknown Message", 10015: "Unknown Webhook"}
        messages |= {50013: "Missing Permissions", 50001: "Missing Access", 50027: "Invalid Webhook Token"}
        return self._json({"message": messages.get(fault.code, "error"), "code": fault.code}, fault.status)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request)
        fault = self._fault_for(rec)
        if fault:
            return self._error(fault)
        authed = "Authorization" in rec.headers
        if self.unauthorized and authed:
            return self._json({"message": "401: Unauthorized", "code": 0}, 401)
        p, m, body = rec.path, rec.method, rec.body
        if m == "GET" and p == "/users/@me":
            return self._json(user(BOT_ID, "raqib", bot=True))
        if m == "GET" and p == "/oauth2/applications/@me":
            app = {"id": str(APP_ID), "name": "raqib", "description": "", "icon": None, "bot_public": True}
            app |= {"bot_require_code_grant": False, "owner": user(OWNER_ID, "owner"), "verify_key": "k", "flags": 0}
            return self._json(app)
        if m == "GET" and p in ("/gateway", "/gateway/bot"):
            limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
            return self._json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})
        if m == "PUT" and (match := re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", p)):
            return self._json([self._command(c, match.group(2)) for c in body or []])
        if m == "POST" and (match := re.fullmatch(r"/channels/(\d+)/messages", p)):
            # Like Discord: with enforce_nonce, a repeated nonce in a channel returns the message already posted.
            key = (match.group(1), str((body or {}).get("nonce")))
            if (body or {}).get("enforce_nonce") and key in self.nonces:
                return self._json(self.nonces[key])
            posted = self.message(match.group(1), body)
            if (body or {}).get("enforce_nonce"):
                self.nonces[key] = posted
            return self._json(posted)
        if m == "PATCH" and (match := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", p)):
            msg = self.message(match.group(1), body)
            return self._json(msg | {"id": match.group(2), "edited_timestamp": msg["timestamp"]})
        if match := re.fullmatch(r"/webhooks/(\d+)/([^/]+)(?:/messages/(\d+|@original))?", p):
            return self._webhook(m, match, body, rec)
        if m == "POST" and (match := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", p)):
            return self._callback(match.group(1), body or {})
        return self._json({"message": f"fake: no route for {m} {p}", "code": 0}, 404)

    def _command(self, payload: dict[str, Any], guild_id: str | None) -> dict[str, Any]:
        out = {"id": str(next(self._ids)), "application_id": str(APP_ID), "version": "1", **payload}
        out.setdefault("type", 1)
        out.setdefault("options", [])
        out.setdefault("default_member_permissions", None)
        out.setdefault("dm_permission", True)
        out.setdefault("nsfw", False)
        if guild_id:
            out["guild_id"] = guild_id
        return out

    def _webhook(self, method: str, match: re.Match[str], body: Any, rec: Recorded) -> web.Response:
        webhook_id, token, message_id = match.groups()
        channel = str(CHANNEL_ID)
        if method == "GET" and message_id is None:
            return self._json(
                {"id": webhook_id, "type": 1, "name": "alerts", "channel_id": channel, "guild_id": str(GUILD_ID)}
                | {"avatar": None, "token": token, "application_id": None}
            )
        if method == "POST" and message_id is None:
            if rec.query.get("wait") in ("1", "true", "True"):
                return self._json(self.message(channel, body, webhook_id=webhook_id))
            return web.Response(status=204)
        if method == "PATCH" and message_id:
            msg = self.message(channel, body, webhook_id=webhook_id)
            return self._json(msg | {"id": message_id, "edited_timestamp": msg["timestamp"]})
        if method == "DELETE":
            return web.Response(status=204)
        return self._json({"message": "fake: unsupported webhook call", "code": 0}, 405)

    def _callback(self, interaction_id: str, body: dict[str, Any]) -> web.Response:
        kind = body.get("type")
        data = body.get("data") or {}
        ephemeral = bool((data.get("flags") or 0) & 64)
        interaction = {"id": interaction_id, "type": 2, "response_message_loading": kind == 5}
        interaction["response_message_ephemeral"] = ephemeral
        out: dict[str, Any] = {"interaction": interaction}
        if kind in (4, 5):
            msg = self.message(str(CHANNEL_ID), data)
            interaction["response_message_id"] = msg["id"]
            out["resource"] = {"type": kind, "message": msg}
        return self._json(out)

    # -- gateway ------------------------------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op = payload.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    self.identifies.append(payload["d"])
                    await self._ready(ws)
                elif op == 6:
                    await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": next(self._seq), "d": {}}))
        finally:
            self._sockets.discard(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": user(BOT_ID, "raqib", bot=True),
            "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0},
            "shard": [0, 1],
        }
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": 1, "d": ready}))
        for g in self.guilds:
            await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": next(self._seq), "d": g}))
        self.ready_sent.set()

    # -- interactions -------------------------------------------------------------------------------------------
    def interaction(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        kind: int = 2,
        permissions: int = 0,
        roles: tuple[int, ...] = (),
        channel_id: int = CHANNEL_ID,
        locale: str = "en-US",
        resolved: dict[str, Any] | None = None,
        custom_id: str | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload as Discord sends it (2 command, 3 component, 4 autocomplete)."""
        member = {"user": user(OWNER_ID + 7, "member"), "roles": [str(r) for r in roles]}
        member |= {"permissions": str(permissions), "joined_at": datetime.now(UTC).isoformat()}
        member |= {"deaf": False, "mute": False, "flags": 0}
        channel = {"id": str(channel_id), "type": 0, "guild_id": str(GUILD_ID), "name": "alerts"}
        channel |= {"position": 0, "permission_overwrites": []}
        data: dict[str, Any]
        if kind == 3:
            data = {"custom_id": custom_id, "component_type": 2}
        else:
            data = {"id": "1700000000000000001", "name": name, "type": 1, "options": options or []}
            if resolved:
                data["resolved"] = resolved
        return {
            "id": str(next(self._ids)),
            "application_id": str(APP_ID),
            "type": kind,
            "token": "itok-" + "x" * 60,
            "version": 1,
            "guild_id": str(GUILD_ID),
            "channel_id": str(channel_id),
            "channel": channel,
            "member": member,
            "app_permissions": str(discord.Permissions.all().value),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0,
            "data": data,
            **({"message": self.message(str(channel_id), {"content": "x"})} if kind == 3 else {}),
        }


@contextlib.asynccontextmanager
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        with fake.patched():
            yield fake
