"""Configuration: feeds.yaml (validated with pydantic) and secrets from the environment.

A bad feeds.yaml never produces a traceback: ``load_config`` raises ``ConfigError`` whose message names
the file, the line, the feed (by id when it has one) and the field.

The environment is read once, by ``Env`` (pydantic-settings: the process environment, then ``.env``), and the
result is passed down: ``env.telegram`` to the Telegram adapter, ``env.variables`` to the subscriptions that
name a variable (``url_env``). Nothing else in ``bot`` reads or writes ``os.environ`` but the lexicon cache's
folder (``bot.match.cache``: ``raqib match`` reads no settings) and the CLI's hand-off of it to the parse
workers it spawns; ``tests/config/test_env.py`` keeps it so.

The modules, each importing only those above it:

- ``fields``: the strict base model, durations (``parse_duration``, ``Duration``, ``format_duration``)
- ``subscriptions``: ``SubscriptionConfig``, an entry of ``subscriptions:``
- ``feeds``: ``FeedsFile`` (the whole file), ``Settings`` (``settings:``), ``FeedConfig`` (an entry of ``feeds:``)
- ``env``: ``Env`` and its ``TelegramEnv`` (the one module here that reads the environment)
- ``errors``: ``ConfigError`` and the words of its messages (line numbers, "did you mean")
- ``load``: ``load_config``/``parse_config`` (YAML, then the models, topics and lexicon), ``config_path``
- ``reference``: the README's settings reference, generated from the models

Callers import from ``bot.config``, which names them all.
"""

from bot.config.env import Env, TelegramEnv
from bot.config.errors import ConfigError, describe_env_error
from bot.config.feeds import FeedConfig, FeedsFile, Settings
from bot.config.fields import Duration, format_duration, parse_duration
from bot.config.load import DEFAULT_CONFIG, config_path, load_config, parse_config
from bot.config.reference import REFERENCE_END, REFERENCE_START, replace_reference, settings_reference
from bot.config.subscriptions import SubscriptionConfig

__all__ = [
    "DEFAULT_CONFIG",
    "REFERENCE_END",
    "REFERENCE_START",
    "ConfigError",
    "Duration",
    "Env",
    "FeedConfig",
    "FeedsFile",
    "Settings",
    "SubscriptionConfig",
    "TelegramEnv",
    "config_path",
    "describe_env_error",
    "format_duration",
    "load_config",
    "parse_config",
    "parse_duration",
    "replace_reference",
    "settings_reference",
]
