"""The platform-neutral command interface that chat adapters call.

An adapter turns a platform event (a Telegram message, a Discord interaction) into an ``Invocation``,
awaits ``CommandCore.handle(invocation)`` and renders the ``Reply``. It never decides anything itself:
permission checks, argument parsing and texts live in the core.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.deliver.model import Reply

# Commands that change a chat's settings; the core refuses them to non-admins in groups, channels, guilds.
ADMIN_COMMANDS = frozenset({"subscribe", "unsubscribe", "lang", "settings", "watch", "mute", "unwatch", "unmute"})
# Of those, the ones that only list when given no argument (``/watch`` shows the chat's terms): anyone may.
LISTING_COMMANDS = frozenset({"watch", "mute"})


class ChatOptions(Protocol):
    """A platform's own settings that ``/subscribe`` stores on the chat's subscription (Discord: the server, the
    role to mention). The platform's adapter defines and parses them; the core only stores them."""

    def merged_into(self, stored: str) -> str:
        """``Subscription.options`` (JSON) with these settings written over the stored ones."""
        ...


@dataclass(frozen=True)
class Invocation:
    platform: str  # "telegram" | "discord"
    chat_id: str  # where the command was sent (Telegram chat id, Discord channel id)
    chat_type: str  # "private" | "group" | "supergroup" | "channel" | "guild"
    user_id: str
    command: str  # without the slash and bot name: "latest"
    args: tuple[str, ...] = ()
    # The chat the command is about: the same as chat_id, or a channel managed from a private chat
    # (`/subscribe @channel hbm`) — adapters resolve that and check the user administers it.
    target_chat_id: str | None = None
    user_language: str | None = None  # the client's language code, a hint for new chats
    is_admin: Callable[[], Awaitable[bool]] | None = None  # lazily asks the platform (cached by the adapter)
    callback_data: str | None = None  # from an inline button, to be verified by the core
    extra: dict[str, object] = field(default_factory=dict)
    options: ChatOptions | None = None  # set by ``/subscribe`` on the chat's subscription
    # The commands the platform registers (Discord's slash commands), so /help lists only those; None: the
    # adapter forwards every command to the core (Telegram), and /help lists all it documents.
    commands: frozenset[str] | None = None


class CommandCore(Protocol):
    async def handle(self, invocation: Invocation) -> Reply: ...


def callback_target(data: str | None) -> str | None:
    """The chat a button acts on when it is not the chat it sits in (``subscribe:hbm:@-1001234567890|mac``),
    else None. Read before verification so an adapter can route the press and check the presser's rights there;
    the core then verifies the signature, which covers the target too."""
    payload = (data or "").rpartition("|")[0]
    last = payload.rpartition(":")[2]
    return last[1:] or None if last.startswith("@") else None
