"""Splitting a digest over several messages, in order, within a platform's limit (for the tests: the product's
digest knows no platform's limit; each adapter splits a reply's text itself — moved from ``bot/digest/split.py``).

Cuts fall between blocks (headline, one topic, trends, entities) when possible, then between lines, and
only a single line longer than a whole message is cut inside (at a space when there is one). Telegram
counts UTF-16 code units, Discord counts characters; ``measure`` says which.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.text.length import utf16_len

Measure = Callable[[str], int]

# (limit, measure) per place a digest text goes.
LIMITS: dict[str, tuple[int, Measure]] = {
    "telegram": (4096, utf16_len),
    "telegram_caption": (1024, utf16_len),
    "discord": (2000, len),  # message content
    "discord_embed": (4096, len),  # embed description
}


def _cut_line(line: str, limit: int, measure: Measure) -> list[str]:
    out: list[str] = []
    rest = line
    while measure(rest) > limit:
        # The longest prefix that fits (binary search on characters), backed up to a space when possible.
        lo, hi = 1, len(rest)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if measure(rest[:mid]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        cut = lo
        space = rest.rfind(" ", 0, cut)
        if space > cut // 2:
            cut = space
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        out.append(rest)
    return out


def split_blocks(blocks: list[str], limit: int, measure: Measure = len) -> list[str]:
    """Pack ``blocks`` (joined by a blank line) into messages of at most ``limit``, in order."""
    if limit < 16:
        raise ValueError("limit too small")
    messages: list[str] = []
    current = ""

    def add(piece: str, sep: str) -> None:
        nonlocal current
        candidate = f"{current}{sep}{piece}" if current else piece
        if measure(candidate) <= limit:
            current = candidate
            return
        if current:
            messages.append(current)
        current = piece

    for block in blocks:
        if measure(block) <= limit:
            add(block, "\n\n")
            continue
        first = True
        for line in block.split("\n"):
            for part in _cut_line(line, limit, measure) if measure(line) > limit else [line]:
                add(part, "\n\n" if first else "\n")
                first = False
    if current:
        messages.append(current)
    return messages


def split_text(text: str, limit: int, measure: Measure = len) -> list[str]:
    """Split a plain text at blank lines, then lines (see ``split_blocks``)."""
    return split_blocks([b for b in text.split("\n\n") if b.strip()], limit, measure)


__all__ = ["LIMITS", "split_blocks", "split_text"]
