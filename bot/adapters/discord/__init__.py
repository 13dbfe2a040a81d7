"""Discord adapter: embeds (render), webhook delivery (no bot needed), and the slash-command bot.

DiscordRenderer         AlertView / Reply → embed dicts within every Discord limit (pure)
DiscordWebhookNotifier  platform "discord-webhook": target = webhook URL (a secret)
DiscordBotNotifier      platform "discord": target = channel id, through the bot's REST session
DiscordAdapter          the bot: slash commands → CommandCore → replies; guild removal hook
Endpoints               DISCORD_API_URL / DISCORD_GATEWAY_URL: all of the above talk to another server (endpoints.py)
"""

from bot.adapters.discord.bot import DiscordAdapter, DiscordStartError
from bot.adapters.discord.errors import redact_webhook_url
from bot.adapters.discord.notifier import DiscordBotNotifier
from bot.adapters.discord.render import DiscordRenderer
from bot.adapters.discord.webhook import (
    DiscordWebhookNotifier,
    InvalidWebhookURL,
    TargetOptions,
    parse_webhook_url,
)

__all__ = [
    "DiscordAdapter",
    "DiscordBotNotifier",
    "DiscordRenderer",
    "DiscordStartError",
    "DiscordWebhookNotifier",
    "InvalidWebhookURL",
    "TargetOptions",
    "parse_webhook_url",
    "redact_webhook_url",
]
