"""Who administers a chat, asked with getChatMember and remembered briefly.

Admin rights change rarely and a group's command burst would otherwise ask Telegram once per command; a
minute's cache is a fair trade (a demoted admin keeps rights for at most that long). Failures are answered
"no" and not cached: refusing a real admin once is better than letting a stranger in.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

log = logging.getLogger(__name__)

_ADMIN = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


class AdminCache:
    def __init__(
        self,
        bot: Bot,
        *,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self._bot = bot
        self._ttl = ttl
        self._clock = clock
        self._max = max_entries
        self._entries: OrderedDict[tuple[int | str, int], tuple[bool, float]] = OrderedDict()

    async def is_admin(self, chat_id: int | str, user_id: int) -> bool:
        key = (chat_id, user_id)
        hit = self._entries.get(key)
        now = self._clock()
        if hit and hit[1] > now:
            return hit[0]
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.info("getChatMember failed for chat %s: %s; treating the user as not an admin", chat_id, exc)
            return False
        answer = member.status in _ADMIN
        self._entries[key] = (answer, now + self._ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return answer
