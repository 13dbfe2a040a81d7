"""Story queries and writes: the SQL behind story assignment (``bot.stories.assign``).

Rows go out as plain named tuples; what they mean (features, candidates, the summary rule) is decided in
``bot.stories``, which this module does not import. Each statement is the one assignment ran before it moved
here: the ORM-enabled ``select`` reads flush the session's pending objects first, and row orders that
assignment depends on are written into the statements.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, distinct, event, func, insert, or_, text, update
from sqlmodel import Session, col, select

from storage.tables import Feed, ItemRow, ItemSignature, Match, MatchEntity, Story, StoryItem

_ADVISORY_KEY = 0x52415149  # "RAQI"
_KEYS_PER_QUERY = 500  # bound parameters per IN list (well under SQLite's and PostgreSQL's limits)

# The summary columns a story carries besides its id and creation time, in ``SummaryRow`` order.
SUMMARY_COLUMNS = (
    "first_published",
    "last_published",
    "lead_item_id",
    "authority_item_id",
    "member_count",
    "source_count",
    "languages",
    "severity",
    "score",
    "topics",
)


class MemberRow(NamedTuple):
    """A story member as clustering needs it: its stored signature row, its story, language and feed.

    ``signature`` (the MinHash bytes) is read only when asked for (``story_members(signatures=True)``), else
    empty."""

    item_id: int
    published: datetime
    entities: str  # space-separated entity ids
    fingerprint: str  # space-separated tokens
    informative: bool
    authority: bool
    story_id: int
    language: str
    feed_id: str
    signature: bytes = b""


class SummaryRow(NamedTuple):
    """A story's id and its summary columns (``SUMMARY_COLUMNS``)."""

    id: int
    first_published: datetime
    last_published: datetime
    lead_item_id: int | None
    authority_item_id: int | None
    member_count: int
    source_count: int
    languages: str
    severity: str | None
    score: float
    topics: str


class MemberVerdict(NamedTuple):
    """A story member with what the summary needs: its feed's authority and its stored verdict (None
    fields: no match row)."""

    item_id: int
    published: datetime
    language: str
    feed_id: str
    authority: bool | None
    score: float | None
    severity: str | None
    topics: str | None


# -- the unit of work's edges ------------------------------------------------------------------------------


def transaction_token(s: Session) -> weakref.ref[Any] | None:
    """A weak reference to the session's current transaction: it names that transaction while the transaction
    runs, and never a later one (an ``id()`` would: Python reuses the address of a finished transaction)."""
    tx = s.get_transaction()
    return weakref.ref(tx) if tx is not None else None


def same_transaction(s: Session, token: weakref.ref[Any] | None) -> bool:
    """Whether ``token`` (``transaction_token``) names the session's current transaction."""
    tx = s.get_transaction()
    return token is not None and tx is not None and token() is tx


def on_rollback(s: Session, callback: Callable[..., None]) -> None:
    """Call ``callback`` once, when this session next rolls back."""
    event.listen(s, "after_rollback", callback, once=True)


def needs_assignment_lock(s: Session) -> bool:
    """True on PostgreSQL, where other processes may assign at the same time (SQLite has one writer)."""
    return s.get_bind().dialect.name == "postgresql"


def ids_commit_in_order(s: Session) -> bool:
    """True on SQLite: one write transaction at a time holds the lock from its first insert to its commit, so
    no id allocated earlier can commit after a later one. PostgreSQL's sequences hand out ids outside
    transaction order: a reader that has seen id n may later see a smaller one commit."""
    return s.get_bind().dialect.name == "sqlite"


def lock_assignments(s: Session) -> None:
    """Serialize story assignment across processes until this transaction ends (PostgreSQL only)."""
    s.exec(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=_ADVISORY_KEY))  # type: ignore[call-overload]


# -- story members -----------------------------------------------------------------------------------------

_MEMBER_COLUMNS = (
    ItemSignature.item_id,
    ItemSignature.published,
    ItemSignature.entities,
    ItemSignature.fingerprint,
    ItemSignature.informative,
    ItemSignature.authority,
    StoryItem.story_id,
    ItemRow.language,
    ItemRow.feed_id,
)


