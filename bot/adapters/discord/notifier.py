"""Alerts to a channel through the bot's REST session (``platform="discord"``; target = channel id).

Needs no gateway connection, only a logged-in ``discord.Client``. Failures are classified by errors.py:
50013 Missing Permissions, 10003 Unknown Channel and other 403/404 pause the subscription; 429 and 5xx retry.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from typing import Any

import discord

from bot.adapters.discord.errors import UNKNOWN_MESSAGE, classify, install_log_redaction
from bot.adapters.discord.render import DiscordMessage, DiscordRenderer
from bot.adapters.discord.webhook import TargetOptions, allowed_mentions, embeds_of
from bot.deliver.model import AlertView, DeliveryError, PermanentFailure, Reply, RetryLater
from bot.deliver.pacing import Pacer
from bot.domain import Platform

log = logging.getLogger(__name__)


def view_of(message: DiscordMessage) -> discord.ui.View | None:
    """Buttons carry the core's signed data as custom_id; the adapter's on_interaction routes the clicks."""
    if not message.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for row, buttons in enumerate(message.buttons):
        for button in buttons:
            view.add_item(discord.ui.Button(label=button.text, custom_id=button.data, row=row))
    return view


def send_kwargs(message: DiscordMessage) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"embeds": embeds_of(message), "allowed_mentions": allowed_mentions(message)}
    if message.content:
        kwargs["content"] = message.content
    view = view_of(message)
    if view is not None:
        kwargs["view"] = view
    files = [discord.File(io.BytesIO(message.png), filename="digest.png")] if message.png else []
    files += [discord.File(io.BytesIO(d.data), filename=d.filename) for d in message.documents]
    if files:
        kwargs["files"] = files
    return kwargs


class DiscordBotNotifier:
    platform = Platform.DISCORD

    def __init__(
        self,
        client: discord.Client,
        *,
        renderer: DiscordRenderer | None = None,
        options_for: Callable[[str], TargetOptions | None] | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.client = client
        self.renderer = renderer or DiscordRenderer.default()
        self.options_for = options_for or (lambda _target: None)
        self.timeout = timeout
        self.pacer = Pacer()  # one message a second per channel, 30 a second in all
        install_log_redaction()

    async def pace(self, target: str) -> None:
        """Returns when a send to ``target`` may go (the dispatcher waits here before it builds the message)."""
        await self.pacer.wait(target)

    def _channel(self, target: str) -> discord.PartialMessageable:
        if not target.isdigit():
            raise PermanentFailure(f"not a Discord channel id: {target[:40]!r}")
        return self.client.get_partial_messageable(int(target))

    async def _call(self, target: str, action: str, coro: Any) -> Any:
        try:
            async with asyncio.timeout(self.timeout):
                return await coro
        except TimeoutError:
            raise RetryLater(f"channel {target}: {action} timed out after {self.timeout}s") from None
        except Exception as exc:
            error = classify(exc, what=f"channel {target} {action}")
            log.warning("discord %s failed: %s", action, error)
            raise error from None

    async def _send(self, target: str, message: DiscordMessage, *, nonce: str | None = None) -> str:
        kwargs = send_kwargs(message)
        if nonce is not None:
            # With enforce_nonce (discord.py sets it with a nonce) Discord answers a repeat of the same nonce in
            # the same channel, within minutes, with the message it already posted: a send resent after a crash
            # in the outbox's window does not post twice.
            kwargs["nonce"] = nonce
        sent = await self._call(target, "send", self._channel(target).send(**kwargs))
        if "view" in kwargs:
            kwargs["view"].stop()  # clicks are routed by the adapter, not kept in discord.py's view store
        return str(sent.id)

    async def send_alert(self, target: str, alert: AlertView, *, language: str, timezone: str) -> str:
        options = self.options_for(target) or TargetOptions()
        role = options.mention_role_id if alert.severity in options.mention_severities else None
        message = self.renderer.alert_message(alert, language=language, mention_role_id=role)
        return await self._send(target, message, nonce=f"raqib-story-{alert.story_id}"[:25])

    async def edit_alert(self, target: str, message_id: str, alert: AlertView, *, language: str, timezone: str) -> None:
        message = self.renderer.alert_message(alert, language=language)
        partial = self._channel(target).get_partial_message(int(message_id))
        try:
            await self._call(
                target,
                "edit",
                partial.edit(embeds=embeds_of(message), allowed_mentions=discord.AllowedMentions.none()),
            )
        except DeliveryError as exc:
            if f"code {UNKNOWN_MESSAGE}" in str(exc):  # deleted by a moderator: neither an error nor a re-post
                log.info("channel %s: alert message %s was deleted; not re-posting", target, message_id)
                return
            raise

    async def send_reply(self, target: str, reply: Reply) -> str:
        first = ""
        for message in self.renderer.reply_messages(reply):
            message_id = await self._send(target, message)
            first = first or message_id
        return first
