"""Discord failures → the outbox's delivery errors, classified once, here.

    RetryLater        429 (discord.py's own retries exhausted, or a wait longer than we allow), 5xx, network,
                      timeouts
    PermanentFailure  401, 403 (50001 Missing Access, 50013 Missing Permissions), 404 (10003 Unknown Channel,
                      10015 Unknown Webhook): pause the subscription with the reason
    DeliveryError     any other 4xx: our payload was refused — a bug for this one alert, not a reason to pause

Every message goes through the redactor: a webhook URL or a token must never reach a log or the database.
"""

from __future__ import annotations

import asyncio
import logging
import re

import aiohttp
import discord

from bot.deliver.model import DeliveryError, PermanentFailure, RetryLater

# Discord JSON error codes we name in pause reasons.
REASONS = {
    10003: "Unknown Channel: the channel was deleted or the bot cannot see it",
    10008: "Unknown Message",
    10015: "Unknown Webhook: the webhook was deleted",
    50001: "Missing Access: the bot cannot see this channel",
    50013: "Missing Permissions: the bot needs View Channel, Send Messages and Embed Links here",
    50027: "Invalid Webhook Token",
}
UNKNOWN_MESSAGE = 10008

_WEBHOOK_URL = re.compile(r"((?:https?://[^\s/]+)?/api(?:/v\d+)?/webhooks/\d+/)[^\s/?#\"']+")
_INTERACTION = re.compile(r"(/(?:interactions|webhooks)/\d+/)[A-Za-z0-9_.\-]{20,}")
_BOT_AUTH = re.compile(r"(Bot\s+)[A-Za-z0-9_.\-]{20,}")


def redact_webhook_url(text: str) -> str:
    """Replace the secret part of any Discord webhook URL (and interaction tokens) in ``text``."""
    text = _WEBHOOK_URL.sub(r"\1<redacted>", text)
    text = _INTERACTION.sub(r"\1<redacted>", text)
    return _BOT_AUTH.sub(r"\1<redacted>", text)


class _RedactRecords(logging.Filter):
    """discord.py logs request URLs at DEBUG; for webhooks and interactions the URL carries the secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_webhook_url(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = _RedactRecords()


def install_log_redaction() -> None:
    """Idempotent: attach the filter to the discord.py loggers that print request URLs."""
    for name in ("discord.webhook.async_", "discord.http", "discord.interactions", "discord.client"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def _retry_after(exc: discord.HTTPException) -> float | None:
    header = getattr(exc.response, "headers", {}).get("Retry-After") if exc.response is not None else None
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None


def classify(exc: BaseException, *, what: str) -> DeliveryError:
    """The delivery error for ``exc``; ``what`` names the target for the message (already redacted)."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, discord.RateLimited):
        return RetryLater(f"{what}: rate limited for {exc.retry_after:.1f}s", retry_after=exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        status, code = exc.status, exc.code
        detail = redact_webhook_url(f"{status} code {code}: {REASONS.get(code) or exc.text or exc.__class__.__name__}")
        if status == 429:
            return RetryLater(f"{what}: rate limited ({detail})", retry_after=_retry_after(exc))
        if status >= 500:
            return RetryLater(f"{what}: Discord server error ({detail})")
        if status in (401, 403, 404) or code in REASONS:
            return PermanentFailure(f"{what}: {detail}")
        return DeliveryError(f"{what}: Discord refused the message ({detail})")
    if isinstance(exc, aiohttp.ClientError | OSError | asyncio.TimeoutError):
        return RetryLater(f"{what}: network error ({redact_webhook_url(type(exc).__name__ + ': ' + str(exc))})")
    return DeliveryError(f"{what}: {redact_webhook_url(type(exc).__name__ + ': ' + str(exc))}")
