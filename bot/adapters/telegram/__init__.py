"""Telegram adapter: rendering (pure), the outbox's Notifier, and the PTB Application for commands.

``render`` turns AlertView/Reply into Telegram HTML within limits; ``notifier.TelegramNotifier`` sends and
edits (errors mapped to the outbox's DeliveryError family); ``app.TelegramAdapter`` receives updates
(polling or webhook) and calls the command core.
"""

from bot.adapters.telegram.app import TelegramAdapter, TelegramSettings
from bot.adapters.telegram.errors import MessageRejected, TelegramStartError
from bot.adapters.telegram.notifier import ChatThrottle, TelegramNotifier

__all__ = [
    "ChatThrottle",
    "MessageRejected",
    "TelegramAdapter",
    "TelegramNotifier",
    "TelegramSettings",
    "TelegramStartError",
]
