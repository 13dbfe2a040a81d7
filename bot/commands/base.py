"""What every group of commands shares: ``CommandBase`` and the helpers of reply texts.

``bot.commands.core.Core`` is one class made of the command groups (``subscribe``, ``settings``, ``watch``,
``queries``), each a ``CommandBase`` subclass holding some ``cmd_<name>`` handlers; ``Core._handle_once`` finds a
command's handler by that name. Every handler has the same signature:
``(session, invocation, target chat, its subscription or None, the chat's language, the cleaned arguments)``
and returns a ``Reply`` (``error=True`` rolls its changes back).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.commands.model import Invocation
from bot.deliver.model import Reply
from bot.text.messages import text
from bot.text.names import topic_name
from storage.tables import Subscription

MAX_TOPICS = 20
MAX_REPLY_CHARS = 3500  # one Telegram message (4,096), two Discord ones: a reply never floods a chat
DigestFn = Callable[[Session, Subscription, datetime], Reply | None]


def utcnow() -> datetime:
    return datetime.now(UTC)


class CommandBase:
    """The state and helpers the command handlers share: the engine, the callback secret, the clock, the digest
    builder; signed button data; the lexicon and topic names as a user types them."""

    def __init__(
        self,
        engine: Engine,
        *,
        secret: bytes,
        clock: Callable[[], datetime] = utcnow,
        digest: DigestFn | None = None,
    ) -> None:
        self.engine = engine
        self.secret = secret
        self.clock = clock
        self.digest = digest

    # -- callback data: short (Telegram allows 64 bytes), signed so a forged button does nothing ----------
    def sign(self, payload: str) -> str:
        mac = hmac.new(self.secret, payload.encode(), hashlib.sha256).digest()[:6]
        return f"{payload}|{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def verify(self, data: str) -> str | None:
        payload, _, mac = data.rpartition("|")
        return payload if payload and hmac.compare_digest(self.sign(payload), data) and mac else None

    def _sign_for(self, inv: Invocation, target: str, payload: str) -> str:
        """Signed button data; a button about another chat than the one it is shown in names that chat, so a
        press acts there (and the adapter checks the presser administers it), never on the chat it sits in."""
        return self.sign(payload if target == inv.chat_id else f"{payload}:@{target}")

    # -- topics --------------------------------------------------------------------------------------------
    @staticmethod
    def _lexicon() -> Any:
        from bot.match import load_lexicon

        return load_lexicon()

    def _resolve_topics(self, args: list[str], lang: str) -> tuple[list[str], Reply | None]:
        from bot.match import suggest_topic, topic_lookup

        if len(args) > MAX_TOPICS:
            return [], Reply(text=text(lang, "too_many_topics", max=MAX_TOPICS), error=True, language=lang)
        # Names have several words ("export controls", "ضوابط التصدير"): try the whole phrase first.
        phrase = " ".join(args)
        whole = topic_lookup(phrase)
        if whole:
            return [whole], None
        found = []
        for arg in args:
            tid = topic_lookup(arg)
            if tid is None:
                msg = text(lang, "unknown_topic", query=arg[:64])
                hint = suggest_topic(arg)
                msg += " " + (
                    text(lang, "did_you_mean", suggestion=hint, name=topic_name(hint, lang))
                    if hint
                    else text(lang, "see_topics")
                )
                return [], Reply(text=msg, error=True, language=lang)
            found.append(tid)
        return list(dict.fromkeys(found)), None

    def _defaults(self, inv: Invocation, target: str, lang: str) -> Subscription:
        """An unsaved row with the defaults, for showing settings and validating changes."""
        now = self.clock()
        return Subscription(
            platform=inv.platform, target=target, interface_language=lang, created_at=now, updated_at=now
        )


# -- reply texts ---------------------------------------------------------------------------------------------


def short(value: str, limit: int) -> str:
    """``value`` on one line, cut to ``limit`` characters with "…"."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def capped(lines: list[str], lang: str, budget: int = MAX_REPLY_CHARS) -> str:
    """Lines joined up to ``budget`` characters; the rest are counted: "…and N more"."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        more = text(lang, "and_more", count=len(lines) - i)
        room = budget if i == len(lines) - 1 else budget - len(more) - 1  # the last line needs no "…and N more"
        if used + len(line) + 1 > room:
            out.append(more)
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def ago(when: datetime | None, now: datetime, lang: str) -> str:
    """How long ago, in minutes below two hours, else in hours; "never" for None."""
    if when is None:
        return text(lang, "never")
    minutes = max(0, int((now - when).total_seconds() // 60))
    return text(lang, "ago_minutes", n=minutes) if minutes < 120 else text(lang, "ago_hours", n=minutes // 60)
