"""The feeds table: following the configuration (``sync_feeds``), a poll's outcome (``record_failure``,
``mark_polled_many``) and the feed rows callers read. Callers pass a Session; storage does not import bot.config."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, bindparam, case, func, null, or_, update
from sqlmodel import Session, col, select

from storage.tables import Feed


@dataclass(frozen=True)
class FeedSpec:
    """What configuration says about a feed (storage does not import bot.config)."""

    id: str
    url: str
    language: str
    title: str | None = None
    authority: bool = False
    enabled: bool = True


def sync_feeds(session: Session, specs: Sequence[FeedSpec]) -> tuple[list[str], list[str]]:
    """Make the feeds table follow the configuration. Returns (added ids, changed ids).

    A feed whose configured URL did not change keeps its stored URL (which a permanent redirect may
    have updated). Feeds gone from the configuration are disabled, not deleted: their items stay.
    """
    # Every command opens the store through here, and a feeds file most often says what the table already
    # holds: the rows are compared as plain tuples, and only those that differ are loaded as objects
    # (500 ORM objects cost ~0.1 s of a warm ``poll --once``).
    by_id = {spec.id: spec for spec in specs}
    stored = session.exec(
        select(  # type: ignore[call-overload]  # sqlmodel's select() is typed for at most four columns
            Feed.id, Feed.configured_url, Feed.language, Feed.title, Feed.authority, Feed.enabled, Feed.disabled_reason
        )
    ).all()
    differ = [feed_id for feed_id, *row in stored if _sync_differs(by_id.get(feed_id), *row)]
    existing: dict[str, Feed] = {}
    for i in range(0, len(differ), 500):
        existing.update({f.id: f for f in session.exec(select(Feed).where(col(Feed.id).in_(differ[i : i + 500])))})
    unchanged = {feed_id for feed_id, *_ in stored} - existing.keys()
    added, changed = [], []
    for spec in specs:
        if spec.id in unchanged:
            continue
        feed = existing.pop(spec.id, None)
        if feed is None:
            session.add(
                Feed(
                    id=spec.id,
                    url=spec.url,
                    configured_url=spec.url,
                    title=spec.title,
                    language=spec.language,
                    authority=spec.authority,
                    enabled=spec.enabled,
                )
            )
            added.append(spec.id)
            continue
        before = (feed.configured_url, feed.language, feed.title, feed.authority)
        if feed.configured_url != spec.url:
            feed.url = spec.url
            feed.configured_url = spec.url
            feed.etag = feed.last_modified = None
        feed.language, feed.title, feed.authority = spec.language, spec.title, spec.authority
        if not spec.enabled:
            feed.enabled, feed.disabled_reason = False, "disabled in the configuration"
        elif feed.disabled_reason in ("disabled in the configuration", "removed from the configuration"):
            feed.enabled, feed.disabled_reason = True, None
        if before != (feed.configured_url, feed.language, feed.title, feed.authority):
            changed.append(spec.id)
        session.add(feed)
    for gone in existing.values():
        if gone.enabled:
            gone.enabled, gone.disabled_reason = False, "removed from the configuration"
            session.add(gone)
    session.commit()
    return added, changed


def _sync_differs(
    spec: FeedSpec | None,
    configured_url: str,
    language: str,
    title: str | None,
    authority: bool,
    enabled: bool,
    disabled_reason: str | None,
) -> bool:
    """Whether ``sync_feeds`` would change this stored row (a feed gone from the file is disabled once)."""
    if spec is None:
        return enabled
    if (configured_url, language, title, authority) != (spec.url, spec.language, spec.title, spec.authority):
        return True
    if not spec.enabled:
        return enabled or disabled_reason != "disabled in the configuration"
    return disabled_reason in ("disabled in the configuration", "removed from the configuration")


def get_feed(session: Session, feed_id: str) -> Feed | None:
    return session.get(Feed, feed_id)


def list_feeds(session: Session) -> list[Feed]:
    return list(session.exec(select(Feed).order_by(Feed.id)).all())


def record_failure(
    session: Session,
    feed: Feed,
    *,
    now: datetime,
    code: str,
    message: str,
    retry_in: float,
    disable_after: int | None = None,
    lease_owner: str | None = None,
) -> bool:
    """Store the failure and when to try again. Returns True when this failure disabled the feed.

    The lease is released if ``lease_owner`` (the poll's worker) still holds it, or nobody does."""
    # A reason quoting hostile input must still be storable: PostgreSQL refuses NUL and lone surrogates.
    message = message.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    feed.last_attempt = now
    feed.consecutive_failures += 1
    feed.last_error_code, feed.last_error = code, message[:2000]
    feed.next_poll = now + timedelta(seconds=retry_in)
    if feed.lease_owner is None or feed.lease_owner == lease_owner:
        feed.lease_owner = feed.lease_until = None
    disabled = bool(disable_after and feed.enabled and feed.consecutive_failures >= disable_after)
    if disabled:
        feed.enabled = False
        feed.disabled_reason = f"{feed.consecutive_failures} consecutive failures; last: {message[:300]}"
    session.add(feed)
    session.commit()
    return disabled


MAX_FEED_TITLE = 256  # characters of a feed's own title kept (one feed sent 200,000)


@dataclass(frozen=True)
class PolledFeed:
    """One successful poll, for ``mark_polled_many``."""

    feed_id: str
    now: datetime
    interval: float
    etag: str | None
    last_modified: str | None
    new_url: str | None = None
    title: str | None = None
    # The feed's own pacing (``bot.fetch.pacing``): the ask that set ``interval``, and the document's ask
    # (kept for the polls answered 304). None: the feed asked nothing usable.
    paced_by: str | None = None
    paced_asks: float | None = None
    document_asks: float | None = None
    document_asks_by: str | None = None
    # The worker whose claim this poll was (``storage.leases``): the lease is released only if it still holds
    # it — a worker that lost its lease mid-poll must not release another worker's. None: no claim (one process).
    lease_owner: str | None = None


def _released(owner: Any, column: Any) -> Any:
    """NULL when the poll's worker (``b_owner``) holds the lease or nobody does; else the column as it is."""
    mine = or_(owner.is_(None), owner == bindparam("b_owner", type_=Text))
    return case((mine, null()), else_=column)


# Built once: a statement built per call is coerced and cache-keyed anew each time (as in storage.items), and a
# warm cycle calls this once per write batch.
_TABLE = Feed.__table__  # type: ignore[attr-defined]
_MARK_POLLED = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("b_id"))
    .values(
        last_attempt=bindparam("b_now"),
        last_success=bindparam("b_now"),
        consecutive_failures=0,
        last_error=None,
        last_error_code=None,
        etag=bindparam("b_etag"),
        last_modified=bindparam("b_modified"),
        next_poll=bindparam("b_next"),
        poll_interval=bindparam("b_interval"),
        paced_by=bindparam("b_paced_by"),
        paced_asks=bindparam("b_paced_asks"),
        document_asks=bindparam("b_doc_asks"),
        document_asks_by=bindparam("b_doc_asks_by"),
        lease_owner=_released(_TABLE.c.lease_owner, _TABLE.c.lease_owner),
        lease_until=_released(_TABLE.c.lease_owner, _TABLE.c.lease_until),
        polls=_TABLE.c.polls + 1,
        url=func.coalesce(bindparam("b_url", type_=Text), _TABLE.c.url),
        title=func.coalesce(_TABLE.c.title, bindparam("b_title", type_=Text)),
    )
)


def mark_polled_many(session: Session, polled: Sequence[PolledFeed]) -> None:
    """Successful polls' feed state as one executemany UPDATE, in the caller's transaction (no commit): the hot
    path of a warm cycle (every feed answering 304); ingestion writes it with the polls' items.

    A permanent redirect replaces the URL; a feed title fills an empty one only.
    """
    if not polled:
        return
    session.execute(
        _MARK_POLLED,
        [
            {
                "b_id": p.feed_id,
                "b_now": p.now,
                "b_etag": p.etag,
                "b_modified": p.last_modified,
                "b_next": p.now + timedelta(seconds=p.interval),
                "b_interval": p.interval,
                "b_paced_by": p.paced_by,
                "b_paced_asks": p.paced_asks,
                "b_doc_asks": p.document_asks,
                "b_doc_asks_by": p.document_asks_by,
                "b_url": p.new_url or None,
                "b_title": (p.title or "")[:MAX_FEED_TITLE] or None,  # a feed chooses its title: capped
                "b_owner": p.lease_owner,
            }
            for p in polled
        ],
    )
