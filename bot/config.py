"""Configuration: feeds.yaml (validated with pydantic) and secrets from the environment.

A bad feeds.yaml never produces a traceback: ``load_config`` raises ``ConfigError`` whose message names
the file, the feed (by id when it has one) and the field.

The environment is read once, by ``Env`` (pydantic-settings: the process environment, then ``.env``), and the
result is passed down: ``env.telegram`` to the Telegram adapter, ``env.variables`` to the subscriptions that
name a variable (``url_env``). Nothing else in ``bot`` reads or writes ``os.environ`` but the lexicon cache's
folder (``bot.match.cache``: ``raqib match`` reads no settings) and the CLI's hand-off of it to the parse
workers it spawns; ``tests/config/test_env.py`` keeps it so.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings.sources import ENV_FILE_SENTINEL

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
    """One entry of the ``feeds:`` list."""

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$", description="Required. The feed's name: a-z 0-9 - _ . (64 at most)."
    )
    url: str = Field(description="Required. `http://`, `https://` (or `file://` with `allow_file_urls`).")
    language: Literal["ar", "en"] = Field(
        description="Required. `ar` or `en` (an entry clearly in the other script is labelled by its script)."
    )
    interval: Duration | None = Field(None, description="How often this feed is polled; unset: `default_interval`.")
    tags: tuple[str, ...] = Field((), description="Free labels, e.g. `[economy]`.")
    title: str | None = Field(None, description="Name shown for the feed (OPML export, listings); unset: the id.")
    authority: bool = Field(False, description="`true` for primary sources (rules, official notices).")
    enabled: bool = Field(True, description="`false`: kept in the file but not polled.")
    attested: str | None = Field(
        None,
        description="Where a public reference shows the URL is a real feed: the reference's address, then what it "
        "shows. Documentation only; polling ignores it.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip()
        if not re.match(r"^(https?|file)://", v, re.IGNORECASE):
            raise ValueError("must start with http://, https:// or file://")
        return v

    @field_validator("attested")
    @classmethod
    def _attested(cls, v: str | None) -> str | None:
        # The reference's address comes first so a reader (or a test) can follow it without parsing prose.
        if v is not None and not re.match(r"^https?://\S+", v.strip()):
            raise ValueError("must start with the http:// or https:// address of the reference")
        return v.strip() if v is not None else None


class Settings(_Strict):
    """The ``settings:`` section of the feeds file. Every field's description is the README's reference."""

    default_interval: Duration = Field(600.0, description="How often a feed is polled unless it sets `interval`.")
    max_feed_interval: Duration = Field(
        2 * 3600.0,
        description=(
            "Longest interval a feed's own pace (Cache-Control, Expires, `<ttl>`, `sy:updatePeriod`) may set; "
            "never below the feed's `interval`."
        ),
    )
    interval_jitter: Duration = Field(
        30.0, description="Random spread added to each poll time, so feeds of one host do not poll together."
    )
    connect_timeout: Duration = Field(10.0, description="Time allowed to connect to a feed's server.")
    read_timeout: Duration = Field(20.0, description="Time allowed between two pieces of a feed's answer.")
    total_timeout: Duration = Field(
        60.0, description="Time allowed for one whole fetch: every redirect and the last byte."
    )
    max_bytes: int = Field(10 * 1024 * 1024, gt=0, description="Largest feed body read, after decompression (bytes).")
    max_redirects: int = Field(
        5, ge=0, le=20, description="Redirects followed for one fetch (a permanent one updates the stored URL)."
    )
    max_connections: int = Field(50, gt=0, description="Fetches at the same time, all hosts together.")
    per_host: int = Field(4, gt=0, description="Fetches at the same time to one host.")
    parse_workers: int | None = Field(
        None,
        ge=1,
        le=64,
        description=(
            "Processes that parse and match feeds (from 20 feeds on). Unset: one per core but one, at least one "
            "(the service's own process stores and sends on that core); each holds the lexicon (~150 MB)."
        ),
    )
    retries: int = Field(
        2, ge=0, le=10, description="Retries of a fetch after a timeout, connection error, 5xx or 429 (with backoff)."
    )
    max_backoff: Duration = Field(
        6 * 3600.0,
        description="Longest wait before polling a failing feed again (failures back off exponentially up to this).",
    )
    max_item_age: Duration = Field(48 * 3600.0, description="Older items are stored but never alerted.")
    disable_after_failures: int = Field(
        50,
        gt=0,
        description="Consecutive failed polls after which a feed is disabled (`raqib feeds enable ID` brings it back).",
    )
    data_dir: str = Field("data", description="Folder of the SQLite database when `DATABASE_URL` is not set.")
    allow_file_urls: bool = Field(False, description="Accept `file://` feed URLs.")
    allow_private_addresses: bool = Field(
        False,
        description="Fetch from private, loopback and link-local addresses (also `RAQIB_ALLOW_PRIVATE_ADDRESSES=1`).",
    )
    second_look: bool = Field(
        True, description="Read the article page of a title-only item that shows some evidence, and match it again."
    )
    article_pages_per_poll: int = Field(
        4, ge=0, le=100, description="Article pages read per feed and poll (the items with most evidence first)."
    )
    article_slots: int = Field(4, gt=0, le=64, description="Article pages read at the same time, all feeds together.")
    article_slots_per_feed: int = Field(2, gt=0, le=64, description="Of those, the most one feed holds.")
    article_timeout: Duration = Field(
        8.0, description="Time allowed to fetch one article page (one attempt, never retried)."
    )
    article_max_bytes: int = Field(2 * 1024 * 1024, gt=0, description="Largest article page read (bytes).")
    article_extract_timeout: Duration = Field(10.0, description="Time allowed to extract an article page's text.")
    alerts_per_feed_poll: int = Field(
        5, gt=0, description="Stories one feed's poll alerts to a chat; the rest are folded into one summary message."
    )
    alerts_per_chat_hour: int = Field(
        30, gt=0, description="Alerts a chat gets in an hour; the rest are folded into one summary message."
    )
    flood_min_new: int = Field(
        50,
        gt=0,
        description="New items in one poll that, with `flood_factor`, make a flood (logged, told to `admin_chats`).",
    )
    flood_factor: float = Field(
        5.0, ge=1.0, description="A flood brings at least this many times the feed's mean number of new items per poll."
    )
    retention_days: int = Field(
        180, ge=1, description="Items older than this keep only their identity, so they are never alerted again."
    )
    health_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="Port of the `/healthz` and `/metrics` endpoint; 0: none (also `RAQIB_HEALTH_PORT`).",
    )
    health_host: str = Field(
        "127.0.0.1",
        description="Address that endpoint listens on (the Docker image sets 0.0.0.0; also `RAQIB_HEALTH_HOST`).",
    )
    admin_chats: tuple[str, ...] = Field(
        (), description='Operators\' chats, told when a feed is disabled or floods: `["telegram:123456"]`.'
    )
    feed_lease: Duration = Field(
        300.0, description="How long a worker holds a feed's poll before another worker may take it over (scale-out)."
    )
    delivery_lease: Duration = Field(
        60.0, description="How long a worker holds a batch of deliveries before another may take it over."
    )
    chat_lease: Duration = Field(
        90.0, description="How long a worker holds a bot's chat listener before another may take it over."
    )

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


class TelegramEnv(_Strict):
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


def _model_at(loc: Sequence[str | int]) -> type[BaseModel]:
    """The model whose keys live at ``loc`` (the location of a mapping in the file)."""
    if not loc:
        return FeedsFile
    section = loc[0]
    if section == "settings":
        return Settings
    if section == "feeds":
        return FeedConfig
    if section == "subscriptions":
        return SubscriptionConfig
    return FeedsFile


def _suggest(key: str, model: type[BaseModel]) -> str | None:
    close = difflib.get_close_matches(key.lower(), list(model.model_fields), n=1, cutoff=0.6)
    return close[0] if close else None


def _given(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(err: ErrorDetails) -> str:
    """A pydantic error in the product's words."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "missing":
        return "required but missing"
    if kind in ("literal_error", "enum"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"{_given(value)} is not one of: {', '.join(choices)}"
    if kind == "value_error":
        return str(ctx.get("error") or err["msg"].removeprefix("Value error, "))
    if kind == "assertion_error":
        return str(ctx.get("error") or err["msg"].removeprefix("Assertion failed, "))
    if kind == "string_pattern_mismatch":
        return f"{_given(value)}: use lower-case letters, digits, '-', '_' and '.' (at most 64 characters)"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{_given(value)} is not a whole number"
    if kind in ("float_parsing", "float_type"):
        return f"{_given(value)} is not a number"
    if kind in ("bool_parsing", "bool_type"):
        return f"{_given(value)}: use true or false"
    if kind in ("string_type",):
        return f"{_given(value)}: expected text"
    if kind in ("tuple_type", "list_type", "set_type"):
        return f"{_given(value)}: expected a list, e.g. [a, b]"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{_given(value)}: expected a mapping (key: value)"
    bounds = {
        "greater_than": "must be more than {gt}",
        "greater_than_equal": "must be at least {ge}",
        "less_than": "must be less than {lt}",
        "less_than_equal": "must be at most {le}",
    }
    if kind in bounds:
        return f"{_given(value)}: " + bounds[kind].format(**ctx)
    msg = err["msg"]
    return msg.replace("Input should be", "must be").replace("Value error, ", "")


def _line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """1-based line of the value at ``loc`` in the composed YAML (of its key, for a key that is there)."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _describe(exc: ValidationError, raw: dict[str, Any], source: str, tree: yaml.Node | None) -> list[str]:
    """One line per problem: ``file:line: where: what``; a typo'd key suggests the field it resembles, and the
    field it stands for is not reported missing a second time."""
    errors = exc.errors()
    # Strip the union member ("float", "none"...) pydantic adds for `X | None` fields.
    for err in errors:
        loc = list(err["loc"])
        while (
            err["type"] != "extra_forbidden"
            and loc
            and isinstance(loc[-1], str)
            and (loc[-1] in ("float", "int", "str", "bool", "none") or "[" in loc[-1])
        ):
            loc.pop()
        err["loc"] = tuple(loc)
    suggested: set[tuple[str | int, ...]] = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            parent = err["loc"][:-1]
            hint = _suggest(str(err["loc"][-1]), _model_at(parent))
            if hint:
                suggested.add((*parent, hint))
    lines: list[tuple[int, str]] = []
    seen: set[str] = set()
    feeds: list[Any] = raw["feeds"] if isinstance(raw.get("feeds"), list) else []
    subscriptions: list[Any] = raw["subscriptions"] if isinstance(raw.get("subscriptions"), list) else []
    for err in errors:
        loc = list(err["loc"])
        if err["type"] == "missing" and tuple(loc) in suggested:
            continue  # the typo'd key already says "did you mean"
        field_loc = loc
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            hint = _suggest(key, _model_at(loc[:-1]))
            what = f"unknown key `{key}`" + (f" — did you mean `{hint}`?" if hint else "")
            field_loc = loc[:-1]
        else:
            what = _plain(err)
        duplicate = re.fullmatch(r"duplicate feed id '(.+)'", what)
        if duplicate and not field_loc:
            same = [n for n, f in enumerate(feeds) if isinstance(f, dict) and f.get("id") == duplicate.group(1)]
            if len(same) >= 2:
                field_loc = loc = ["feeds", same[1]]
                what = f"the id is already used by feed #{same[0] + 1}"
        where = ""
        if len(field_loc) >= 2 and field_loc[0] in ("feeds", "subscriptions") and isinstance(field_loc[1], int):
            entries = feeds if field_loc[0] == "feeds" else subscriptions
            entry = entries[field_loc[1]] if field_loc[1] < len(entries) else None
            ident = entry.get("id") if isinstance(entry, dict) and field_loc[0] == "feeds" else None
            noun = "feed" if field_loc[0] == "feeds" else "subscription"
            where = f"{noun} #{field_loc[1] + 1}" + (f" (id '{ident}')" if ident else "")
            rest = field_loc[2:]
        else:
            rest = field_loc
        if rest and err["type"] != "extra_forbidden":
            where += (", " if where else "") + "`" + ".".join(str(p) for p in rest) + "`"
        elif rest:
            where += (", " if where else "") + "in `" + ".".join(str(p) for p in rest) + "`"
        line = _line_of(tree, loc)
        text = f"{source}:{line}: " if line else f"{source}: "
        text += f"{where}: {what}" if where else what
        if text not in seen:
            seen.add(text)
            lines.append((line or 0, text))
    return [text for _, text in sorted(lines, key=lambda pair: pair[0])]  # in the file's order


_YAML_WORDS = (  # PyYAML's token names, in words
    ("'<stream end>'", "the end of the file"),
    ("<block end>", "the end of the indented block"),
    ("'<block mapping start>'", "a new indented block"),
    ("'<block sequence start>'", "a new list"),
    ("'<block entry>'", "a list item ('- ')"),
    ("'?'", "a key"),
    ("the node content", "a value"),
    ("found character '\\t' that cannot start any token", "found a tab (indent with spaces)"),
    ("unexpected end of stream", "the end of the file"),
)
_YAML_HINTS = (
    ("mapping values are not allowed here", " (quote a value that contains ': ')"),
    ("block", " (check the indentation)"),
    ("flow", " (a '[' or '{' is not closed)"),
    ("quoted scalar", " (a quote is not closed)"),
)


def _yaml_problem(exc: yaml.YAMLError, source: str) -> str:
    """A YAML syntax error as one line: ``file:line:column: not valid YAML: what (hint)``."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
    problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
    context = str(getattr(exc, "context", None) or "")
    for token, words in _YAML_WORDS:
        problem = problem.replace(token, words)
    hint = next((h for key, h in _YAML_HINTS if key in problem or key in context), "")
    return f"{where}: not valid YAML: {problem}{hint}"


def _load_yaml(text: str) -> Any:
    """libyaml's loader when PyYAML has it: the pure-Python one takes ~0.6 s for a file of 500 feeds, a cost
    every ``raqib poll --once`` paid. Errors are worded by the pure-Python loader (``_YAML_WORDS`` knows its
    token names), so a file that does not parse is read again by it."""
    if yaml.__with_libyaml__:
        try:
            return yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def parse_config(text: str, source: str = DEFAULT_CONFIG) -> FeedsFile:
    try:
        raw = _load_yaml(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(exc, source)) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping with a 'feeds:' list at the top level")
    try:
        config = FeedsFile.model_validate(raw)
    except ValidationError as exc:
        # the node tree (for line numbers) only when there is something to point at
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        raise ConfigError("\n".join(_describe(exc, raw, source, tree))) from None
    for n, sub in enumerate(config.subscriptions, 1):
        from bot.match import suggest_topic, topic_lookup

        for topic in sub.topics:
            if topic_lookup(topic) is None:
                hint = suggest_topic(topic)
                raise ConfigError(
                    f"{source}: subscription #{n}: unknown topic '{topic}'"
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


def describe_env_error(exc: ValidationError) -> list[str]:
    """A malformed environment variable, one line each, named as the user wrote it."""
    return [f"{'_'.join(str(p) for p in err['loc']).upper()}: {_plain(err)}" for err in exc.errors()]


def config_path(explicit: str | None, env: Env) -> Path:
    return Path(explicit or env.raqib_config or DEFAULT_CONFIG)


def load_config(path: str | Path) -> FeedsFile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (pass --config PATH or set RAQIB_CONFIG)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, str(path))


# -- the settings reference (README) ----------------------------------------------------------------------

REFERENCE_START = "<!-- settings reference: generated by `raqib config reference`; do not edit by hand -->"
REFERENCE_END = "<!-- end of settings reference -->"


def format_duration(seconds: float) -> str:
    """``600`` → ``10m``, ``5400`` → ``1h30m``: the way the feeds file writes durations."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    rest, out = int(seconds), ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            out += f"{rest // size}{unit}"
            rest %= size
    return out or "0s"


def _is_duration(info: Any) -> bool:
    return any(getattr(m, "func", None) is parse_duration for m in info.metadata)


def _default_text(info: Any) -> str:
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if _is_duration(info):
        return format_duration(float(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value >= 1024 * 1024 and value % (1024 * 1024) == 0:
        return f"{value // (1024 * 1024)} MiB"
    if isinstance(value, tuple):
        return "[]" if not value else "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def settings_reference() -> str:
    """The README's settings tables, from the models: every field with its default and description."""
    rows = ["**Feeds file, `settings:` section** (durations: `45s`, `10m`, `1h30m`, `2d` or seconds)", ""]
    rows += ["| Setting | Default | What it does |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        rows.append(f"| `{name}` | {_default_text(info)} | {info.description or ''} |")
    for title, model in (
        ("**Feeds file, each entry of `feeds:`**", FeedConfig),
        ("**Feeds file, each entry of `subscriptions:`**", SubscriptionConfig),
    ):
        rows += ["", title, "", "| Key | Default | What it does |", "|---|---|---|"]
        for name, info in model.model_fields.items():
            default = "—" if info.is_required() else _default_text(info)
            rows.append(f"| `{name}` | {default} | {info.description or ''} |")
    rows += ["", "**Environment** (or a `.env` file; an empty variable counts as unset)", ""]
    rows += ["| Variable | Default | What it does |", "|---|---|---|"]
    for name, info in Env.model_fields.items():
        rows.append(f"| `{name.upper()}` | {_default_text(info)} | {info.description or ''} |")
    return "\n".join(rows) + "\n"


def replace_reference(readme: str, reference: str | None = None) -> str:
    """``readme`` with the text between the reference markers replaced by the current reference."""
    head, found, rest = readme.partition(REFERENCE_START)
    _, found_end, tail = rest.partition(REFERENCE_END)
    if not (found and found_end):
        raise ConfigError(f"README: the markers {REFERENCE_START!r} and {REFERENCE_END!r} are missing")
    return f"{head}{REFERENCE_START}\n{reference or settings_reference()}{REFERENCE_END}{tail}"
