"""``TelegramAdapter``: python-telegram-bot's Application on the caller's event loop, turning updates into
``Invocation``s for the command core and its ``Reply``s into messages.

The composition root owns the loop (discord.py and APScheduler share it), so the Application is started by
hand — ``initialize``, ``start``, ``updater.start_polling`` — and stopped in reverse. ``post_init`` hooks
only run under ``run_polling``; the command menu is registered here instead.

Modes: long polling by default; webhook when ``webhook_url`` is set, for deployments behind a reverse
proxy: ``webhook.WebhookReceiver`` checks Telegram's secret-token header before accepting anything. The
settings are ``settings.TelegramSettings`` (exported here too).

What the adapter decides, and nothing more (permissions and texts are the core's):

* which updates are for us: commands in private chats, groups, supergroups and channels (``/cmd`` and
  ``/cmd@ThisBot``; ``/cmd@OtherBot`` is ignored), and inline-button presses; anything else is ignored;
* input caps (argument bytes, argument count), answered with a clear message before the core sees it;
* a channel managed from a private chat (``/subscribe @channel hbm``): resolved with getChat, and the user
  must administer that channel (getChatMember) before the core is called;
* ``is_admin`` for the core: private chat → yes; channel post → yes (only admins can post); group →
  getChatMember (creator/administrator), cached a minute; an anonymous admin posting as the group → yes;
* a button about a channel, pressed in the private chat where it was managed, acts on that channel, and the
  presser must administer it (the core verifies the signed data names the same channel).

One user never holds up the others: updates from different chats are handled concurrently (``updates.py``),
each command first meets the per-user and per-chat cooldown (``bot.commands.limits``: refused ones get one
"slow down", then silence), and an answer that would wait more than ``reply_max_wait`` seconds for its chat's
send pacing is dropped rather than queued behind a flood.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from telegram import BotCommand, Chat, ChatFullInfo, Message, Update, User
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.adapters.telegram import labels
from bot.adapters.telegram.admins import AdminCache
from bot.adapters.telegram.commands import TARGET_RE, cap_problem, parse_command, split_args
from bot.adapters.telegram.errors import start_failure
from bot.adapters.telegram.notifier import ChatThrottle, TelegramNotifier, send_with_patience
from bot.adapters.telegram.settings import TelegramSettings
from bot.adapters.telegram.updates import ChatUpdateProcessor
from bot.adapters.telegram.webhook import WebhookReceiver
from bot.commands.limits import Admission, CommandLimiter
from bot.commands.model import ADMIN_COMMANDS, CommandCore, Invocation, callback_target
from bot.deliver.model import DeliveryError, Reply
from bot.domain import Platform
from bot.log import REDACT
from bot.text.messages import text as core_text

log = logging.getLogger(__name__)

PLATFORM = Platform.TELEGRAM
_KNOWN_CHATS = frozenset({ChatType.PRIVATE, ChatType.GROUP, ChatType.SUPERGROUP, ChatType.CHANNEL})
_ALLOWED_UPDATES = [Update.MESSAGE, Update.CHANNEL_POST, Update.CALLBACK_QUERY]


class TelegramAdapter:
    def __init__(
        self,
        settings: TelegramSettings,
        core: CommandCore,
        *,
        throttle: ChatThrottle | None = None,
        limiter: CommandLimiter | None = None,
    ):
        self.settings = settings
        self.core = core
        self.limiter = limiter or CommandLimiter()
        self.updates = ChatUpdateProcessor(backlog=settings.chat_backlog, gate=self._gate)
        api = settings.api_url.rstrip("/")
        builder = Application.builder().token(settings.token).base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
        builder = builder.concurrent_updates(self.updates)
        if settings.webhook_url:
            builder = builder.updater(None)
        self.application = builder.build()
        self.bot = self.application.bot
        self.notifier = TelegramNotifier(self.bot, link_previews=settings.link_previews, throttle=throttle, api_url=api)
        self.admins = AdminCache(self.bot, ttl=settings.admin_cache_seconds)
        self.webhook_secret = settings.webhook_secret or secrets.token_urlsafe(32)
        self.webhook_port: int | None = None
        self._webhook: WebhookReceiver | None = None
        commands = filters.COMMAND & (filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST)
        self.application.add_handler(MessageHandler(commands, self._on_command))
        self.application.add_handler(CallbackQueryHandler(self._on_callback))
        self.application.add_error_handler(self._on_error)

    @property
    def username(self) -> str:
        return self.bot.username

    # ---- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Check the token, register the command menu, start receiving updates.

        Raises ``TelegramStartError`` (one sentence, no token) when Telegram refuses the token or cannot
        be reached."""
        REDACT.add(self.settings.token)
        REDACT.add(self.webhook_secret)
        try:
            await self.application.initialize()
        except TelegramError as exc:
            await self.bot.shutdown()
            raise start_failure(exc, self.settings.api_url) from None
        await self._register_commands()
        await self.application.start()
        if self.settings.webhook_url:
            self._webhook = WebhookReceiver(self.bot, self.application.update_queue, self.webhook_secret)
            self.webhook_port = await self._webhook.start(self.settings, _ALLOWED_UPDATES)
        else:
            if self.application.updater is None:  # built with one whenever no webhook is set (__init__)
                raise RuntimeError("the Telegram application has no updater to poll with")
            await self.application.updater.start_polling(
                timeout=self.settings.poll_timeout,
                allowed_updates=_ALLOWED_UPDATES,
                drop_pending_updates=self.settings.drop_pending_updates,
            )
        log.info("telegram bot @%s started (%s)", self.username, "webhook" if self._webhook else "polling")

    async def stop(self) -> None:
        """Reverse order of ``start``; safe to call after a partial start."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def _register_commands(self) -> None:
        menu = labels.command_menu()
        try:
            await self.bot.set_my_commands([BotCommand(c["command"], c["en"]) for c in menu])
            await self.bot.set_my_commands([BotCommand(c["command"], c["ar"]) for c in menu], language_code="ar")
        except TelegramError as exc:  # the menu is a convenience: commands work without it
            log.warning("could not register the Telegram command menu: %s", exc)

    # ---- updates → invocations ------------------------------------------------------------------------

    async def _on_command(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or chat.type not in _KNOWN_CHATS or message.is_automatic_forward:
            return  # unknown chat types, and channel posts mirrored into a discussion group
        parsed = parse_command(message.text)
        if parsed is None or (parsed.bot and parsed.bot.lower() != self.username.lower()):
            return  # "/latest@OtherBot" is for another bot in the group
        user = update.effective_user
        lang = labels.language(user.language_code if user else None)
        target = str(chat.id)
        deadline = self.updates.received(update) + self.settings.reply_max_wait

        problem = cap_problem(parsed.raw_args)
        if problem:
            await self._say(target, labels.message(lang, problem, max_bytes=1024, max_args=20), lang, deadline)
            return
        args = split_args(parsed.raw_args)
        is_admin = self._admin_check(chat, message, user)
        extra: dict[str, object] = {"message_id": message.message_id}

        about = target
        if args and TARGET_RE.fullmatch(args[0]):
            if chat.type != ChatType.PRIVATE:
                if parsed.command in ADMIN_COMMANDS:
                    text = labels.message(lang, "target_private_only", command=parsed.command)
                    await self._say(target, text, lang, deadline)
                    return
            else:
                if user is None:  # Telegram names the sender of every private message; without one, no one to check
                    return
                resolved = await self._resolve_target(args[0], user, lang)
                if isinstance(resolved, str):
                    await self._say(target, resolved, lang, deadline)
                    return
                extra.update(target_title=resolved.title or args[0], target_type=str(resolved.type))
                about, args = str(resolved.id), args[1:]
                is_admin = self._cached_admin(resolved.id, user.id)

        invocation = Invocation(
            platform=PLATFORM,
            chat_id=target,
            chat_type=str(chat.type),
            user_id=str(user.id if user else chat.id),  # a channel post has no user: the channel speaks
            command=parsed.command,
            args=args,
            target_chat_id=about,
            user_language=user.language_code if user else None,
            is_admin=is_admin,
            extra=extra,
        )
        queued = time.monotonic() - self.updates.received(update)
        if queued >= self.settings.reply_max_wait:  # waited too long behind this chat's earlier commands
            log.info("telegram: /%s in chat %s dropped: its answer would come too late", parsed.command, target)
            return
        reply = await self._ask_core(invocation, lang)
        # The core's own time is not held against the answer (a chart takes a moment); waiting in line is.
        await self._send(target, reply, time.monotonic() + self.settings.reply_max_wait - queued)

    async def _on_callback(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        message = query.message
        chat = message.chat if message is not None else None
        chat_id = chat.id if chat is not None else query.from_user.id
        chat_type = chat.type if chat is not None else ChatType.PRIVATE
        lang = labels.language(query.from_user.language_code)
        if chat_type not in _KNOWN_CHATS or query.data is None:
            await self._answer(query.answer())
            return
        # In a private chat the presser owns the chat; in a group or channel, ask Telegram. A button about a
        # channel (shown in the private chat that manages it) acts there, for an administrator of it only.
        private = chat_type == ChatType.PRIVATE
        about = callback_target(query.data) or str(chat_id)
        if about != str(chat_id):
            ref = int(about) if about.lstrip("-").isdigit() else None
            is_admin = self._cached_admin(ref, query.from_user.id) if private and ref is not None else _no
        else:
            is_admin = _yes if private else self._cached_admin(chat_id, query.from_user.id)
        invocation = Invocation(
            platform=PLATFORM,
            chat_id=str(chat_id),
            chat_type=str(chat_type),
            user_id=str(query.from_user.id),
            command="callback",
            target_chat_id=about,
            user_language=query.from_user.language_code,
            is_admin=is_admin,
            callback_data=query.data,  # untouched: the core verifies its signature
            extra={"message_id": message.message_id} if message is not None else {},
        )
        queued = time.monotonic() - self.updates.received(update)
        reply = await self._ask_core(invocation, lang)
        # A refusal ("admins only", a forged or stale button) is a toast for the one who pressed: it must not
        # replace the message the button sits under, nor notify the whole chat.
        if reply.ephemeral or (reply.error and not reply.buttons and not reply.alerts):
            await self._answer(query.answer(reply.text[:200] or None, show_alert=bool(reply.text)))
            return
        await self._answer(query.answer())
        target = str(chat_id)
        try:
            # Pagination and settings keyboards replace the message they sit under, unless the core says not.
            in_place = str(message.message_id) if message is not None and reply.replace else ""
            wait = max(0.05, self.settings.reply_max_wait - queued)
            if in_place and await self.notifier.edit_reply(target, in_place, reply, max_wait=wait):
                return
            await send_with_patience(lambda: self.notifier.send_reply(target, reply, max_wait=wait), max_wait=wait)
        except DeliveryError as exc:
            log.warning("could not answer a button in chat %s: %s", target, exc)

    # ---- helpers --------------------------------------------------------------------------------------

    async def _gate(self, update: object) -> bool:
        """The cooldown, before an update joins its chat's queue: commands for us and button presses spend the
        user's and the chat's tokens; a refused one gets one short "slow down" (a toast for a button), then
        silence. Everything else passes (and is ignored by the handlers)."""
        if not isinstance(update, Update):
            return True
        query = update.callback_query
        if query is not None:
            chat_id = query.message.chat.id if query.message is not None else query.from_user.id
            verdict = self.limiter.check(str(chat_id), str(query.from_user.id))
            if verdict is not Admission.ADMIT:
                lang = labels.language(query.from_user.language_code)
                slow = core_text(lang, "slow_down") if verdict is Admission.WARN else None
                await self._answer(query.answer(slow, show_alert=bool(slow)))
            return verdict is Admission.ADMIT
        message, chat = update.effective_message, update.effective_chat
        parsed = parse_command(message.text) if message is not None else None
        if chat is None or parsed is None or (parsed.bot and parsed.bot.lower() != self.username.lower()):
            return True
        user = update.effective_user
        verdict = self.limiter.check(str(chat.id), str(user.id if user else chat.id), parsed.command)
        if verdict is Admission.WARN:
            lang = labels.language(user.language_code if user else None)
            await self._say(str(chat.id), core_text(lang, "slow_down"), lang)
        return verdict is Admission.ADMIT

    def _admin_check(self, chat: Chat, message: Message, user: User | None) -> Callable[[], Awaitable[bool]]:
        if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
            return _yes  # your own private chat; in a channel only its admins can post
        sender = message.sender_chat
        if sender is not None:
            # Posting "as the group" is only open to its anonymous admins; as another channel, never.
            return _yes if sender.id == chat.id else _no
        if user is None:
            return _no
        return self._cached_admin(chat.id, user.id)

    def _cached_admin(self, chat_id: int, user_id: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return await self.admins.is_admin(chat_id, user_id)

        return check

    async def _resolve_target(self, ref: str, user: User, lang: str) -> ChatFullInfo | str:
        """The channel or group named in a private chat, or the text explaining why it can't be used."""
        try:
            chat = await self.bot.get_chat(int(ref) if ref.lstrip("-").isdigit() else ref)
        except TelegramError as exc:
            log.info("getChat %s failed: %s", ref, exc)
            return labels.message(lang, "target_not_found", target=ref)
        if chat.type not in (ChatType.CHANNEL, ChatType.GROUP, ChatType.SUPERGROUP):
            return labels.message(lang, "target_not_channel", target=ref)
        if not await self.admins.is_admin(chat.id, user.id):
            return labels.message(lang, "target_not_admin", target=ref)
        return chat

    async def _ask_core(self, invocation: Invocation, lang: str) -> Reply:
        try:
            return await self.core.handle(invocation)
        except Exception:  # one broken command must not stop the bot; the user gets an answer
            log.exception("command %r failed in chat %s", invocation.command, invocation.chat_id)
            return Reply(text=labels.message(lang, "error"), language=lang, error=True)

    async def _send(self, target: str, reply: Reply, deadline: float | None = None) -> None:
        """Answer a command; an answer that cannot go out by ``deadline`` (default: ``reply_max_wait`` from
        now) for the chat's send pacing is dropped, never queued behind a flood."""
        wait = self.settings.reply_max_wait if deadline is None else deadline - time.monotonic()
        if wait <= 0:
            log.info("telegram: an answer in chat %s dropped: it would come too late", target)
            return
        try:
            await send_with_patience(lambda: self.notifier.send_reply(target, reply, max_wait=wait), max_wait=wait)
        except DeliveryError as exc:
            log.warning("could not answer in chat %s: %s", target, exc)

    async def _say(self, target: str, text: str, lang: str, deadline: float | None = None) -> None:
        await self._send(target, Reply(text=text, language=lang, error=True), deadline)

    async def _answer(self, call: Awaitable[bool]) -> None:
        try:
            await call
        except TelegramError as exc:  # a query older than Telegram's window can't be answered: harmless
            log.info("answerCallbackQuery failed: %s", exc)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling a Telegram update: %s", context.error, exc_info=context.error)


async def _yes() -> bool:
    return True


async def _no() -> bool:
    return False


__all__ = ["TelegramAdapter", "TelegramSettings"]
