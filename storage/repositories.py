"""Queries and writes. Callers pass a Session; nothing here knows about chat platforms or HTTP."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Text, bindparam, func, insert, or_, update
from sqlmodel import Session, col, select

from storage.tables import URL_MAX, Feed, ItemRow, MatchEntity, MatchTopic, Story, StoryItem


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
) -> bool:
    """Store the failure and when to try again. Returns True when this failure disabled the feed."""
    # A reason quoting hostile input must still be storable: PostgreSQL refuses NUL and lone surrogates.
    message = message.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    feed.last_attempt = now
    feed.consecutive_failures += 1
    feed.last_error_code, feed.last_error = code, message[:2000]
    feed.next_poll = now + timedelta(seconds=retry_in)
    feed.lease_owner = feed.lease_until = None
    disabled = bool(disable_after and feed.enabled and feed.consecutive_failures >= disable_after)
    if disabled:
        feed.enabled = False
        feed.disabled_reason = f"{feed.consecutive_failures} consecutive failures; last: {message[:300]}"
    session.add(feed)
    session.commit()
    return disabled


@dataclass(frozen=True)
class StoreResult:
    new: list[Any]  # the given row objects, ``id`` set
    updated: list[ItemRow]  # same identity, new title or text a reader sees (a correction)
    unchanged: int  # same text; or a stored item under a flipped GUID or link
    quiet: int = 0  # same identity, text changed only where no reader looks: stored, not a correction


def _key_of(value: str, limit: int) -> str:
    """A stable stand-in within ``limit`` for a key too long to store: equal values keep equal keys."""
    if len(value) <= limit:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


_ITEM_BOUNDS = {c.name: c.type.length for c in ItemRow.__table__.columns if getattr(c.type, "length", None)}  # type: ignore[attr-defined]


def _fit(row: Any) -> None:
    """Hold a row to the schema's lengths before the database is asked (issue 13.3): a value too long must
    never fail a feed's every poll. A canonical URL (a comparison key that canonicalization can make several
    times longer than the link) becomes a bounded stand-in; anything else too long is a bug upstream
    (``bot.normalize`` caps what feeds send), refused by name and length, never quoting the value."""
    url = getattr(row, "canonical_url", None)
    if url is not None and len(url) > URL_MAX:
        row.canonical_url = _key_of(url, URL_MAX)  # compared for equality only (see bot.stories.assign)
    for name, limit in _ITEM_BOUNDS.items():
        value = getattr(row, name, None)
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f"items.{name}: {len(value)} characters, the column holds {limit}")


def store_items(session: Session, feed_id: str, rows: Iterable[Any]) -> StoreResult:
    """Insert what is new; update what came back corrected. The unique (feed, identity) key decides, with
    two refinements against feeds that flip what they send (issue 13.14):

    - an entry whose identity is unknown but whose text (``content_hash``) is a stored item's, with the same
      link (or canonical link), or with no GUID on either side, is that item with a flipped GUID or link:
      not new (``StoreResult.unchanged``); so is one with a stored item's canonical link and the same text
      as a reader sees it;
    - a known entry whose text changed only where no reader looks (invisible characters, the body past the
      alert's excerpt) is stored quietly (``StoreResult.quiet``): not a correction, no edit of its story.

    ``rows`` are ``ItemRow`` objects or any objects carrying its columns as attributes (ingestion passes
    plain dataclasses: building hundreds of ORM objects per poll costs more than inserting them). New rows
    are inserted in one multi-row INSERT … RETURNING (their ``id`` is set on the given objects, which stay
    outside the session: callers read them, never modify them). Only corrected rows are loaded as ORM
    objects; unchanged ones cost one indexed lookup of (identity, id, hash).
    """
    rows = list(rows)
    if not rows:
        return StoreResult([], [], 0)
    for row in rows:
        _fit(row)
    identities = [r.identity for r in rows]
    known: dict[str, tuple[int | None, str]] = {}
    for chunk_start in range(0, len(identities), 500):
        chunk = identities[chunk_start : chunk_start + 500]
        stmt = select(ItemRow.identity, ItemRow.id, ItemRow.content_hash).where(
            ItemRow.feed_id == feed_id, col(ItemRow.identity).in_(chunk)
        )
        known.update({identity: (item_id, h) for identity, item_id, h in session.exec(stmt).all()})
    new, changed, unchanged = [], [], 0
    for row in rows:
        old = known.get(row.identity)
        if old is None:
            new.append(row)
        elif old[1] != row.content_hash:
            changed.append(row)
        else:
            unchanged += 1
    if new:
        flipped = _flipped(session, feed_id, new)
        new = [r for r in new if id(r) not in flipped]
        unchanged += len(flipped)
    updated: list[ItemRow] = []
    quiet = 0
    if changed:
        loaded = {
            r.id: r
            for r in session.exec(select(ItemRow).where(col(ItemRow.id).in_([known[r.identity][0] for r in changed])))
        }
        for row in changed:
            stored_row = loaded[known[row.identity][0]]
            visible = _reader_view(row.title, row.summary, row.content) != _reader_view(
                stored_row.title, stored_row.summary, stored_row.content
            )
            stored_row.title, stored_row.summary, stored_row.content = row.title, row.summary, row.content
            stored_row.content_hash = row.content_hash
            session.add(stored_row)
            if not visible:  # the new text is kept, but nothing a reader sees changed: no correction
                quiet += 1  # (nor a new link: a link that flips with invisible text is a flipper's, not news)
                continue
            stored_row.url = row.url or stored_row.url
            stored_row.canonical_url = row.canonical_url or stored_row.canonical_url
            stored_row.updated_at = row.fetched
            updated.append(stored_row)
    if new:
        table = ItemRow.__table__  # type: ignore[attr-defined]
        columns = [c.name for c in table.columns if c.name != "id"]
        values = [{c: getattr(r, c, None) for c in columns} for r in new]
        # Each id comes back with its row's identity (unique in the feed), in whatever order: asking for the ids
        # in the rows' order (``sort_by_parameter_order``) made SQLAlchemy insert one row per statement on SQLite,
        # which does not promise the order of RETURNING rows (15,000 statements in a cold cycle of 500 feeds).
        returning = insert(table).returning(table.c.identity, table.c.id)
        ids = dict(session.execute(returning, values).tuples().all())
        for row in new:
            row.id = ids[row.identity]
    session.flush()
    return StoreResult(new, updated, unchanged, quiet)


def _flipped(session: Session, feed_id: str, rows: list[Any]) -> set[int]:
    """``id()`` of the rows that are stored items under a flipped GUID or link (see ``store_items``).

    First by text: the same ``content_hash`` with the same link, or with no GUID on either side. Then by link:
    the same canonical link with the same text a reader sees (a GUID flipper that also sprinkles zero-width
    characters). Indexed queries (content_hash, then canonical_url) per 500 rows; most new entries have no
    stored twin and cost nothing more.
    """
    by_hash: dict[str, list[tuple[str | None, str | None, str | None]]] = {}
    hashes = list({r.content_hash for r in rows})
    for start in range(0, len(hashes), 500):
        stmt = select(ItemRow.content_hash, ItemRow.guid, ItemRow.url, ItemRow.canonical_url).where(
            ItemRow.feed_id == feed_id, col(ItemRow.content_hash).in_(hashes[start : start + 500])
        )
        for h, guid, url, canonical in session.exec(stmt).all():
            by_hash.setdefault(h, []).append((guid, url, canonical))
    out: set[int] = set()
    for row in rows:
        for guid, url, canonical in by_hash.get(row.content_hash, ()):
            same_link = bool(row.url and row.url == url) or bool(row.canonical_url and row.canonical_url == canonical)
            if same_link or not (guid or row.guid):
                out.add(id(row))
                break
    rest = [r for r in rows if id(r) not in out and r.canonical_url]
    links = list({r.canonical_url for r in rest})
    by_link: dict[str | None, list[tuple[str, str]]] = {}  # never None: only stored links were asked for
    for start in range(0, len(links), 500):
        by_url = select(ItemRow.canonical_url, ItemRow.title, ItemRow.summary, ItemRow.content).where(
            ItemRow.feed_id == feed_id, col(ItemRow.canonical_url).in_(links[start : start + 500])
        )
        for link, title, summary, content in session.exec(by_url).all():
            by_link.setdefault(link, []).append(_reader_view(title, summary, content))
    for row in rest:
        seen = by_link.get(row.canonical_url)
        if seen and _reader_view(row.title, row.summary, row.content) in seen:  # the view only when it can match
            out.add(id(row))
    return out


# What an alert shows of an item's body: the first characters of its summary (or content). Equal to
# ``bot.deliver.views.EXCERPT_CHARS`` (a test holds them equal); storage does not import bot.
READER_EXCERPT = 320


@cache
def _invisible() -> dict[int, None]:
    """Format characters (Unicode category Cf), built on first use. Every Cf code point lies in planes 0-1
    or in the tags block (E0000-E0FFF); scanning only those costs every process's first store 0.01 s
    instead of 0.08 s for all 1.1M code points (up to a second on a loaded machine, bench_poll's profile)."""
    planes = (range(0x20000), range(0xE0000, 0xE1000))
    return {c: None for r in planes for c in r if unicodedata.category(chr(c)) == "Cf"}


def _reader_view(title: str, summary: str, content: str) -> tuple[str, str]:
    """What a reader sees of an item: its title and the start of its body, without invisible characters
    (zero-width spaces, direction marks, soft hyphens) and with whitespace as it is rendered."""
    invisible = _invisible()
    body = summary or content
    # The start of a long body fills the excerpt; all of it only when invisibles and spaces ate that start.
    seen = " ".join(body[: READER_EXCERPT * 4].translate(invisible).split())
    if len(seen) < READER_EXCERPT < len(body):
        seen = " ".join(body.translate(invisible).split())
    return " ".join(title.translate(invisible).split()), seen[:READER_EXCERPT]


def recent_items(session: Session, *, feed_id: str | None = None, limit: int = 20) -> list[ItemRow]:
    stmt = select(ItemRow)
    if feed_id:
        stmt = stmt.where(ItemRow.feed_id == feed_id)
    stmt = stmt.order_by(col(ItemRow.published).desc(), col(ItemRow.id).desc()).limit(limit)
    return list(session.exec(stmt).all())


def count_items(session: Session, feed_id: str | None = None) -> int:
    stmt = select(func.count()).select_from(ItemRow)
    if feed_id:
        stmt = stmt.where(ItemRow.feed_id == feed_id)
    return int(session.exec(stmt).one())


@dataclass(frozen=True)
class StoryMember:
    item: ItemRow
    feed_title: str
    authority: bool


@dataclass(frozen=True)
class StoryView:
    story: Story
    lead: StoryMember
    members: list[StoryMember]  # lead first, then by publication time

    @property
    def others(self) -> list[StoryMember]:
        return [m for m in self.members if m.item.id != self.lead.item.id]


def story_view(session: Session, story_id: int) -> StoryView | None:
    story = session.get(Story, story_id)
    if story is None:
        return None
    stmt = (
        select(ItemRow, Feed)
        .join(StoryItem, col(StoryItem.item_id) == col(ItemRow.id))
        .join(Feed, col(Feed.id) == col(ItemRow.feed_id))
        .where(StoryItem.story_id == story_id)
        .order_by(col(ItemRow.published), col(ItemRow.id))
    )
    members = [StoryMember(item, feed.title or feed.id, feed.authority) for item, feed in session.exec(stmt).all()]
    if not members:
        return None
    lead = next((m for m in members if m.item.id == story.lead_item_id), members[0])
    return StoryView(story, lead, [lead, *[m for m in members if m is not lead]])


def latest_stories(
    session: Session,
    *,
    topic: str | None = None,
    entity: str | None = None,
    limit: int = 10,
    offset: int = 0,
    since: datetime | None = None,
) -> list[Story]:
    """Newest stories first: by topic or entity, the story with the most recent report about it comes first.

    The (topic|entity, published) index is walked newest-first, a page at a time, until enough distinct stories
    are seen — the cost depends on the page asked for, not on how many items the topic has (1M items: ~1 ms).
    """
    if not (topic or entity):
        stmt = select(Story)
        if since is not None:
            stmt = stmt.where(col(Story.last_published) >= since)
        stmt = stmt.order_by(col(Story.last_published).desc(), col(Story.id).desc()).offset(offset).limit(limit)
        return list(session.exec(stmt).all())
    table, key, value = (MatchTopic, MatchTopic.topic, topic) if topic else (MatchEntity, MatchEntity.entity, entity)
    wanted, page = offset + limit, 0
    seen: set[int] = set()
    order: list[int] = []
    while len(order) < wanted:
        walk = (
            select(StoryItem.story_id)
            .join(table, col(table.item_id) == col(StoryItem.item_id))
            .where(key == value)
            .order_by(col(table.published).desc(), col(table.item_id).desc())
            .offset(page * _WALK_PAGE)
            .limit(_WALK_PAGE)
        )
        if since is not None:
            walk = walk.where(col(table.published) >= since)
        rows = list(session.exec(walk).all())
        for sid in rows:
            if sid not in seen:
                seen.add(sid)
                order.append(sid)
        if len(rows) < _WALK_PAGE:
            break
        page += 1
    ids = order[offset:wanted]
    if not ids:
        return []
    found = {st.id: st for st in session.exec(select(Story).where(col(Story.id).in_(ids))).all()}
    return [found[i] for i in ids if i in found]


_WALK_PAGE = 200


def search_stories(session: Session, query: str, *, limit: int = 10, offset: int = 0, days: int = 90) -> list[Story]:
    """Stories whose items' titles contain every word of ``query`` (bound parameters, case-insensitive)."""
    words = [w for w in query.split() if len(w) >= 2][:5]
    if not words:
        return []
    since = datetime.now(UTC) - timedelta(days=days)
    ids = select(StoryItem.story_id).join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
    ids = ids.where(col(ItemRow.published) >= since)
    for w in words:
        escaped = w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        ids = ids.where(col(ItemRow.title).ilike(f"%{escaped}%", escape="\\"))
    stmt = (
        select(Story)
        .where(col(Story.id).in_(ids))
        .order_by(col(Story.first_published).desc(), col(Story.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(stmt).all())


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


def mark_polled_many(session: Session, polled: Sequence[PolledFeed]) -> None:
    """Successful polls' feed state as one executemany UPDATE, in the caller's transaction (no commit): the hot
    path of a warm cycle (every feed answering 304); ingestion writes it with the polls' items.

    A permanent redirect replaces the URL; a feed title fills an empty one only.
    """
    if not polled:
        return
    table = Feed.__table__  # type: ignore[attr-defined]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
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
            lease_owner=None,
            lease_until=None,
            polls=table.c.polls + 1,
            url=func.coalesce(bindparam("b_url", type_=Text), table.c.url),
            title=func.coalesce(table.c.title, bindparam("b_title", type_=Text)),
        )
    )
    session.execute(
        stmt,
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
            }
            for p in polled
        ],
    )


def stored_identities(session: Session, feed_id: str, identities: list[str]) -> set[str]:
    stmt = select(ItemRow.identity).where(ItemRow.feed_id == feed_id, col(ItemRow.identity).in_(identities))
    return set(session.exec(stmt).all())


def recent_leads(
    session: Session, *, feed_id: str | None = None, limit: int = 20
) -> list[tuple[ItemRow, int | None, int]]:
    """Newest items with duplicates folded: an item in a story shows only when it leads it.

    Returns (item, story id or None, number of reports in the story).
    """
    stmt = (
        select(ItemRow, Story.id, Story.member_count)
        .join(StoryItem, col(StoryItem.item_id) == col(ItemRow.id), isouter=True)
        .join(Story, col(Story.id) == col(StoryItem.story_id), isouter=True)
        .where(or_(col(StoryItem.story_id).is_(None), col(Story.lead_item_id) == col(ItemRow.id)))
    )
    if feed_id:
        stmt = stmt.where(ItemRow.feed_id == feed_id)
    stmt = stmt.order_by(col(ItemRow.published).desc(), col(ItemRow.id).desc()).limit(limit)
    return [(item, sid, int(n or 1)) for item, sid, n in session.exec(stmt).all()]
