"""Reading the feeds file: YAML (libyaml when present), then the models, the topics subscriptions name and the
lexicon extension; every problem is a ``ConfigError`` (``errors.py``), never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.config.env import Env
from bot.config.errors import ConfigError, describe_file_error
from bot.config.feeds import FeedsFile

DEFAULT_CONFIG = "feeds.yaml"

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
        raise ConfigError("\n".join(describe_file_error(exc, raw, source, tree))) from None
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
