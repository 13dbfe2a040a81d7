"""A fake Telegram Bot API server on 127.0.0.1: real HTTP, scripted updates, recorded calls, injected faults.

python-telegram-bot talks to it exactly as to api.telegram.org (``base_url=f"{fake.api_url}/bot"``):
``POST /bot<token>/<method>`` with form or multipart parameters. The server

* answers getMe, getUpdates (long poll that wakes as soon as an update is scripted; honours ``offset``),
  sendMessage, editMessageText, sendPhoto, sendDocument, answerCallbackQuery, getChatMember, getChat,
  setMyCommands, deleteMyCommands, setWebhook, deleteWebhook, getWebhookInfo, close and logOut (an uploaded
  file is recorded as its name, size, content type and bytes);
* behaves like Telegram where it matters: a wrong token is 401, editing a message that does not exist is
  "message to edit not found", an edit with the same text and keyboard is "message is not modified";
* records every call (method, decoded parameters) and lets tests ``inject`` faults per method and chat:
  429 with retry_after, 403, 400 with any description, a migrated group, 5xx, or a request that hangs.

Tests wait on what the bot did with ``await fake.wait_for("sendMessage")`` — an event, never a sleep::

    async with FakeBotAPI() as fake:
        fake.command("/latest hbm", chat_id=42, user_id=42)
        [call] = await fake.wait_for("sendMessage")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"
BOT_ID = 123456789

# Parameters PTB sends JSON-encoded (objects, lists) or as numbers; everything else stays a string.
_JSON_PARAMS = {"reply_markup", "link_preview_options", "reply_parameters", "commands", "scope", "entities"}
_JSON_PARAMS |= {"allowed_updates", "caption_entities"}
_INT_PARAMS = {"chat_id", "message_id", "user_id", "offset", "limit", "timeout", "from_chat_id"}

Json = dict[str, Any]


@dataclass
class Call:
    method: str
    params: Json
    token: str

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")


@dataclass
class Fault:
    method: str
    status: int
    description: str
    chat_id: int | str | None = None  # None: any chat
    parameters: Json | None = None
    times: int = 1  # how many calls fail; -1: all of them
    hang: bool = False  # never answer (until the server closes): the client times out


@dataclass
class _Message:
    chat_id: int | str
    text: str
    markup: Any = None


@dataclass
class FakeBotAPI:
    token: str = TOKEN
    username: str = "RaqibTestBot"
    host: str = "127.0.0.1"
    calls: list[Call] = field(default_factory=list)
    chats: dict[int | str, Json] = field(default_factory=dict)  # by id and by "@username"
    members: dict[tuple[int, int], str] = field(default_factory=dict)  # (chat, user) -> status
    faults: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._updates: list[Json] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._messages: dict[tuple[int | str, int], _Message] = {}
        self._changed = asyncio.Condition()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    # ---- lifecycle --------------------------------------------------------------------------------------

    async def start(self) -> Self:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._closing.set()  # wakes long polls and hanging faults so shutdown is immediate
        async with self._changed:
            self._changed.notify_all()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.close()

    @property
    def api_url(self) -> str:
        """What TELEGRAM_API_URL would be: the bot requests ``{api_url}/bot{token}/{method}``."""
        return f"http://{self.host}:{self.port}"

    # ---- scripting --------------------------------------------------------------------------------------

    def add_chat(self, chat_id: int, type: str, *, title: str | None = None, username: str | None = None) -> Json:
        chat: Json = {"id": chat_id, "type": type}
        if type == "private":
            chat["first_name"] = title or "User"
        else:
            chat["title"] = title or f"Chat {chat_id}"
        if username:
            chat["username"] = username
            self.chats[f"@{username}".lower()] = chat
        self.chats[chat_id] = chat
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """status: creator | administrator | member | restricted | left | kicked."""
        self.members[(chat_id, user_id)] = status

    def inject(self, method: str, status: int, description: str, **kw: Any) -> Fault:
        fault = Fault(method, status, description, **kw)
        self.faults.append(fault)
        return fault

    def add_update(self, update: Json) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._notify()
        return update_id

    def command(
        self,
        text: str,
        *,
        chat_id: int,
        user_id: int | None = None,
        chat_type: str = "private",
        language_code: str | None = "en",
        sender_chat: Json | None = None,
        **extra: Any,
    ) -> int:
        """Script a message (or a channel post when ``chat_type == "channel"``) whose text starts with a
        command, with the bot_command entity Telegram would attach."""
        chat = self.chats.get(chat_id) or self.add_chat(chat_id, chat_type)
        message: Json = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "text": text}
        if text.startswith("/"):
            length = len(text.split()[0].encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if user_id is not None:
            message["from"] = _user(user_id, language_code)
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
        message.update(extra)
        return self.add_update({"channel_post" if chat_type == "channel" else "message": message})

    def press(
        self, data: str | None, *, chat_id: int, user_id: int, message_id: int | None = None, chat_type: str = "private"
    ) -> int:
        """Script a press on an inline button under ``message_id`` (a message the bot sent, or any)."""
        chat = self.chats.get(chat_id) or self.add_chat(chat_id, chat_type)
        mid = message_id if message_id is not None else next(self._message_ids)
        stored = self._messages.get((chat_id, mid))
        text = stored.text if stored else "…"
        message: Json = {"message_id": mid, "date": int(time.time()), "chat": chat, "text": text}
        message["from"] = _user(BOT_ID, None, bot=True, username=self.username)
        query: Json = {"id": f"cq{mid}-{len(self.calls)}", "from": _user(user_id, "en"), "chat_instance": "ci"}
        query["message"] = message
        if data is not None:
            query["data"] = data
        return self.add_update({"callback_query": query})

    # ---- inspection -------------------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def pending_updates(self) -> int:
        return len(self._updates)

    async def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        where: Callable[[Call], bool] | None = None,
        within: float = 10.0,
    ) -> list[Call]:
        """Wait until ``count`` calls of ``method`` (matching ``where``) were received; return them."""

        def matching() -> list[Call]:
            return [c for c in self.calls if c.method == method and (where is None or where(c))]

        async def wait() -> list[Call]:
            async with self._changed:
                while len(found := matching()) < count:
                    await self._changed.wait()
                return found

        try:
            return await asyncio.wait_for(wait(), within)
        except TimeoutError:
            seen = [c.method for c in self.calls]
            got = len(matching())
            raise AssertionError(f"expected {count} {method} call(s); got {got}; all calls: {seen}") from None

    # ---- the server -------------------------------------------------------------------------------------

    def _notify(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        try:
            task = asyncio.get_running_loop().create_task(notify())
        except RuntimeError:
            return  # scripted before the loop runs: nobody is waiting yet
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _params(self, request: web.Request) -> Json:
        raw: dict[str, Any] = {}
        if request.content_type == "application/json":
            raw = await request.json()
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    raw[key] = value
                else:  # an uploaded file: keep its name, size, type and bytes
                    data = value.file.read()
                    raw[key] = {"filename": value.filename, "size": len(data), "type": value.content_type, "data": data}
        raw.update(request.query)
        params: Json = {}
        for key, value in raw.items():
            if isinstance(value, str) and key in _JSON_PARAMS:
                value = json.loads(value)
            elif isinstance(value, str) and key in _INT_PARAMS:
                try:
                    value = int(value)
                except ValueError:
                    value = value.lower() if value.startswith("@") else value
            elif value in ("true", "false"):
                value = value == "true"
            params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params = await self._params(request)
        if token != self.token:
            return _error(401, "Unauthorized")
        call = Call(method, params, token)
        self.calls.append(call)
        self._notify()
        fault = self._fault_for(call)
        if fault:
            if fault.hang:
                await self._closing.wait()
            return _error(fault.status, fault.description, fault.parameters)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    def _fault_for(self, call: Call) -> Fault | None:
        for fault in self.faults:
            if fault.method.lower() != call.method.lower() or fault.times == 0:
                continue
            if fault.chat_id is not None and fault.chat_id != call.chat_id:
                continue
            if fault.times > 0:
                fault.times -= 1
            return fault
        return None

    def _chat(self, chat_id: int | str) -> Json:
        if chat_id in self.chats:
            return self.chats[chat_id]
        if isinstance(chat_id, int):
            return self.add_chat(chat_id, "private" if chat_id > 0 else "supergroup")
        return {"id": -1000000000001, "type": "channel", "title": str(chat_id)}

    def _message(self, chat_id: int | str, text: str | None, markup: Any = None, **extra: Any) -> Json:
        mid = next(self._message_ids)
        self._messages[(chat_id, mid)] = _Message(chat_id, text or "", markup)
        msg: Json = {"message_id": mid, "date": int(time.time()), "chat": self._chat(chat_id), **extra}
        msg["from"] = _user(BOT_ID, None, bot=True, username=self.username)
        if text is not None:
            msg["text"] = text
        if markup:
            msg["reply_markup"] = markup
        return msg

    # Bot API methods: one coroutine each, named _m_<method in lower case>.

    async def _m_getme(self, _: Json) -> Json:
        return {**_user(BOT_ID, None, bot=True, username=self.username), "can_join_groups": True}

    async def _m_getupdates(self, params: Json) -> list[Json]:
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed: forget them
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)

        async def wait() -> None:
            async with self._changed:
                while not self._updates and not self._closing.is_set():
                    await self._changed.wait()

        if not self._updates and timeout > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wait(), timeout)
        return self._updates[:limit]

    async def _m_sendmessage(self, params: Json) -> Json:
        return self._message(params["chat_id"], params.get("text", ""), params.get("reply_markup"))

    async def _m_sendphoto(self, params: Json) -> Json:
        photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 800, "height": 600}]
        msg = self._message(params["chat_id"], None, params.get("reply_markup"), photo=photo)
        if "caption" in params:
            msg["caption"] = params["caption"]
        return msg

    async def _m_senddocument(self, params: Json) -> Json:
        upload = params.get("document") or {}
        document = {"file_id": "d1", "file_unique_id": "ud1", "file_name": upload.get("filename"), "file_size": 1}
        msg = self._message(params["chat_id"], None, params.get("reply_markup"), document=document)
        if "caption" in params:
            msg["caption"] = params["caption"]
        return msg

    async def _m_editmessagetext(self, params: Json) -> Json | web.Response:
        key = (params["chat_id"], int(params["message_id"]))
        stored = self._messages.get(key)
        if stored is None:
            return _error(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if stored.text == params.get("text", "") and stored.markup == markup:
            return _error(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message",
            )
        stored.text, stored.markup = params.get("text", ""), markup
        msg: Json = {"message_id": key[1], "date": int(time.time()), "chat": self._chat(key[0]), "text": stored.text}
        return msg

    async def _m_answercallbackquery(self, _: Json) -> bool:
        return True

    async def _m_getchat(self, params: Json) -> Json | web.Response:
        chat = self.chats.get(params["chat_id"])
        if chat is None:
            return _error(400, "Bad Request: chat not found")
        full = {"accent_color_id": 0, "max_reaction_count": 11}
        gifts = {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False}
        gifts |= {"premium_subscription": False, "gifts_from_channels": False}
        return {**chat, **full, "accepted_gift_types": gifts}

    async def _m_getchatmember(self, params: Json) -> Json | web.Response:
        chat_id, user_id = params["chat_id"], int(params["user_id"])
        chat = self.chats.get(chat_id)
        if chat is None:
            return _error(400, "Bad Request: chat not found")
        status = self.members.get((chat["id"], user_id), "member")
        user = _user(user_id, None)
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            rights = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages")
            rights += ("can_manage_video_chats", "can_restrict_members", "can_promote_members", "can_change_info")
            rights += ("can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories")
            return {"status": "administrator", "user": user, **dict.fromkeys(rights, False), "can_post_messages": True}
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": status if status in ("member", "left") else "member", "user": user}

    async def _m_setmycommands(self, _: Json) -> bool:
        return True

    async def _m_deletemycommands(self, _: Json) -> bool:
        return True

    async def _m_setwebhook(self, _: Json) -> bool:
        return True

    async def _m_deletewebhook(self, _: Json) -> bool:
        return True

    async def _m_getwebhookinfo(self, _: Json) -> Json:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    async def _m_close(self, _: Json) -> bool:
        return True

    async def _m_logout(self, _: Json) -> bool:
        return True


def _user(user_id: int, language_code: str | None, *, bot: bool = False, username: str | None = None) -> Json:
    user: Json = {"id": user_id, "is_bot": bot, "first_name": "Bot" if bot else f"User{user_id}"}
    if language_code:
        user["language_code"] = language_code
    if username:
        user["username"] = username
    return user


def _error(status: int, description: str, parameters: Json | None = None) -> web.Response:
    body: Json = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