def story_members(
    s: Session,
    *,
    stories: Collection[int] | None = None,
    items: Collection[int] | None = None,
    per_story: int | None = None,
    after_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    signatures: bool = False,
) -> list[MemberRow]:
    """Story members: the one select behind the index's sync, a late item's window and candidate stories.

    Filters: members of ``stories``; the items ``items`` (any number: read ``_KEYS_PER_QUERY`` at a time, alone);
    item ids above ``after_id``; published in [``since``, ``until``].
    Order: by item id (descending with ``newest_first``), at most ``limit`` rows. ``signatures``: with their
    MinHash bytes. ``per_story``: only each story's *representatives* — its ``per_story`` newest members, its
    lead and the earliest member of each language — read by a window function, so a story of 10,000
    members costs what one of 60 does; grouped by story, newest first."""
    if items is not None and len(items) > _KEYS_PER_QUERY:  # one query per IN list of the usual size
        ids = sorted(items)
        chunks = [ids[i : i + _KEYS_PER_QUERY] for i in range(0, len(ids), _KEYS_PER_QUERY)]
        return sorted(
            (r for chunk in chunks for r in story_members(s, items=chunk, signatures=signatures)),
            key=lambda r: r.item_id,
        )
    columns = (*_MEMBER_COLUMNS, ItemSignature.signature) if signatures else _MEMBER_COLUMNS
    stmt = (
        select(*columns)
        .join(StoryItem, col(StoryItem.item_id) == col(ItemSignature.item_id))
        .join(ItemRow, col(ItemRow.id) == col(ItemSignature.item_id))
    )
    if stories is not None:
        stmt = stmt.where(col(StoryItem.story_id).in_(sorted(stories)))
    if items is not None:
        stmt = stmt.where(col(ItemSignature.item_id).in_(sorted(items)))
    if after_id is not None:
        stmt = stmt.where(ItemSignature.item_id > after_id)
    if since is not None:
        stmt = stmt.where(col(ItemSignature.published) >= since)
    if until is not None:
        stmt = stmt.where(col(ItemSignature.published) <= until)
    if per_story is not None:
        return _representatives(s, stmt, per_story)
    order = col(ItemSignature.item_id)
    stmt = stmt.order_by(order.desc() if newest_first else order)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [MemberRow(*r) for r in s.exec(stmt).all()]


def member_ids(s: Session, *, after_id: int, since: datetime) -> list[int]:
    """Ids of the story members above ``after_id`` published since ``since`` (what ``story_members`` would
    read, without reading it: the index's sync asks first which ones it does not hold yet)."""
    stmt = (
        select(ItemSignature.item_id)
        .join(StoryItem, col(StoryItem.item_id) == col(ItemSignature.item_id))
        .where(ItemSignature.item_id > after_id, col(ItemSignature.published) >= since)
    )
    return [int(i) for i in s.exec(stmt).all()]


def _representatives(s: Session, members: Any, newest: int) -> list[MemberRow]:
    newest_rank = func.row_number().over(
        partition_by=col(StoryItem.story_id),
        order_by=(col(ItemSignature.published).desc(), col(ItemSignature.item_id).desc()),
    )
    earliest_of_language = func.row_number().over(
        partition_by=(col(StoryItem.story_id), col(ItemRow.language)),
        order_by=(col(ItemSignature.published), col(ItemSignature.item_id)),
    )
    inner = (
        members.add_columns(
            Story.lead_item_id, newest_rank.label("newest"), earliest_of_language.label("first_of_language")
        )
        .join(Story, col(Story.id) == col(StoryItem.story_id))
        .subquery()
    )
    c = inner.c
    stmt = (
        select(*(c[name] for name in MemberRow._fields if name in c))
        .where(or_(c.newest <= newest, c.first_of_language == 1, c.item_id == c.lead_item_id))
        .order_by(c.story_id, c.newest)
    )
    return [MemberRow(*r) for r in s.execute(stmt).all()]


def member_verdicts(s: Session, story_id: int) -> list[MemberVerdict]:
    """A story's members with their feed's authority and their verdict (for a full summary recompute)."""
    # sqlmodel's ``select`` is typed for at most four columns
    stmt = (
        select(  # type: ignore[call-overload]
            ItemRow.id,
            ItemRow.published,
            ItemRow.language,
            ItemRow.feed_id,
            Feed.authority,
            Match.score,
            Match.severity,
            Match.topics,
        )
        .join(StoryItem, col(StoryItem.item_id) == col(ItemRow.id))
        .join(Feed, col(Feed.id) == col(ItemRow.feed_id))
        .join(Match, col(Match.item_id) == col(ItemRow.id), isouter=True)
        .where(StoryItem.story_id == story_id)
    )
    return [MemberVerdict(*r) for r in s.exec(stmt).all()]


_SOURCE_COUNTS = (
    select(StoryItem.story_id, func.count(distinct(col(ItemRow.feed_id))))
    .join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
    .where(col(StoryItem.story_id).in_(bindparam("stories", expanding=True)))
    .group_by(col(StoryItem.story_id))
)


def source_counts(s: Session, story_ids: Collection[int]) -> dict[int, int]:
    """story id → how many feeds its members come from, in one query per 500 stories (a batch's grown stories:
    one query each cost the single writer more than SQLite took to count them)."""
    ids = sorted(story_ids)
    out: dict[int, int] = {}
    for start in range(0, len(ids), _KEYS_PER_QUERY):
        rows = s.connection().execute(_SOURCE_COUNTS, {"stories": ids[start : start + _KEYS_PER_QUERY]}).all()
        out.update({int(story): int(n) for story, n in rows})
    return out


def item_published(s: Session, item_id: int) -> datetime | None:
    return s.exec(select(ItemRow.published).where(ItemRow.id == item_id)).first()


# -- which stories -----------------------------------------------------------------------------------------


