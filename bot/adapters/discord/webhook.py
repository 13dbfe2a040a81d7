"""Alerts to a Discord channel through a webhook URL: no bot in the server at all.

The target is the webhook URL itself, ``https://discord.com/api/webhooks/<id>/<token>`` (optionally with
``?thread_id=`` for a forum thread). Whoever has the URL can post to the channel, so it is a secret: it never
appears in logs or errors (``redact_webhook_url``); the token is also registered with the log redactor.

discord.py sends through ``discord.Webhook`` (its own 429 handling included); a send is bounded by ``timeout`` so
a 5xx storm or a long rate limit becomes ``RetryLater`` for the outbox instead of a stuck worker. discord.py sends
a webhook URL's id and token to its REST base: with ``endpoints`` (``DISCORD_API_URL``), that server's.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import aiohttp
import discord

from bot.adapters.discord.endpoints import Endpoints, Hold
from bot.adapters.discord.errors import UNKNOWN_MESSAGE, classify, install_log_redaction, redact_webhook_url
from bot.adapters.discord.render import DiscordMessage, DiscordRenderer
from bot.deliver.model import AlertView, DeliveryError, PermanentFailure, Reply, RetryLater
from bot.deliver.pacing import Pacer
from bot.domain import Platform, Severity
from bot.log import REDACT

log = logging.getLogger(__name__)

DISCORD_HOSTS = frozenset({"discord.com", "discordapp.com", "canary.discord.com", "ptb.discord.com"})
_PATH = re.compile(r"/api(?:/v\d+)?/webhooks/(?P<id>\d{17,20})/(?P<token>[A-Za-z0-9_.\-]{60,100})/?")
DEFAULT_USERNAME = "Raqib · رقيب"


class InvalidWebhookURL(ValueError):
    """The text is not a Discord webhook URL. The message never repeats the URL (it may hold the secret)."""


@dataclass(frozen=True)
class WebhookRef:
    id: int
    token: str
    thread_id: int | None = None

    @property
    def url(self) -> str:
        return f"https://discord.com/api/webhooks/{self.id}/{self.token}"

    @property
    def display(self) -> str:
        return f"webhook {self.id}"


def parse_webhook_url(url: str) -> WebhookRef:
    """Validate a webhook URL and split it. Raises ``InvalidWebhookURL`` with a reason a user can act on."""
    expected = "expected https://discord.com/api/webhooks/<id>/<token> (Channel settings → Integrations → Webhooks)"
    if not isinstance(url, str) or not url.strip():
        raise InvalidWebhookURL(f"empty webhook URL: {expected}")
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        raise InvalidWebhookURL(f"not a URL: {expected}") from None
    if parts.scheme != "https" or not host:
        raise InvalidWebhookURL(f"not an https URL: {expected}")
    if host not in DISCORD_HOSTS:
        raise InvalidWebhookURL(f"not a Discord webhook URL (host {host!r}): {expected}")
    if parts.port not in (None, 443) or parts.username or parts.password:
        raise InvalidWebhookURL(f"malformed Discord webhook URL: {expected}")
    match = _PATH.fullmatch(parts.path)
    if not match:
        raise InvalidWebhookURL(f"malformed Discord webhook URL (id or token missing or cut): {expected}")
    thread = parse_qs(parts.query).get("thread_id", [None])[0]
    if thread is not None and not thread.isdigit():
        raise InvalidWebhookURL("malformed thread_id in the webhook URL")
    ref = WebhookRef(int(match["id"]), match["token"], int(thread) if thread else None)
    REDACT.add(ref.token)
    return ref


@dataclass(frozen=True)
class TargetOptions:
    """Per-subscription presentation: the lead's subscription store provides it through ``options_for``."""

    username: str | None = None
    avatar_url: str | None = None
    mention_role_id: int | None = None
    mention_severities: frozenset[Severity] = frozenset({Severity.CRITICAL})


def clean_username(name: str) -> str:
    """Discord refuses webhook names containing 'discord' or 'clyde' and names over 80 characters."""
    name = re.sub(r"(?i)discord|clyde", "", name).replace("@", "").replace("#", "").replace("`", "").strip()
    return name[:80] or DEFAULT_USERNAME


def allowed_mentions(message: DiscordMessage) -> discord.AllowedMentions:
    """Nothing pings, except the one role a subscription chose for this severity."""
    if message.mention_role_id:
        return discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(message.mention_role_id)], replied_user=False
        )
    return discord.AllowedMentions.none()


def embeds_of(message: DiscordMessage) -> list[discord.Embed]:
    return [discord.Embed.from_dict(e) for e in message.embeds]


class _RetryAfterObserver:
    """Remembers the last Retry-After per webhook, so a send cut by our timeout still says how long to wait."""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_end.append(self._on_end)

    async def _on_end(self, session: object, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams) -> None:
        if params.response.status == 429:
            try:
                retry = float(params.response.headers.get("Retry-After", ""))
            except ValueError:
                return
            match = re.search(r"/webhooks/(\d+)/", params.url.path)
            if match:
                self.last[match.group(1)] = retry


def _target(target: str) -> WebhookRef:
    """A stored target that no longer parses can never be delivered to: pause it, with the reason."""
    try:
        return parse_webhook_url(target)
    except InvalidWebhookURL as exc:
        raise PermanentFailure(str(exc)) from None


