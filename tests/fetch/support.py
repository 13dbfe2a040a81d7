"""Test doubles shared by the fetch tests."""

from __future__ import annotations


class RecordingSleep:
    """Stands in for asyncio.sleep: backoff becomes instant and its delays can be asserted."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
