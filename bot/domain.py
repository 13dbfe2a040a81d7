"""Closed sets of Raqib's domain, one spelling each: severity (ordered), chat platform, delivery status.

Each is a ``StrEnum`` whose values are the strings stored in the database, written in outbox payloads and
used in locale keys (``severity_high``), so a member equals its stored string (``Severity.HIGH == "high"``)
and storage is unchanged. ``storage/`` imports nothing of ``bot``: it keeps the plain strings, and
tests/test_domain.py holds them equal to these values.

``Severity`` is ordered by rank, not alphabetically: ``Severity.HIGH < Severity.CRITICAL``, ``max()`` gives
the most severe, and a plain string on either side of a comparison is read as a severity.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How much a story matters, in rising order (``bot.match.severity`` decides it)."""

    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """1 (normal) to 3 (critical); ``rank_of`` gives 0 to what is no severity."""
        return _RANK[self]

    @classmethod
    def rank_of(cls, value: str | None) -> int:
        """The rank of a stored value; 0 for None or a string that is no severity."""
        return _RANK.get(value, 0) if value is not None else 0

    @classmethod
    def parse(cls, value: str | None, default: Severity) -> Severity:
        """The severity a stored or typed value names; ``default`` for None or anything else."""
        try:
            return cls(value) if value is not None else default
        except ValueError:
            return default

    @classmethod
    def rising(cls) -> tuple[Severity, ...]:
        """Every severity, least severe first."""
        return _RISING

    def and_above(self) -> frozenset[Severity]:
        """This severity and the more severe ones (a chat's minimum, a role pinged from this level up)."""
        return frozenset(s for s in _RISING if s.rank >= self.rank)

    # str's comparisons would order severities alphabetically ("critical" < "high"): compare ranks instead.
    def __lt__(self, other: object) -> bool:
        return self.rank < _rank_or_raise(other)

    def __le__(self, other: object) -> bool:
        return self.rank <= _rank_or_raise(other)

    def __gt__(self, other: object) -> bool:
        return self.rank > _rank_or_raise(other)

    def __ge__(self, other: object) -> bool:
        return self.rank >= _rank_or_raise(other)


_RISING = (Severity.NORMAL, Severity.HIGH, Severity.CRITICAL)
_RANK: dict[str, int] = {s.value: i for i, s in enumerate(_RISING, start=1)}


def _rank_or_raise(other: object) -> int:
    if isinstance(other, str) and other in _RANK:
        return _RANK[other]
    raise TypeError(f"cannot order a severity against {other!r}")


class Platform(StrEnum):
    """Where a subscription's messages go (``Subscription.platform``, a notifier's ``platform``)."""

    TELEGRAM = "telegram"
    DISCORD = "discord"  # a channel, through the bot's REST session
    DISCORD_WEBHOOK = "discord-webhook"  # a channel's webhook URL, no bot needed
    CONSOLE = "console"  # printed by the service (no chat token set)


class DeliveryStatus(StrEnum):
    """An outbox row's state (``Delivery.status``); ``bot.deliver.dispatcher``'s docstring tells the moves."""

    PENDING = "pending"  # due at ``next_attempt``
    SENDING = "sending"  # its request is leaving (leased); a crash here resends it, flagged
    SENT = "sent"  # delivered (``needs_edit`` marks a changed story to edit)
    FAILED = "failed"  # refused for good
    CANCELLED = "cancelled"  # no longer to send (story pruned, below the chat's minimum)
    FOLDED = "folded"  # an alert the caps folded into a summary: never sent unless unfolded (``bot.deliver.caps``)


__all__ = ["DeliveryStatus", "Platform", "Severity"]
