"""Telegram's webhook mode: a small aiohttp server that receives the updates Telegram POSTs (PTB's own webhook
server needs tornado, which we do not ship).

Nothing is accepted before Telegram's secret-token header is checked (403 without it); a body that is not an
update is refused (400); an update goes on the Application's queue like a polled one.
"""

from __future__ import annotations

import asyncio
import hmac
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot, Update

from bot.adapters.telegram.settings import TelegramSettings

_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


class WebhookReceiver:
    """Receives updates for ``bot`` at the settings' listen address and path, and puts them on ``queue``."""

    def __init__(self, bot: Bot, queue: asyncio.Queue[object], secret: str) -> None:
        self.bot = bot
        self.queue = queue
        self.secret = secret
        self._runner: web.AppRunner | None = None

    async def start(self, settings: TelegramSettings, allowed_updates: list[str]) -> int:
        """Listen, then tell Telegram where to POST; returns the port listened on (``webhook_port`` 0: any)."""
        if not settings.webhook_url:  # the adapter starts a receiver only when it is set
            raise RuntimeError("no webhook URL to listen on")
        path = settings.webhook_path or urlsplit(settings.webhook_url).path or "/"
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(path, self._on_update)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._runner = runner  # from here stop() cleans up, whatever fails next
        await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
        port: int = runner.addresses[0][1]
        await self.bot.set_webhook(
            settings.webhook_url,
            secret_token=self.secret,
            allowed_updates=allowed_updates,
            drop_pending_updates=settings.drop_pending_updates,
        )
        return port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_update(self, request: web.Request) -> web.Response:
        given = request.headers.get(_SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), self.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        await self.queue.put(update)
        return web.Response(status=200)


__all__ = ["WebhookReceiver"]
