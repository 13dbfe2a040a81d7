"""The Telegram adapter's deployment settings: the bot token, the Bot API server, polling or webhook mode, and
the limits an answer meets (``TelegramSettings``, made from ``bot.config.Env.telegram`` by ``from_env``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.adapters.telegram.notifier import DEFAULT_API_URL

if TYPE_CHECKING:
    from bot.config import TelegramEnv


@dataclass(frozen=True)
class TelegramSettings:
    """Deployment settings; ``from_env`` makes them from ``Env.telegram``."""

    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    webhook_url: str | None = None  # set → webhook mode; Telegram POSTs updates here
    webhook_secret: str | None = field(default=None, repr=False)  # generated when not given
    webhook_listen: str = "127.0.0.1"  # behind a reverse proxy; 0.0.0.0 to listen on all interfaces
    webhook_port: int = 8443
    webhook_path: str | None = None  # local path; default: the path of webhook_url
    poll_timeout: int = 30  # seconds a getUpdates long poll may wait
    link_previews: bool = False
    admin_cache_seconds: float = 60.0
    drop_pending_updates: bool = False
    reply_max_wait: float = 3.0  # seconds from a command's arrival to its answer; a later answer is dropped
    chat_backlog: int = 16  # updates of one chat waiting behind the one being handled; more are dropped

    @classmethod
    def from_env(cls, env: TelegramEnv) -> TelegramSettings | None:
        """From the ``TELEGRAM_*`` variables as ``bot.config.Env`` read them (``env.telegram``), with this
        adapter's defaults; None when ``TELEGRAM_BOT_TOKEN`` is unset: the service runs without Telegram."""
        if env.token is None:
            return None
        return cls(
            token=env.token.get_secret_value(),
            api_url=(env.api_url or DEFAULT_API_URL).rstrip("/"),
            webhook_url=env.webhook_url,
            webhook_secret=env.webhook_secret.get_secret_value() if env.webhook_secret else None,
            webhook_listen=env.webhook_listen or "127.0.0.1",
            webhook_port=8443 if env.webhook_port is None else env.webhook_port,
            webhook_path=env.webhook_path,
            link_previews=env.link_previews,
        )


__all__ = ["TelegramSettings"]
