"""Splitting a digest's plain text over several messages, in order, within a platform's limit (for the tests: the
product's digest knows no platform's limit; each adapter packs a reply's blocks itself with ``bot.adapters.pack``
— this module was ``bot/digest/split.py``).

Blocks (headline, one topic, trends, entities) are packed whole by the adapters' ``pack``; a block longer than a
message is cut here between lines, and only a single line longer than a whole message is cut inside (at a space
when there is one). Telegram counts UTF-16 code units, Discord counts characters; ``measure`` says which.
"""

from __future__ import annotations

from bot.adapters.pack import Measure, pack
from bot.text.length import utf16_len

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


def _cut_block(block: str, limit: int, measure: Measure) -> list[str]:
    """A block longer than a message, cut between its lines (and inside a line only when it alone is too long),
    the lines packed greedily into pieces of at most ``limit``."""
    pieces: list[str] = []
    current = ""
    for line in block.split("\n"):
        for part in _cut_line(line, limit, measure) if measure(line) > limit else [line]:
            candidate = f"{current}\n{part}" if current else part
            if measure(candidate) <= limit:
                current = candidate
                continue
            if current:
                pieces.append(current)
            current = part
    if current:
        pieces.append(current)
    return pieces


def split_blocks(blocks: list[str], limit: int, measure: Measure = len) -> list[str]:
    """Pack ``blocks`` (joined by a blank line) into messages of at most ``limit``, in order: the adapters' own
    packing (``bot.adapters.pack``), with plain-text cuts for a block longer than a message."""
    if limit < 16:
        raise ValueError("limit too small")
    return pack(([b] if measure(b) <= limit else _cut_block(b, limit, measure) for b in blocks), limit, measure)


def split_text(text: str, limit: int, measure: Measure = len) -> list[str]:
    """Split a plain text at blank lines, then lines (see ``split_blocks``)."""
    return split_blocks([b for b in text.split("\n\n") if b.strip()], limit, measure)


__all__ = ["LIMITS", "split_blocks", "split_text"]
