"""Storing a poll's items: what is new, what came back corrected, what is a stored item under a flipped GUID or
link (issue 13.14), and rows held to the schema's lengths (issue 13.3). Callers pass a Session."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from storage.bulk import insert_returning
from storage.tables import URL_MAX, ItemRow


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


# Built once: a statement built per call is coerced and cache-keyed anew each time (every IN value a bind
# parameter of its own), which cost the single writer more than SQLite took to answer it. ``expanding``
# parameters take each call's list. They run on the session's connection (Core): plain columns need nothing of
# the ORM's execution, a third of each query's cost, three queries a feed.
_KNOWN = select(ItemRow.identity, ItemRow.id, ItemRow.content_hash).where(
    ItemRow.feed_id == bindparam("feed"), col(ItemRow.identity).in_(bindparam("keys", expanding=True))
)
_BY_HASH = select(ItemRow.content_hash, ItemRow.guid, ItemRow.url, ItemRow.canonical_url).where(
    ItemRow.feed_id == bindparam("feed"), col(ItemRow.content_hash).in_(bindparam("keys", expanding=True))
)
_BY_LINK = select(ItemRow.canonical_url, ItemRow.title, ItemRow.summary, ItemRow.content).where(
    ItemRow.feed_id == bindparam("feed"), col(ItemRow.canonical_url).in_(bindparam("keys", expanding=True))
)

_TABLE = ItemRow.__table__  # type: ignore[attr-defined]
_COLUMNS = [c.name for c in _TABLE.columns if c.name != "id"]
# Each id comes back with its row's identity (unique in the feed), in whatever order: asking for the ids in the
# rows' order (``sort_by_parameter_order``) made SQLAlchemy insert one row per statement on SQLite, which does not
# promise the order of RETURNING rows (15,000 statements in a cold cycle of 500 feeds);
# ``storage.bulk.insert_returning`` puts them in multi-row statements instead.


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
        params = {"feed": feed_id, "keys": identities[chunk_start : chunk_start + 500]}
        found = session.connection().execute(_KNOWN, params).all()
        known.update({identity: (item_id, h) for identity, item_id, h in found})
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
    session.flush()  # the corrections first, as the ORM's execution did before the insert (autoflush)
    if new:
        values = [{c: getattr(r, c, None) for c in _COLUMNS} for r in new]
        ids = dict(insert_returning(session, _TABLE, values, ("identity", "id")))
        for row in new:
            row.id = ids[row.identity]
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
        params = {"feed": feed_id, "keys": hashes[start : start + 500]}
        for h, guid, url, canonical in session.connection().execute(_BY_HASH, params).all():
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
        params = {"feed": feed_id, "keys": links[start : start + 500]}
        for link, title, summary, content in session.connection().execute(_BY_LINK, params).all():
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


def stored_identities(session: Session, feed_id: str, identities: list[str]) -> set[str]:
    stmt = select(ItemRow.identity).where(ItemRow.feed_id == feed_id, col(ItemRow.identity).in_(identities))
    return set(session.exec(stmt).all())
