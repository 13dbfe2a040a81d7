"""The ``subscriptions:`` entries of the feeds file: chats the file owns (e.g. a Discord webhook with no bot)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, model_validator

from bot.config.fields import StrictModel


class SubscriptionConfig(StrictModel):
    """A subscription kept in the feeds file (e.g. a Discord webhook with no bot); the file owns its topics."""

    platform: Literal["discord-webhook", "telegram", "discord", "console"] = Field(
        description="Required. `discord-webhook`, `telegram`, `discord` or `console`."
    )
    target: str | None = Field(None, description="The chat or channel id (every platform but discord-webhook).")
    url: str | None = Field(None, description="discord-webhook: the webhook URL (a secret: prefer `url_env`).")
    url_env: str | None = Field(
        None, description="discord-webhook: the variable (in the environment or `.env`) that holds the URL."
    )
    topics: tuple[str, ...] = Field((), description="Topic ids or names; none: every topic.")
    language: Literal["ar", "en"] = Field("en", description="Language of the messages: `ar` or `en`.")
    name: str | None = Field(None, description="discord-webhook: the name shown as the poster.")
    avatar: str | None = Field(None, description="discord-webhook: the poster's avatar image URL.")

    @model_validator(mode="after")
    def _where(self) -> SubscriptionConfig:
        if self.platform == "discord-webhook":
            if not (self.url or self.url_env):
                raise ValueError("a discord-webhook subscription needs url or url_env")
        elif not self.target:
            raise ValueError(f"a {self.platform} subscription needs target (the chat or channel id)")
        return self

    def webhook_url(self, variables: Mapping[str, str]) -> str | None:
        """The URL, or the value of the variable ``url_env`` names in ``variables`` (``Env.variables``)."""
        return self.url or (variables.get(self.url_env) if self.url_env else None)
