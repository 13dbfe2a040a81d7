"""An independent checker for the Telegram HTML subset we emit (written apart from the renderer so it can
disagree with it): only known tags, properly nested, every ``<``, ``>`` and ``&`` part of a tag or an
entity Telegram understands, hrefs only http(s)."""

from __future__ import annotations

import html
import re

ALLOWED = {"b", "i", "a", "u", "s", "code", "pre"}
_TOKEN = re.compile(
    r'<(/?)([a-z]+)((?:\s+href="[^"<>]*")?)>'  # a tag; only <a> may carry href
    r"|&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});"
    r"|[^<>&]+",
)


def check(text: str, limit: int | None = None) -> list[str]:
    """Problems found (empty when the text is valid)."""
    problems: list[str] = []
    if limit is not None and len(text.encode("utf-16-le")) // 2 > limit:
        problems.append(f"over the limit: {len(text.encode('utf-16-le')) // 2} > {limit}")
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            problems.append(f"stray markup at {pos}: {text[pos : pos + 20]!r}")
            pos += 1
            continue
        pos = m.end()
        if m.group(2):
            closing, name, attrs = m.group(1), m.group(2), m.group(3)
            if name not in ALLOWED:
                problems.append(f"unknown tag <{name}>")
            if closing:
                if not stack or stack[-1] != name:
                    problems.append(f"</{name}> closes {stack[-1] if stack else 'nothing'}")
                else:
                    stack.pop()
            else:
                if attrs and name != "a":
                    problems.append(f"<{name}> with attributes")
                if name == "a":
                    href = html.unescape(attrs.split('"')[1]) if attrs else ""
                    if not href.lower().startswith(("http://", "https://")):
                        problems.append(f"bad href {href!r}")
                stack.append(name)
    if stack:
        problems.append(f"unclosed tags {stack}")
    return problems


def visible(text: str) -> str:
    return html.unescape(re.sub(r"<[^<>]*>", "", text))