class DiscordWebhookNotifier:
    """``Notifier`` for ``platform="discord-webhook"``; ``target`` is the webhook URL."""

    platform = Platform.DISCORD_WEBHOOK

    def __init__(
        self,
        *,
        renderer: DiscordRenderer | None = None,
        username: str = DEFAULT_USERNAME,
        avatar_url: str | None = None,
        options_for: Callable[[str], TargetOptions | None] | None = None,
        timeout: float = 30.0,
        endpoints: Endpoints | None = None,
    ) -> None:
        self.endpoints = endpoints
        self._hold: Hold | None = None
        self.renderer = renderer or DiscordRenderer.default()
        self.username = clean_username(username)
        self.avatar_url = avatar_url
        self.options_for = options_for or (lambda _target: None)
        self.timeout = timeout
        self._observer = _RetryAfterObserver()
        self.pacer = Pacer()  # one message a second per webhook, 30 a second in all
        self._session: aiohttp.ClientSession | None = None
        install_log_redaction()

    async def pace(self, target: str) -> None:
        """Returns when a send to ``target`` may go (the dispatcher waits here before it builds the message)."""
        await self.pacer.wait(target)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._hold is not None:
            self._hold.release()
            self._hold = None

    def _webhook(self, ref: WebhookRef) -> discord.Webhook:
        if self._hold is None:  # from the first send to close()
            self._hold = Hold(self.endpoints)
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(trace_configs=[self._observer.trace])
        return discord.Webhook.from_url(ref.url, session=self._session)

    async def _call(self, ref: WebhookRef, action: str, coro_factory: Callable[[discord.Webhook], Any]) -> Any:
        try:
            async with asyncio.timeout(self.timeout):
                return await coro_factory(self._webhook(ref))
        except TimeoutError:
            retry = self._observer.last.pop(str(ref.id), None)
            raise RetryLater(f"{ref.display}: {action} timed out after {self.timeout}s", retry_after=retry) from None
        except Exception as exc:
            error = classify(exc, what=f"{ref.display} {action}")
            log.warning("discord webhook %s failed: %s", action, error)
            raise error from None

    # -- Notifier -----------------------------------------------------------------------------------------------
    async def send_alert(self, target: str, alert: AlertView, *, language: str, timezone: str) -> str:
        ref = _target(target)
        options = self.options_for(target) or TargetOptions()
        role = options.mention_role_id if alert.severity in options.mention_severities else None
        message = self.renderer.alert_message(alert, language=language, mention_role_id=role)
        return await self._send(ref, message, options)

    async def edit_alert(self, target: str, message_id: str, alert: AlertView, *, language: str, timezone: str) -> None:
        """Update the alert when the story grows. The role mention is not repeated (an edit never pings)."""
        ref = _target(target)
        message = self.renderer.alert_message(alert, language=language)
        thread = discord.Object(ref.thread_id) if ref.thread_id else discord.utils.MISSING
        try:
            await self._call(
                ref,
                "edit",
                lambda hook: hook.edit_message(
                    int(message_id),
                    embeds=embeds_of(message),
                    allowed_mentions=discord.AllowedMentions.none(),
                    thread=thread,
                ),
            )
        except DeliveryError as exc:
            # Someone deleted the alert: it is their channel. Not a reason to pause, nor to post it again.
            if f"code {UNKNOWN_MESSAGE}" in str(exc):
                log.info("%s: alert message %s was deleted; not re-posting", ref.display, message_id)
                return
            raise

    async def send_reply(self, target: str, reply: Reply) -> str:
        """A digest or notice; buttons are dropped (only application-owned webhooks may carry components)."""
        ref = _target(target)
        options = self.options_for(target) or TargetOptions()
        first = ""
        for message in self.renderer.reply_messages(reply):
            message_id = await self._send(ref, message, options)
            first = first or message_id
        return first

    async def verify(self, target: str) -> dict[str, Any]:
        """Check a webhook exists (at subscribe time): its name, channel and guild. Raises a delivery error."""
        ref = _target(target)
        hook = await self._call(ref, "fetch", lambda h: h.fetch(prefer_auth=False))
        return {"name": hook.name, "channel_id": str(hook.channel_id), "guild_id": str(hook.guild_id)}

    async def _send(self, ref: WebhookRef, message: DiscordMessage, options: TargetOptions) -> str:
        kwargs: dict[str, Any] = {
            "content": message.content or discord.utils.MISSING,
            "embeds": embeds_of(message),
            "username": clean_username(options.username) if options.username else self.username,
            "allowed_mentions": allowed_mentions(message),
            "wait": True,
        }
        avatar = options.avatar_url or self.avatar_url
        if avatar:
            kwargs["avatar_url"] = avatar
        if ref.thread_id:
            kwargs["thread"] = discord.Object(ref.thread_id)
        if message.png:
            kwargs["file"] = discord.File(io.BytesIO(message.png), filename="digest.png")
        sent = await self._call(ref, "send", lambda hook: hook.send(**kwargs))
        return str(sent.id)


__all__ = [
    "DiscordWebhookNotifier",
    "InvalidWebhookURL",
    "TargetOptions",
    "WebhookRef",
    "parse_webhook_url",
    "redact_webhook_url",
]
