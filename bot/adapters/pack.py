"""Packing a reply's blocks into a platform's messages: the one rule both adapters follow.

A ``Reply.text`` is a sequence of blocks separated by a blank line (a digest's headline, each topic's stories,
its trends, its entities; a command's paragraphs): the units a reader expects to find whole. Each adapter
renders the blocks in its own markup, cuts a block only when that block alone is longer than one message
(its own splitter knows where its markup may be cut), and ``pack`` fills messages with them in order, a blank
line between two blocks of one message. The digest knows no platform's limit; the adapters know no digest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

Measure = Callable[[str], int]

BLOCK_SEPARATOR = "\n\n"


def blocks_of(text: str) -> list[str]:
    """The blocks of a plain text: split at blank lines; blocks of whitespace only are dropped."""
    return [block for block in text.split(BLOCK_SEPARATOR) if block.strip()]


def pack(blocks: Iterable[Sequence[str]], limit: int, measure: Measure) -> list[str]:
    """Messages of at most ``limit`` (by ``measure``), in order, from blocks already rendered for the platform.

    Each block comes as its pieces: one piece when it fits a message, else the platform's cut of it, each
    piece within ``limit``. A block that does not fit in the message being filled starts the next one; a cut
    block's pieces are messages of their own, and blocks after it may join its last piece.
    """
    messages: list[str] = []
    current = ""
    for pieces in blocks:
        if len(pieces) > 1:  # only a block longer than a message was cut: nothing may join its first pieces
            if current:
                messages.append(current)
            messages.extend(pieces[:-1])
            current = pieces[-1]
            continue
        for piece in pieces:
            candidate = f"{current}{BLOCK_SEPARATOR}{piece}" if current else piece
            if measure(candidate) <= limit:
                current = candidate
                continue
            if current:
                messages.append(current)
            current = piece
    if current:
        messages.append(current)
    return messages


__all__ = ["BLOCK_SEPARATOR", "Measure", "blocks_of", "pack"]
