"""``TelegramNotifier``: the outbox's Notifier for Telegram, thin on top of ``render``.

Sending is paced by ``ChatThrottle`` so flood control rarely triggers: about 25 messages a second overall,
one a second in a private chat, twenty a minute in a group or channel (Telegram's published limits, a little
under). When Telegram still answers 429, the chat cools down for the time it asked and further sends to it
fail fast with ``RetryLater`` instead of hammering the API.

Decisions the outbox relies on:

* formatting refused ("can't parse entities", too long) → the same alert is sent once more as plain text,
  and the refusal is logged; the message was not delivered the first time, so this never doubles it;
* editing with identical content ("message is not modified") is a success;
* editing a message that is gone ("message to edit not found", "message can't be edited") is logged and
  treated as done: the chat's admins removed it, or it is too old; posting a fresh copy would be a
  duplicate the outbox cannot track (``edit_alert`` returns no new message id);
* everything else goes through ``errors.to_delivery_error``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self, TypeVar

from aiolimiter import AsyncLimiter
from telegram import Bot, InlineKeyboardMarkup, InputFile, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.adapters.telegram.errors import (
    is_edit_gone,
    is_format_error,
    is_not_modified,
    retry_seconds,
    start_failure,
    to_delivery_error,
)
from bot.adapters.telegram.markup import CAPTION_LIMIT, MESSAGE_LIMIT, html_to_text
from bot.adapters.telegram.render import RenderedMessage, render_alert, render_reply
from bot.deliver.model import AlertView, DeliveryError, Document, Reply, RetryLater
from bot.deliver.pacing import Pacer
from bot.domain import Platform
from bot.text.length import utf16_len

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
T = TypeVar("T")


def chat_ref(target: str) -> int | str:
    """Our string target → what the Bot API takes: an integer id, or an ``@channelusername``."""
    try:
        return int(target)
    except ValueError:
        return target


class ChatThrottle:
    """Global and per-chat pacing of sends, and cool-downs learned from 429 answers."""

    def __init__(
        self,
        *,
        per_second: float = 25.0,
        private_per_second: float = 1.0,
        group_per_minute: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        max_chats: int = 4096,
    ) -> None:
        self._global = AsyncLimiter(per_second, 1.0)
        self._private_rate = private_per_second
        self._group_rate = group_per_minute
        self._chats: OrderedDict[str, AsyncLimiter] = OrderedDict()
        self._cool: dict[str, float] = {}
        self._clock = clock
        self._max_chats = max_chats

    def cooling(self, chat: str) -> float:
        """Seconds left before ``chat`` may be sent to again (0 when it may)."""
        until = self._cool.get(chat)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._cool[chat]
            return 0.0
        return left

    def cool_down(self, chat: str, seconds: float) -> None:
        self._cool[chat] = max(self._cool.get(chat, 0.0), self._clock() + seconds)

    def _limiter(self, chat: str) -> AsyncLimiter:
        limiter = self._chats.pop(chat, None)
        if limiter is None:
            group = chat.startswith(("-", "@"))  # groups, supergroups and channels have negative ids
            limiter = AsyncLimiter(self._group_rate, 60.0) if group else AsyncLimiter(self._private_rate, 1.0)
            if len(self._chats) >= self._max_chats:
                self._chats.popitem(last=False)  # forget the least recently used chat
        self._chats[chat] = limiter
        return limiter

    async def acquire(self, chat: str) -> None:
        left = self.cooling(chat)
        if left:
            raise RetryLater(f"chat {chat} is cooling down after flood control", retry_after=left)
        async with self._global, self._limiter(chat):
            return


class ReplyDropped(DeliveryError):
    """A command's answer that would have waited longer than its ``max_wait`` for the chat's send pacing: it is
    dropped, not queued behind a flood (the user can ask again; alerts never take this path)."""


class TelegramNotifier:
    """Notifier (platform "telegram") over a PTB ``Bot``; share the Application's bot or make one with
    ``create`` (then ``await notifier.start()`` / ``close()``, or ``async with``)."""

    platform = Platform.TELEGRAM

    def __init__(
        self,
        bot: Bot,
        *,
        link_previews: bool = False,
        throttle: ChatThrottle | None = None,
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        self.bot = bot
        self.api_url = api_url
        self.throttle = throttle or ChatThrottle()
        # The outbox's pacing (one message a second per chat, 30 a second), waited before an alert is built;
        # the throttle's flood limits (20 a minute in a group, cool-downs after a 429) apply at the send.
        self.pacer = Pacer()
        self._preview = LinkPreviewOptions(is_disabled=not link_previews)

    @classmethod
    def create(
        cls,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        link_previews: bool = False,
        throttle: ChatThrottle | None = None,
        timeout: float = 20.0,
    ) -> TelegramNotifier:
        api_url = api_url.rstrip("/")
        request = HTTPXRequest(connection_pool_size=16, read_timeout=timeout, connect_timeout=timeout)
        bot = Bot(token, base_url=f"{api_url}/bot", base_file_url=f"{api_url}/file/bot", request=request)
        return cls(bot, link_previews=link_previews, throttle=throttle, api_url=api_url)

    async def start(self) -> None:
        """Open connections and check the token (getMe); raises ``TelegramStartError`` with one clear
        sentence when Telegram refuses the token or cannot be reached."""
        try:
            await self.bot.initialize()
        except TelegramError as exc:
            await self.bot.shutdown()
            raise start_failure(exc, self.api_url) from None

    async def close(self) -> None:
        await self.bot.shutdown()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.close()

    # ---- Notifier -------------------------------------------------------------------------------------

    async def pace(self, target: str) -> None:
        """Returns when a send to ``target`` may go (the dispatcher waits here before it builds the message)."""
        await self.pacer.wait(target)

    async def send_alert(self, target: str, alert: AlertView, *, language: str, timezone: str) -> str:
        text = render_alert(alert, language=language, timezone=timezone)
        message = await self._send_text(target, RenderedMessage(text))
        return str(message.message_id)

    def _editor(
        self, target: str, message_id: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> Callable[[str, str | None], Awaitable[object]]:
        """An editMessageText call for ``_formatted`` (which may retry it as plain text)."""

        def edit(body: str, parse_mode: str | None) -> Awaitable[object]:
            return self.bot.edit_message_text(
                body,
                chat_id=chat_ref(target),
                message_id=int(message_id),
                parse_mode=parse_mode,
                link_preview_options=self._preview,
                reply_markup=keyboard,
            )

        return edit

    async def edit_alert(self, target: str, message_id: str, alert: AlertView, *, language: str, timezone: str) -> None:
        text = render_alert(alert, language=language, timezone=timezone)
        try:
            await self._formatted(target, text, MESSAGE_LIMIT, self._editor(target, message_id))
        except _Ignored as done:
            log.info("telegram edit of message %s in chat %s skipped: %s", message_id, target, done)

    async def send_reply(self, target: str, reply: Reply, *, max_wait: float | None = None) -> str:
        """Send a command's answer; returns the id of the last message (the one carrying the keyboard),
        or "" when the reply was empty. With ``max_wait``, a message that would wait longer than that for the
        chat's pacing raises ``ReplyDropped`` instead of waiting (interactive answers)."""
        messages = render_reply(reply)
        last: Message | None = None
        if reply.image:
            # The whole text is the photo's caption when it fits one (a short first message of several is not:
            # the blocks are packed whole, so the first may be short while the rest follow).
            caption = messages[0] if len(messages) == 1 and utf16_len(messages[0].text) <= CAPTION_LIMIT else None
            if caption:
                messages = messages[1:]
            elif reply.caption and utf16_len(reply.text) > CAPTION_LIMIT:
                # a long text follows the photo; the photo gets its short caption
                short = Reply(text=reply.caption, language=reply.language)
                caption = render_reply(short, limit=CAPTION_LIMIT)[0]
            last = await self._send_photo(target, reply.image, caption, keyboard_now=not messages, max_wait=max_wait)
        elif reply.documents:
            # The reply's text is the files' caption, under the first one (an album would need files of one type).
            caption = messages[0] if len(messages) == 1 and utf16_len(messages[0].text) <= CAPTION_LIMIT else None
            if caption:
                messages = messages[1:]
            for i, document in enumerate(reply.documents):
                last = await self._send_document(target, document, caption if i == 0 else None, max_wait=max_wait)
        for rendered in messages:
            last = await self._send_text(target, rendered, max_wait=max_wait)
        return str(last.message_id) if last else ""

    async def edit_reply(self, target: str, message_id: str, reply: Reply, *, max_wait: float | None = None) -> bool:
        """Replace a message we sent (the one under a pressed button) with ``reply``: pagination and settings
        keyboards update in place. False when the reply cannot replace it (an image, files, several messages, the
        message is gone); the caller then sends it."""
        messages = render_reply(reply)
        if reply.image or reply.documents or len(messages) != 1:
            return False
        rendered = messages[0]
        edit = self._editor(target, message_id, rendered.keyboard)

        try:
            await self._formatted(target, rendered.text, MESSAGE_LIMIT, edit, max_wait=max_wait)
        except _Ignored as why:
            return str(why) == "not modified"
        return True

    # ---- sending --------------------------------------------------------------------------------------

    async def _send_text(self, target: str, rendered: RenderedMessage, *, max_wait: float | None = None) -> Message:
        def send(body: str, parse_mode: str | None) -> Awaitable[Message]:
            return self.bot.send_message(
                chat_ref(target),
                body,
                parse_mode=parse_mode,
                link_preview_options=self._preview,
                reply_markup=rendered.keyboard,
            )

        return await self._formatted(target, rendered.text, MESSAGE_LIMIT, send, max_wait=max_wait)

    async def _send_photo(
        self,
        target: str,
        image: bytes,
        caption: RenderedMessage | None,
        *,
        keyboard_now: bool,
        max_wait: float | None = None,
    ) -> Message:
        markup: InlineKeyboardMarkup | None = caption.keyboard if caption else None

        def send(body: str, parse_mode: str | None) -> Awaitable[Message]:
            return self.bot.send_photo(
                chat_ref(target),
                image,
                caption=body or None,
                parse_mode=parse_mode if body else None,
                reply_markup=markup if keyboard_now else None,
            )

        return await self._formatted(target, caption.text if caption else "", CAPTION_LIMIT, send, max_wait=max_wait)

    async def _send_document(
        self, target: str, document: Document, caption: RenderedMessage | None, *, max_wait: float | None = None
    ) -> Message:
        def send(body: str, parse_mode: str | None) -> Awaitable[Message]:
            return self.bot.send_document(
                chat_ref(target),
                InputFile(document.data, filename=document.filename),
                caption=body or None,
                parse_mode=parse_mode if body else None,
                reply_markup=caption.keyboard if caption else None,
                disable_content_type_detection=True,  # a CSV stays a document, never a guessed media type
            )

        return await self._formatted(target, caption.text if caption else "", CAPTION_LIMIT, send, max_wait=max_wait)

    async def _formatted(
        self,
        target: str,
        html_text: str,
        limit: int,
        call: Callable[[str, str | None], Awaitable[T]],
        *,
        max_wait: float | None = None,
    ) -> T:
        """Call with HTML; if Telegram refuses the markup, once more with the same content as plain text."""
        try:
            return await self._call(target, lambda: call(html_text, ParseMode.HTML), max_wait=max_wait)
        except _FormatRefused as refused:
            log.warning("telegram refused our HTML for chat %s (%s); resending as plain text", target, refused)
            return await self._call(target, lambda: call(_plain(html_text, limit), None), max_wait=max_wait)

    async def _call(self, target: str, make: Callable[[], Awaitable[T]], *, max_wait: float | None = None) -> T:
        if max_wait is None:
            await self.throttle.acquire(target)
        else:
            try:
                await asyncio.wait_for(self.throttle.acquire(target), max_wait)
            except TimeoutError:
                raise ReplyDropped(f"chat {target}: an answer would wait over {max_wait:g} s for pacing") from None
        try:
            return await make()
        except TelegramError as exc:
            if isinstance(exc, RetryAfter):
                self.throttle.cool_down(target, retry_seconds(exc))
            if is_not_modified(exc):
                raise _Ignored("not modified") from None
            if is_edit_gone(exc):
                raise _Ignored(exc.message) from None
            if is_format_error(exc):
                raise _FormatRefused(exc.message) from exc
            raise to_delivery_error(exc) from exc


class _FormatRefused(Exception):
    pass


class _Ignored(Exception):
    """An edit Telegram refused for a reason that means there is nothing left to do."""


def _plain(html_text: str, limit: int) -> str:
    text = html_to_text(html_text)
    if utf16_len(text) <= limit:
        return text
    used, cut = 0, 0
    for cut, ch in enumerate(text):  # noqa: B007 - cut is used after the loop
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit - 1:
            break
    return text[:cut].rstrip() + "…"


async def send_with_patience(send: Callable[[], Awaitable[T]], *, max_wait: float = 10.0) -> T:
    """For interactive answers: when flood control asks for a short wait, wait once and retry."""
    try:
        return await send()
    except RetryLater as exc:
        if exc.retry_after is None or exc.retry_after > max_wait:
            raise
        await asyncio.sleep(exc.retry_after)
        return await send()
