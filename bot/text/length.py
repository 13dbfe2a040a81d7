"""Lengths as the chat platforms count them."""

from __future__ import annotations


def utf16_len(text: str) -> int:
    """UTF-16 code units: what Telegram (4096 per message) and Discord (2000 per message) count.

    A character outside the BMP (most emoji) counts twice, so this is never less than ``len(text)``.
    """
    return len(text.encode("utf-16-le")) // 2
