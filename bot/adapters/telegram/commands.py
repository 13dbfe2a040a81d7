"""Reading a command message: ``/latest@RaqibBot "export controls" 10`` → command, addressee, arguments.

Pure functions. Arguments are split on whitespace; a quoted phrase ("…", “…”, «…», '…') stays one
argument so multi-word topics and Arabic phrases survive. Input is capped *before* anything else looks at
it: a command is at most ``MAX_ARG_BYTES`` of arguments and ``MAX_ARGS`` arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ARG_BYTES = 1024
MAX_ARGS = 20

_COMMAND_RE = re.compile(r"/(?P<command>[A-Za-z0-9_]{1,32})(?:@(?P<bot>[A-Za-z0-9_]{1,64}))?(?=\s|$)")
_QUOTES = {'"': '"', "“": "”", "«": "»", "'": "'", "„": "“", "‹": "›"}
# A chat named in the arguments: @channelusername or a numeric id such as -1001234567890.
TARGET_RE = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-100\d{5,16}")


@dataclass(frozen=True)
class CommandText:
    command: str  # lower case, without slash and bot name
    bot: str | None  # the "@BotName" part, when given
    raw_args: str  # everything after the command word


def parse_command(text: str | None) -> CommandText | None:
    """The command at the start of ``text``, or None when it does not start with one."""
    if not text:
        return None
    m = _COMMAND_RE.match(text)
    if not m:
        return None
    return CommandText(m.group("command").lower(), m.group("bot"), text[m.end() :].strip())


def split_args(raw: str) -> tuple[str, ...]:
    """Whitespace-separated arguments; a quoted phrase is one argument (an unclosed quote is literal)."""
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        if raw[i].isspace():
            i += 1
            continue
        closing = _QUOTES.get(raw[i])
        if closing:
            end = raw.find(closing, i + 1)
            if end != -1 and (end + 1 == n or raw[end + 1].isspace()):
                phrase = " ".join(raw[i + 1 : end].split())
                if phrase:
                    out.append(phrase)
                i = end + 1
                continue
        j = i
        while j < n and not raw[j].isspace():
            j += 1
        out.append(raw[i:j])
        i = j
    return tuple(out)


def cap_problem(raw: str) -> str | None:
    """``"args_too_long"`` or ``"too_many_args"`` (label keys) when the input is over the caps, else None."""
    if len(raw.encode("utf-8")) > MAX_ARG_BYTES:
        return "args_too_long"
    if len(raw.split()) > MAX_ARGS and len(split_args(raw)) > MAX_ARGS:
        return "too_many_args"
    return None
