"""A Discord subscription's own settings, stored as JSON in ``Subscription.options`` and read only here.

``guild_id``          the server the channel is in (its subscriptions pause when the bot is removed from it)
``mention_role``      a role id to ping on alerts of ``mention_severity`` and above (``/subscribe role:``)
``username``, ``avatar_url``  a webhook's name and picture (``name:``/``avatar:`` in feeds.yaml, ``raqib subscribe``)

Unknown keys and values of the wrong shape are ignored, never fatal: a row written by a newer or an older
version still delivers.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.adapters.discord.webhook import TargetOptions
from bot.domain import Severity


class DiscordOptions(BaseModel):
    """What ``/subscribe`` (through ``merged_into``), feeds.yaml and ``raqib subscribe`` set; ``target`` is what
    the notifiers read when sending."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    guild_id: str | None = None
    mention_role: str | None = None
    mention_severity: Severity | None = None
    username: str | None = None
    avatar_url: str | None = None

    @field_validator("mention_severity", mode="before")
    @classmethod
    def _severity(cls, value: Any) -> Severity | None:
        return Severity.parse(str(value), Severity.CRITICAL) if value else None

    @classmethod
    def parse(cls, stored: str | None) -> DiscordOptions:
        """The options in a stored JSON object; the defaults for anything unreadable."""
        try:
            raw = json.loads(stored or "{}")
        except ValueError:
            return cls()
        if not isinstance(raw, dict):
            return cls()
        clean = {k: v for k, v in raw.items() if k in cls.model_fields and (v is None or isinstance(v, str))}
        try:
            return cls.model_validate(clean)
        except ValidationError:
            return cls()

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)

    def merged_into(self, stored: str) -> str:
        """The stored options with these (the ones not None) written over them (``ChatOptions``)."""
        before = self.parse(stored)
        return before.model_copy(update=self.model_dump(exclude_none=True)).dump()

    def target(self) -> TargetOptions:
        """The presentation the notifiers use: the webhook's look and the role to ping, from which severity."""
        role = self.mention_role or ""
        return TargetOptions(
            username=self.username or None,
            avatar_url=self.avatar_url or None,
            mention_role_id=int(role) if role.isdigit() else None,
            mention_severities=(self.mention_severity or Severity.CRITICAL).and_above(),
        )
