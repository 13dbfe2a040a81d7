"""Configuration: feeds.yaml (validated with pydantic) and secrets from the environment.

A bad feeds.yaml never produces a traceback: ``load_config`` raises ``ConfigError`` whose message names
the file, the feed (by id when it has one) and the field.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CONFIG = "feeds.yaml"
_DURATION = re.compile(r"^\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?\s*$")


class ConfigError(Exception):
    """A configuration problem, with a message meant for the person who wrote the file."""


def parse_duration(value: Any) -> float:
    """Seconds from ``600``, ``"600"``, ``"10m"``, ``"1h30m"`` or ``"2d"``."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 10m, 1h or 600 (seconds)")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and value.strip().isdigit():
        seconds = float(value.strip())
    elif isinstance(value, str) and (m := _DURATION.match(value)) and any(m.groups()):
        d, h, mi, s = (int(g or 0) for g in m.groups())
        seconds = float(((d * 24 + h) * 60 + mi) * 60 + s)
    else:
        raise ValueError(f"{value!r} is not a duration (use e.g. 45s, 10m, 1h30m, 2d or seconds)")
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedConfig(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    url: str
    language: Literal["ar", "en"]
    interval: Duration | None = None
    tags: tuple[str, ...] = ()
    title: str | None = None
    authority: bool = False
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip()
        if not re.match(r"^(https?|file)://", v, re.IGNORECASE):
            raise ValueError("must start with http://, https:// or file://")
        return v


class Settings(_Strict):
    default_interval: Duration = 600.0
    interval_jitter: Duration = 30.0
    connect_timeout: Duration = 10.0
    read_timeout: Duration = 20.0
    total_timeout: Duration = 60.0  # one whole fetch: every redirect hop and the last byte
    max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=5, ge=0, le=20)
    max_connections: int = Field(default=50, gt=0)
    per_host: int = Field(default=4, gt=0)
    retries: int = Field(default=2, ge=0, le=10)
    max_backoff: Duration = 6 * 3600.0
    max_item_age: Duration = 48 * 3600.0
    disable_after_failures: int = Field(default=50, gt=0)
    data_dir: str = "data"
    allow_file_urls: bool = False
    allow_private_addresses: bool = False
    second_look: bool = True
    # Article pages read for thin items (the second look). Pages of one feed's poll, slots shared fairly by
    # all feeds (one feed holds at most article_slots_per_feed), one attempt within article_timeout, a body
    # cap far below max_bytes, and an extraction given up after article_extract_timeout.
    article_pages_per_poll: int = Field(default=4, ge=0, le=100)
    article_slots: int = Field(default=4, gt=0, le=64)
    article_slots_per_feed: int = Field(default=2, gt=0, le=64)
    article_timeout: Duration = 8.0
    article_max_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    article_extract_timeout: Duration = 10.0
    # Alert caps: a feed's poll alerts at most alerts_per_feed_poll stories to a chat, and a chat gets at most
    # alerts_per_chat_hour alerts an hour; the rest are folded into one summary message per chat (at most one
    # an hour). A poll bringing at least flood_min_new new items and flood_factor times the feed's usual
    # number is reported to the operators (admin_chats) and the log.
    alerts_per_feed_poll: int = Field(default=5, gt=0)
    alerts_per_chat_hour: int = Field(default=30, gt=0)
    flood_min_new: int = Field(default=50, gt=0)
    flood_factor: float = Field(default=5.0, ge=1.0)
    retention_days: int = Field(default=180, ge=1)  # older items keep only their identity (a tombstone)
    health_port: int = Field(default=0, ge=0, le=65535)  # 0: no /healthz and /metrics endpoint
    # Where that endpoint listens: this host only, unless a container must publish it (the image sets 0.0.0.0).
    health_host: str = "127.0.0.1"
    admin_chats: tuple[str, ...] = ()  # "telegram:123456" — told when a feed is disabled
    # Leases (scale-out): how long a worker holds a feed poll, a batch of deliveries, or a bot's chat listener
    # before another worker may take over. A dead worker's share is picked up after this long.
    feed_lease: Duration = 300.0
    delivery_lease: Duration = 60.0
    chat_lease: Duration = 90.0

    @field_validator("admin_chats")
    @classmethod
    def _admin_chats(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for ref in v:
            platform, _, target = ref.partition(":")
            if platform not in ("telegram", "discord", "console") or not target:
                raise ValueError(f"{ref!r}: use platform:chat_id, e.g. telegram:123456789")
        return v


class SubscriptionConfig(_Strict):
    """A subscription kept in the feeds file (e.g. a Discord webhook with no bot); the file owns its topics."""

    platform: Literal["discord-webhook", "telegram", "discord", "console"]
    target: str | None = None  # chat or channel id (not for webhooks)
    url: str | None = None  # discord-webhook: the URL — better kept out of the file with url_env
    url_env: str | None = None  # discord-webhook: the environment variable holding the URL
    topics: tuple[str, ...] = ()  # ids or names; none = every topic
    language: Literal["ar", "en"] = "en"
    name: str | None = None  # webhook: the poster's name
    avatar: str | None = None  # webhook: avatar image URL

    @model_validator(mode="after")
    def _where(self) -> SubscriptionConfig:
        if self.platform == "discord-webhook":
            if not (self.url or self.url_env):
                raise ValueError("a discord-webhook subscription needs url or url_env")
        elif not self.target:
            raise ValueError(f"a {self.platform} subscription needs target (the chat or channel id)")
        return self

    def webhook_url(self) -> str | None:
        return self.url or (os.environ.get(self.url_env) if self.url_env else None)


class FeedsFile(_Strict):
    settings: Settings = Settings()
    feeds: tuple[FeedConfig, ...] = ()
    subscriptions: tuple[SubscriptionConfig, ...] = ()
    lexicon: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> FeedsFile:
        seen: set[str] = set()
        for feed in self.feeds:
            if feed.id in seen:
                raise ValueError(f"duplicate feed id {feed.id!r}")
            seen.add(feed.id)
        return self

    def interval(self, feed: FeedConfig) -> float:
        return feed.interval or self.settings.default_interval


class Env(BaseSettings):
    """Secrets and deployment settings from the environment (and a ``.env`` file)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    discord_bot_token: SecretStr | None = None
    database_url: SecretStr | None = None
    raqib_config: str | None = None
    raqib_allow_private_addresses: bool = False
    discord_admin_role_id: int | None = None  # members with this role may change settings (besides Manage Channels)
    discord_test_guild_id: int | None = None  # slash commands also synced here at once (for trying them out)
    raqib_health_port: int = 0  # overrides settings.health_port when set (the Docker image sets 9108)
    raqib_health_host: str | None = None  # overrides settings.health_host (the Docker image sets 0.0.0.0)


def _describe(exc: ValidationError, raw: dict[str, Any]) -> str:
    lines = []
    feeds = raw.get("feeds") if isinstance(raw.get("feeds"), list) else []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        if len(loc) >= 2 and loc[0] == "feeds" and isinstance(loc[1], int):
            entry = feeds[loc[1]] if loc[1] < len(feeds) else None
            name = entry.get("id") if isinstance(entry, dict) else None
            field = ".".join(str(p) for p in loc[2:]) or "(entry)"
            where = f"feed #{loc[1] + 1}" + (f" (id {name!r})" if name else "") + f", field {field!r}"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (a typo?)"
        elif err["type"] == "missing":
            msg = "required but missing"
        lines.append(f"  - {where}: {msg}")
    return "\n".join(lines)


def parse_config(text: str, source: str = DEFAULT_CONFIG) -> FeedsFile:
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping with a 'feeds:' list at the top level")
    try:
        config = FeedsFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source}: invalid configuration:\n{_describe(exc, raw)}") from None
    for n, sub in enumerate(config.subscriptions, 1):
        from bot.match import suggest_topic, topic_lookup

        for topic in sub.topics:
            if topic_lookup(topic) is None:
                hint = suggest_topic(topic)
                raise ConfigError(
                    f"{source}: subscription #{n}: unknown topic {topic!r}"
                    + (f" (did you mean {hint}?)" if hint else "")
                )
    if config.lexicon:
        # The user's lexicon extension is checked now, with the file's name, not at the first feed.
        from bot.match import LexiconError, load_lexicon

        try:
            load_lexicon(config.lexicon)
        except LexiconError as exc:
            raise ConfigError(f"{source}: lexicon: {exc}") from None
    return config


def config_path(explicit: str | None = None, env: Env | None = None) -> Path:
    env = env or Env()
    return Path(explicit or env.raqib_config or os.environ.get("RAQIB_CONFIG") or DEFAULT_CONFIG)


def load_config(path: str | Path) -> FeedsFile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (pass --config PATH or set RAQIB_CONFIG)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, str(path))
