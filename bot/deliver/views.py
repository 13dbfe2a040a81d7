"""Build the platform-neutral ``AlertView`` of a story from storage, as it stands now.

The outbox renders alerts at send time (and again on edit), so a story that grew shows its new members.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlmodel import Session

from bot.deliver.model import AlertView, Highlight, SourceRef
from bot.domain import Severity
from bot.text.messages import text
from bot.text.names import entity_name
from storage.queries import story_view
from storage.tables import Feed, ItemRow, Match, stored_id

EXCERPT_CHARS = 320
_WORD = re.compile(r"\S+")


def _excerpt(body: str, hits: list[dict[str, Any]]) -> tuple[str, list[Highlight]]:
    """The excerpt an alert shows of ``body`` (the text the matcher read: ``content or summary``), and the
    highlights of ``hits`` (stored entity hits, offsets in ``body``) carried into it.

    Whitespace runs become one space, so the offsets are mapped, not reused. The excerpt is the body's first
    ``EXCERPT_CHARS`` (cut at a space), or, when the first highlight lies beyond them, a window that starts a
    little before it: the passage that made the item relevant is the one shown. A hit whose mapped span does
    not hold its text (a row matched on other text) is not highlighted."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(body)]
    text = " ".join(body[a:b] for a, b in words)
    firsts = [a for a, _ in words]
    at: list[int] = []  # where each word starts in ``text``
    n = 0
    for a, b in words:
        at.append(n)
        n += b - a + 1
    spans = []
    for h in hits:
        start, end = int(h["start"]), int(h["end"])
        if h.get("field") != "text" or end <= start:
            continue
        span = (_mapped(start, words, firsts, at), _mapped(end - 1, words, firsts, at) + 1)
        if text[span[0] : span[1]] == " ".join(str(h.get("text", "")).split()):
            spans.append(span)
    spans.sort()
    begin, end = 0, _cut(text, 0)
    if spans and spans[0][1] > end:  # the first highlight is past the cut: start a little before it
        lead = spans[0][0] - EXCERPT_CHARS // 4
        space = text.rfind(" ", max(0, spans[0][0] - EXCERPT_CHARS // 2), lead)
        begin = space + 1 if space != -1 else lead
        end = _cut(text, begin)
    prefix = "…" if begin else ""
    shift = len(prefix) - begin
    shown = [Highlight("excerpt", a + shift, b + shift) for a, b in spans if a >= begin and b <= end]
    return prefix + text[begin:end] + ("…" if end < len(text) else ""), shown


def _cut(text: str, begin: int) -> int:
    """Where an excerpt starting at ``begin`` ends: ``EXCERPT_CHARS`` on, at a space when one is not too early."""
    if len(text) - begin <= EXCERPT_CHARS:
        return len(text)
    cut = text.rfind(" ", begin, begin + EXCERPT_CHARS)
    return cut if cut > begin + EXCERPT_CHARS // 2 else begin + EXCERPT_CHARS


def _mapped(i: int, words: list[tuple[int, int]], firsts: list[int], at: list[int]) -> int:
    """Offset ``i`` of the body in its whitespace-collapsed text (inside a word, or the space after it)."""
    k = bisect_right(firsts, i) - 1
    if k < 0:
        return 0
    a, b = words[k]
    return at[k] + min(i - a, b - a)


def alert_view(s: Session, story_id: int) -> AlertView | None:
    view = story_view(s, story_id)
    if view is None:
        return None
    lead = view.lead.item
    match = s.get(Match, stored_id(lead))
    hits = json.loads(match.entities) if match else []
    # The matcher read the content, else the summary: its offsets are in that text, so the excerpt is cut from it.
    excerpt, highlights = _excerpt(lead.content or lead.summary, hits)
    highlights += [Highlight("title", int(h["start"]), int(h["end"])) for h in hits if h.get("field") == "title"]
    primary = None
    if view.story.authority_item_id is not None:
        auth = next((m for m in view.members if m.item.id == view.story.authority_item_id), None)
        if auth is not None:
            primary = SourceRef(auth.feed_title, auth.item.url, auth.item.language)
    others = tuple(
        SourceRef(m.item.source_name or m.feed_title, m.item.url, m.item.language)
        for m in view.others
        if primary is None or m.item.id != view.story.authority_item_id
    )
    language = lead.language
    return AlertView(
        story_id=story_id,
        title=lead.title,
        url=lead.url,
        source=lead.source_name or view.lead.feed_title,
        language=language,
        published=lead.published,
        severity=Severity.parse(view.story.severity or (match.severity if match else None), Severity.NORMAL),
        score=view.story.score or (match.score if match else 0.0),
        topics=tuple(view.story.topics.split()),
        entities=tuple(dict.fromkeys(entity_name(h["id"], language) for h in hits))[:8],
        excerpt=excerpt,
        highlights=tuple(highlights),
        also_reported_by=others,
        primary_source=primary,
        reasons=tuple(json.loads(match.reasons))[:3] if match else (),
    )


def item_view(s: Session, item_id: int) -> AlertView | None:
    """An off-topic item a chat's watched term brought (``bot.ingest``), shown as an alert of its own: no story,
    so no topics, severity or other reports. ``story_id`` holds minus the item's id — one number per alert that
    can never be a story's (Discord's send nonce is built from it). None when the item is gone or pruned."""
    item = s.get(ItemRow, item_id)
    if item is None or item.pruned_at is not None:
        return None
    feed = s.get(Feed, item.feed_id)
    match = s.get(Match, item_id)
    language = item.language
    hits = json.loads(match.entities) if match else []
    return AlertView(
        story_id=-item_id,
        title=item.title,
        url=item.url,
        source=item.source_name or (feed.title if feed and feed.title else item.feed_id),
        language=language,
        published=item.published,
        severity=Severity.NORMAL,
        score=match.score if match else 0.0,
        topics=(),
        entities=tuple(dict.fromkeys(entity_name(h["id"], language) for h in hits))[:8],
        excerpt=_excerpt(item.content or item.summary, [])[0],  # the same text as a story's alert shows
    )


def watch_payload(payload: str | None) -> tuple[int | None, str | None]:
    """(item id, watched term) of an alert row's payload (``bot.ingest``): the item for an off-topic one, the
    term whenever a watched term brought the alert; (None, None) for an ordinary story alert."""
    try:
        data = json.loads(payload) if payload else {}
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    item, term = data.get("item"), data.get("watch")
    return (item if isinstance(item, int) else None), (term if isinstance(term, str) and term else None)


def with_watch_reason(view: AlertView, term: str, language: str) -> AlertView:
    """The alert says first that the chat's watched term brought it ("watched term: X", in the chat's language)."""
    return replace(view, reasons=(text(language, "watch_reason", term=term), *view.reasons))


class ViewCache:
    """AlertViews of one dispatch cycle, by story: 1,000 chats alerted about one story need one build, not 1,000.

    ``build`` runs in a worker thread; concurrent askers for the same story share the one build in flight. A
    view older than ``ttl`` seconds is built again, so a cycle paced by the platform's rate limit still renders
    each story as it stands within a second or so of the send (a story may grow while the queue drains).
    """

    def __init__(
        self,
        build: Callable[[int], AlertView | None],
        ttl: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.build = build
        self.ttl = ttl
        self.monotonic = monotonic
        self._entries: dict[int, tuple[float, asyncio.Future[AlertView | None]]] = {}

    async def get(self, story_id: int) -> AlertView | None:
        now = self.monotonic()
        entry = self._entries.get(story_id)
        if entry is not None and now - entry[0] <= self.ttl:
            fut = entry[1]
            if not fut.done() or (not fut.cancelled() and fut.exception() is None):
                return await asyncio.shield(fut)
        fut = asyncio.get_running_loop().create_future()
        self._entries[story_id] = (now, fut)
        try:
            view = await asyncio.to_thread(self.build, story_id)
        except asyncio.CancelledError:
            self._entries.pop(story_id, None)
            fut.cancel()
            raise
        except Exception as exc:
            self._entries.pop(story_id, None)  # the next asker tries again rather than inheriting the failure
            fut.set_exception(exc)
            fut.exception()  # retrieved here: a failure nobody else awaited is not "never retrieved"
            raise
        fut.set_result(view)
        return view