def stories_of_items(s: Session, item_ids: Collection[int]) -> set[int]:
    """The stories holding these items."""
    stmt = select(StoryItem.story_id).where(col(StoryItem.item_id).in_(item_ids))
    return {int(x) for x in s.exec(stmt).all()}


def stories_sharing_entities(
    s: Session, entities: Collection[str], since: datetime, until: datetime, limit: int
) -> set[int]:
    """Stories with members published in [``since``, ``until``] that name these entities, most shared first."""
    shared = func.count(func.distinct(MatchEntity.entity))
    stmt = (
        select(StoryItem.story_id, shared)
        .join(MatchEntity, col(MatchEntity.item_id) == col(StoryItem.item_id))
        .where(
            col(MatchEntity.entity).in_(entities),
            col(MatchEntity.published) >= since,
            col(MatchEntity.published) <= until,
        )
        .group_by(col(StoryItem.story_id))
        .order_by(shared.desc(), col(StoryItem.story_id).desc())
        .limit(limit)
    )
    return {int(sid) for sid, _n in s.exec(stmt).all()}


def exact_copy_story(s: Session, item_id: int, content_hash: str, canonical_url: str | None) -> int | None:
    """The story of another item with the same text or the same canonical URL (one statement, two index
    lookups: SQLite and PostgreSQL both turn the OR into a union of index scans)."""
    same = col(ItemRow.content_hash) == content_hash
    if canonical_url:
        same = or_(same, col(ItemRow.canonical_url) == canonical_url)
    stmt = (
        select(StoryItem.story_id)
        .join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
        .where(same, col(ItemRow.id) != item_id)
        .limit(1)
    )
    found = s.exec(stmt).first()
    return int(found) if found is not None else None


def _copies_by(column: Any) -> Any:
    return (
        select(col(column), func.min(StoryItem.story_id))
        .join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
        .where(col(column).in_(bindparam("keys", expanding=True)))
        .group_by(col(column))
    )


# Built once and run on Core: built per call and run through the ORM, the two cost 1.1 ms a write batch
# against 0.3 (a batch of a few feeds, hundreds of batches in a cycle when the writer keeps up).
_COPIES_BY_HASH = _copies_by(ItemRow.content_hash)
_COPIES_BY_URL = _copies_by(ItemRow.canonical_url)


def copies_stories(s: Session, hashes: Sequence[str], urls: Sequence[str]) -> tuple[dict[str, int], dict[str, int]]:
    """(text hash → story, canonical URL → story): a story holding an item with each of these text hashes and
    canonical URLs (the earliest such story), in one grouped query per ``_KEYS_PER_QUERY`` keys — one row per
    key, however many copies a breaking story already has (a row per copy made this quadratic)."""
    found: tuple[dict[str, int], dict[str, int]] = ({}, {})
    for out, stmt, keys in ((found[0], _COPIES_BY_HASH, hashes), (found[1], _COPIES_BY_URL, urls)):
        for i in range(0, len(keys), _KEYS_PER_QUERY):
            for key, story_id in s.connection().execute(stmt, {"keys": list(keys[i : i + _KEYS_PER_QUERY])}):
                if key is not None:  # the URL column is nullable (never asked for: None is no key)
                    out[key] = int(story_id)
    return found


# -- the stories table -------------------------------------------------------------------------------------


_SUMMARY = select(  # type: ignore[call-overload]  # typed for at most four columns
    Story.id,
    Story.first_published,
    Story.last_published,
    Story.lead_item_id,
    Story.authority_item_id,
    Story.member_count,
    Story.source_count,
    Story.languages,
    Story.severity,
    Story.score,
    Story.topics,
).where(Story.id == bindparam("story"))


def story_summary(s: Session, story_id: int) -> SummaryRow | None:
    """The summary columns of a story: pending ORM changes (``refresh_story``'s) flushed first, then a Core
    read of a statement built once — it is read once per story a write batch grows, and the ORM's execution
    cost the single writer twice SQLite's answer (45 µs a read)."""
    s.flush()
    found = s.connection().execute(_SUMMARY, {"story": story_id}).first()
    return SummaryRow(*found) if found is not None else None


def insert_story(s: Session, values: dict[str, Any]) -> int:
    """A new story row; its id."""
    return int(s.execute(insert(Story).returning(col(Story.id)), [values]).scalar_one())


def update_summaries(s: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write stories' summary columns and ``updated_at`` (``rows``: ``story_id`` and those columns), in one
    executemany; a Story object the session loaded earlier is expired so it cannot hide the update."""
    table = Story.__table__  # type: ignore[attr-defined]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("story_id"))
        .values({c: bindparam(c) for c in (*SUMMARY_COLUMNS, "updated_at")})
    )
    s.execute(stmt, rows)
    for row in rows:
        loaded = s.identity_map.get(s.identity_key(Story, row["story_id"]))
        if loaded is not None:
            s.expire(loaded)


def load_story(s: Session, story_id: int) -> Story:
    """The story as an ORM object; LookupError when there is none."""
    story = s.get(Story, story_id)
    if story is None:
        raise LookupError(f"no story {story_id}")
    return story
