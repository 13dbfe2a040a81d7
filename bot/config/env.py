"""The environment, read once by ``Env`` (pydantic-settings: the process environment, then ``.env``).

The result is passed down: ``env.telegram`` to the Telegram adapter, ``env.variables`` to the subscriptions that
name a variable (``url_env``). This is the one module of ``bot.config`` that reads ``os.environ``;
``tests/config/test_env.py`` keeps it so."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings.sources import ENV_FILE_SENTINEL

from bot.config.fields import StrictModel


class TelegramEnv(StrictModel):
    """The ``TELEGRAM_*`` variables, as ``Env`` read them: what the Telegram adapter's settings are made of
    (``TelegramSettings.from_env``, which fills in its defaults)."""

    token: SecretStr | None = None
    api_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str | None = None
    webhook_port: int | None = None
    webhook_path: str | None = None
    link_previews: bool = False


class Env(BaseSettings):
    """Secrets and deployment settings from the environment (and a ``.env`` file).

    An empty or blank variable means "not set", as it does for every setting: a copied ``.env.example`` with
    ``TELEGRAM_BOT_TOKEN=`` leaves Telegram off.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)
    _variables: dict[str, str] = PrivateAttr(default_factory=dict)

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        env_file = values.get("_env_file", ENV_FILE_SENTINEL)
        if env_file == ENV_FILE_SENTINEL:
            env_file = self.model_config.get("env_file")
        self._variables = _variables(env_file, values.get("_env_file_encoding"))

    @property
    def variables(self) -> Mapping[str, str]:
        """Every variable of the environment and of ``.env`` as read at load (not settings: no row in the
        README), for the subscriptions that name theirs (``url_env``)."""
        return MappingProxyType(self._variables)

    telegram_bot_token: SecretStr | None = Field(
        None, description="Telegram bot token from @BotFather; unset: no Telegram."
    )
    discord_bot_token: SecretStr | None = Field(
        None, description="Discord bot token; unset: no Discord bot (webhooks still work)."
    )
    database_url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL (`postgresql+psycopg://user:password@host:5432/db`); unset: SQLite in `data_dir`.",
    )
    raqib_config: str | None = Field(
        None, description="The feeds file, when `--config` is not given (default `feeds.yaml`)."
    )
    raqib_allow_private_addresses: bool = Field(False, description="Same as the setting `allow_private_addresses`.")
    discord_admin_role_id: int | None = Field(
        None, description="Members with this Discord role may change settings (besides Manage Channels)."
    )
    discord_test_guild_id: int | None = Field(
        None, description="Slash commands are also registered here at once (for trying them out)."
    )
    discord_api_url: str | None = Field(
        None,
        description="Discord REST API base (default https://discord.com/api/v10), e.g. a test server; webhooks "
        "are sent there too.",
    )
    discord_gateway_url: str | None = Field(
        None,
        description="Discord gateway, `ws://` or `wss://` (default: Discord's, or the one `DISCORD_API_URL` names "
        "at `/gateway/bot`).",
    )
    raqib_health_port: int = Field(
        0, description="Overrides the setting `health_port` when set (the Docker image sets 9108)."
    )
    raqib_health_host: str | None = Field(
        None, description="Overrides the setting `health_host` (the Docker image sets 0.0.0.0)."
    )

    # The Telegram adapter's (grouped as ``telegram``) and the lexicon cache's.
    telegram_api_url: str | None = Field(
        None, description="Bot API server (default https://api.telegram.org), e.g. your own or a test server."
    )
    telegram_webhook_url: str | None = Field(
        None, description="Public URL Telegram posts updates to (webhook mode behind a reverse proxy); unset: polling."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="Secret Telegram sends with each webhook update; generated when unset."
    )
    telegram_webhook_listen: str | None = Field(None, description="Address the webhook listens on (default 127.0.0.1).")
    telegram_webhook_port: int | None = Field(None, description="Port the webhook listens on (default 8443).")
    telegram_webhook_path: str | None = Field(None, description="Local path of the webhook (default: the URL's path).")
    telegram_link_previews: bool | None = Field(None, description="`true`: Telegram shows link previews under alerts.")
    raqib_cache_dir: str | None = Field(
        None, description="Folder of the compiled lexicon (default `$XDG_CACHE_HOME/raqib` or `~/.cache/raqib`)."
    )

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        # env_ignore_empty drops ``X=``; a value of spaces (``X= ``) means "not set" as well.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @field_validator("discord_api_url")
    @classmethod
    def _discord_api(cls, v: str | None) -> str | None:
        return _url_of_scheme(v, ("http", "https"))

    @field_validator("discord_gateway_url")
    @classmethod
    def _discord_gateway(cls, v: str | None) -> str | None:
        return _url_of_scheme(v, ("ws", "wss"))

    @field_validator(
        "telegram_bot_token", "discord_bot_token", "database_url", "telegram_webhook_secret", mode="before"
    )
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return v.strip() if isinstance(v, str) else v

    @property
    def telegram(self) -> TelegramEnv:
        """The ``TELEGRAM_*`` settings, for ``TelegramSettings.from_env``."""
        return TelegramEnv(
            token=self.telegram_bot_token,
            api_url=self.telegram_api_url,
            webhook_url=self.telegram_webhook_url,
            webhook_secret=self.telegram_webhook_secret,
            webhook_listen=self.telegram_webhook_listen,
            webhook_port=self.telegram_webhook_port,
            webhook_path=self.telegram_webhook_path,
            link_previews=bool(self.telegram_link_previews),
        )


def _variables(env_file: Any, encoding: str | None) -> dict[str, str]:
    """The process environment over the ``.env`` file(s) ``Env`` read (as pydantic-settings finds them in the
    working folder), names as written (case matters, as in the environment), blank values left out as for
    every setting."""
    merged: dict[str, str | None] = {}
    if env_file is not None:
        from dotenv import dotenv_values

        for name in [env_file] if isinstance(env_file, str | os.PathLike) else env_file:
            path = Path(name).expanduser()
            if path.is_file():
                merged.update(dotenv_values(path, encoding=encoding or "utf-8"))
    merged.update(os.environ)
    return {k: v for k, v in merged.items() if v is not None and v.strip()}


def _url_of_scheme(value: str | None, schemes: tuple[str, ...]) -> str | None:
    """``value`` when it is a URL of one of ``schemes`` with a host (a chat library must not be pointed at a file
    or another protocol); the error never repeats the URL, which may carry credentials."""
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise ValueError(f"must be a URL starting with {' or '.join(f'{s}://' for s in schemes)}, with a host")
    return value.strip()
