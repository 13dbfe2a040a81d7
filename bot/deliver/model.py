"""Platform-neutral shapes that cross from the core to the chat adapters.

The core builds an ``AlertView`` for a story and a ``Reply`` for a command; each adapter renders them in its
platform's markup, within its platform's limits, and sends them. Adapters raise the delivery errors below so
the outbox can decide: retry later, retry after a delay, or pause the subscription.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain import Severity


@dataclass(frozen=True)
class Highlight:
    """A matched span inside ``AlertView.title`` or ``AlertView.excerpt`` (offsets into that string)."""

    field: str  # "title" | "excerpt"
    start: int
    end: int


@dataclass(frozen=True)
class SourceRef:
    name: str
    url: str | None
    language: str


@dataclass(frozen=True)
class AlertView:
    """One story as a chat shows it. Every string here came from a feed: adapters must escape it."""

    story_id: int
    title: str
    url: str | None
    source: str  # the outlet's display name
    language: str  # "ar" | "en": the item's language (layout direction)
    published: datetime  # aware UTC; adapters show it in the chat's timezone
    severity: Severity
    score: float
    topics: tuple[str, ...]
    entities: tuple[str, ...]  # display names of matched entities
    excerpt: str = ""
    highlights: tuple[Highlight, ...] = ()
    also_reported_by: tuple[SourceRef, ...] = ()
    primary_source: SourceRef | None = None  # an authority's document (the rule itself)
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Button:
    text: str
    data: str  # opaque callback data (signed by the core)


@dataclass(frozen=True)
class Document:
    """A file a reply carries (an export): adapters upload it as a document (Telegram) or attachment (Discord)."""

    filename: str  # ASCII, safe as is in a multipart header
    data: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Reply:
    """A command's answer. ``text`` is plain text in the chat's language; ``alerts`` are rendered as alerts."""

    text: str = ""
    alerts: tuple[AlertView, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons
    ephemeral: bool = False  # Discord: only the caller sees it
    language: str = "en"
    error: bool = False
    image: bytes | None = None  # a PNG (digest chart)
    documents: tuple[Document, ...] = ()  # files (an export); ``text`` is their caption
    # A short caption for ``image`` when ``text`` is too long to be its caption (a digest: the text follows)
    caption: str | None = None
    # An answer to a button replaces the message the button sits under (pagination, settings); False: a new one
    replace: bool = True


class DeliveryError(Exception):
    """Base of what an adapter raises when a send fails."""


class RetryLater(DeliveryError):
    """Transient (network, 5xx, timeout): the outbox retries with backoff; ``retry_after`` when the platform said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentFailure(DeliveryError):
    """The target is gone or refuses us (blocked, kicked, deleted, missing permissions): pause, with reason."""


class MessageFailure(PermanentFailure):
    """This one message can never be delivered (the platform refused its content); the chat itself is fine:
    the delivery fails, the subscription keeps running."""


class TargetMoved(DeliveryError):
    """The chat has a new id (Telegram group → supergroup): move the subscription and send again."""

    def __init__(self, message: str, new_target: str) -> None:
        super().__init__(message)
        self.new_target = new_target


class Notifier(Protocol):
    """What the outbox needs from a platform. ``target`` is the platform's chat/channel/webhook id."""

    @property
    def platform(self) -> str:  # read-only, so a notifier may name it with a Platform (a str enum)
        ...

    async def pace(self, target: str) -> None:
        """Return when a send to ``target`` may go: the platform's pacing (``bot.deliver.pacing``), waited by the
        dispatcher before it builds what it sends."""
        ...

    async def send_alert(self, target: str, alert: AlertView, *, language: str, timezone: str) -> str:
        """Send and return the platform's message id."""
        ...

    async def edit_alert(
        self, target: str, message_id: str, alert: AlertView, *, language: str, timezone: str
    ) -> None: ...

    async def send_reply(self, target: str, reply: Reply) -> str: ...
