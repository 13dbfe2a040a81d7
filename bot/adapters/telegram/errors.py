"""Telegram errors → the outbox's delivery errors, classified once, here.

::

    TelegramError
    ├── RetryAfter (429)              → RetryLater(retry_after)        flood control: wait what Telegram says
    ├── ChatMigrated                  → TargetMoved(new chat id)       group became a supergroup
    ├── Forbidden (403)               → PermanentFailure(reason)       blocked, kicked, rights removed
    ├── InvalidToken (401/404)        → RetryLater(60)                 our configuration, not the chat's fault
    └── NetworkError
        ├── BadRequest (400)          ─ chat-level ("chat not found", "not enough rights") → PermanentFailure
        │                             ─ formatting → the caller resends as plain text (``is_format_error``)
        │                             ─ anything else about this one message → MessageRejected
        ├── TimedOut                  → RetryLater
        └── (5xx, connection errors)  → RetryLater

``BadRequest`` is a ``NetworkError``: it must be tested first. PTB rewrites Telegram's texts ("Bad Request:
message is not modified" becomes "Message is not modified"), so texts are matched in lower case.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.deliver.model import DeliveryError, MessageFailure, PermanentFailure, RetryLater, TargetMoved

# PTB 22 warns whenever it gives a duration in seconds, unless the process environment opts in to timedeltas
# (PTB_TIMEDELTA, which only PTB reads, with no parameter for it); RetryAfter does so in its own constructor,
# at every 429. We read durations in either form (``retry_seconds``), so the notice is silenced here rather
# than by writing a variable into the environment.
warnings.filterwarnings("ignore", r".*will be of type `datetime\.timedelta`", PTBDeprecationWarning)


class MessageRejected(MessageFailure):
    """Telegram refused this one message, not the chat (a 400 we do not recognise as a chat problem).

    A subclass of PermanentFailure so an outbox that does not know it still never retries forever; an
    outbox that does can mark the delivery failed and keep the subscription running.
    """


_FORMAT = (
    "can't parse entities",
    "can't find end tag",
    "unsupported start tag",
    "unclosed start tag",
    "unmatched end tag",
    "wrong http url",
    "wrong url host",
    "message is too long",
    "text is too long",
    "caption is too long",
    "entities_too_long",
    "message must be non-empty",
    "message text is empty",
    "text must be non-empty",
)
_CHAT_GONE = (
    "chat not found",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "chat_admin_required",
    "bot is not a member",
    "bot was kicked",
    "group chat was deactivated",
    "user is deactivated",
    "peer_id_invalid",
    "chat_restricted",
)
_NOT_MODIFIED = ("message is not modified",)
_EDIT_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")


def _text(exc: TelegramError) -> str:
    return exc.message.lower()


def is_format_error(exc: TelegramError) -> bool:
    """Telegram refused our markup or length: the same content as plain text will go through."""
    return isinstance(exc, BadRequest) and any(s in _text(exc) for s in _FORMAT)


def is_not_modified(exc: TelegramError) -> bool:
    return isinstance(exc, BadRequest) and any(s in _text(exc) for s in _NOT_MODIFIED)


def is_edit_gone(exc: TelegramError) -> bool:
    return isinstance(exc, BadRequest) and any(s in _text(exc) for s in _EDIT_GONE)


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds Telegram asked us to wait, without tripping PTB's int→timedelta deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def to_delivery_error(exc: TelegramError) -> DeliveryError:
    """The outbox's view of a failed call (formatting errors are handled by the caller before this)."""
    reason = exc.message
    if isinstance(exc, RetryAfter):
        return RetryLater(f"telegram flood control: {reason}", retry_after=retry_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return TargetMoved(f"chat migrated to {exc.new_chat_id}", str(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return PermanentFailure(f"telegram: {reason}")  # "bot was blocked by the user", "bot was kicked ..."
    if isinstance(exc, InvalidToken):
        return RetryLater("telegram rejected the bot token; check TELEGRAM_BOT_TOKEN", retry_after=60.0)
    if isinstance(exc, BadRequest):  # before NetworkError: BadRequest is one
        if any(s in _text(exc) for s in _CHAT_GONE):
            return PermanentFailure(f"telegram: {reason}")
        return MessageRejected(f"telegram refused the message: {reason}")
    if isinstance(exc, NetworkError):  # TimedOut, 5xx, connection errors
        return RetryLater(f"telegram unreachable: {reason}")
    return RetryLater(f"telegram error: {reason}")  # Conflict and anything new: retrying is the safe side


class TelegramStartError(RuntimeError):
    """The bot cannot start. One clear sentence for the operator; never the token."""


def start_failure(exc: TelegramError, api_url: str) -> TelegramStartError:
    """What to tell the operator when getMe fails at start (PTB's own message would contain the token)."""
    if isinstance(exc, InvalidToken | Forbidden):
        return TelegramStartError(
            f"Telegram ({api_url}) rejected TELEGRAM_BOT_TOKEN. Copy the token again from @BotFather "
            "(it looks like 123456789:AA…) and restart."
        )
    if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
        return TelegramStartError(f"Cannot reach the Telegram Bot API at {api_url}: {exc.message}")
    return TelegramStartError(f"Telegram ({api_url}) refused to start the bot: {exc.message}")
