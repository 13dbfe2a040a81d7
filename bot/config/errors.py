"""``ConfigError`` and the words of its messages: a pydantic error becomes ``file:line: where: what``, in the
product's words, with "did you mean" for a typo'd key; a malformed environment variable is named as written."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.config.feeds import FeedConfig, FeedsFile, Settings
from bot.config.subscriptions import SubscriptionConfig


class ConfigError(Exception):
    """A configuration problem, with a message meant for the person who wrote the file."""


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


def describe_file_error(exc: ValidationError, raw: dict[str, Any], source: str, tree: yaml.Node | None) -> list[str]:
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


def describe_env_error(exc: ValidationError) -> list[str]:
    """A malformed environment variable, one line each, named as the user wrote it."""
    return [f"{'_'.join(str(p) for p in err['loc']).upper()}: {_plain(err)}" for err in exc.errors()]
