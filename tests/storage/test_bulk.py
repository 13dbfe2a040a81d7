"""``storage.bulk.insert_rows`` (the driver's executemany, each distinct value processed once) and
``insert_returning`` (multi-row VALUES … RETURNING on SQLite) store exactly what a Core ``insert`` stores, on
SQLite and PostgreSQL: aware datetimes in any zone as UTC, booleans, bytes, repeated values; and rows only
SQLAlchemy can insert (a missing column with a Python default) still go in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from storage.bulk import _ROWS_PER_STATEMENT, insert_returning, insert_rows
from storage.db import session
from storage.tables import Feed, ItemRow, ItemSignature, MatchTopic

CAIRO = timezone(timedelta(hours=2))
T = datetime(2026, 11, 20, 14, 0, tzinfo=CAIRO)  # 12:00 UTC


def _items(engine: Engine, n: int) -> None:
    with session(engine) as s:
        s.add(Feed(id="f", url="https://f.example/rss", configured_url="x", language="ar"))
        s.flush()
        rows = [
            {"id": i, "feed_id": "f", "identity": f"i{i}", "url": None, "canonical_url": None, "title": "t",
             "summary": "", "content": "", "language": "ar", "published": T, "fetched": T, "content_hash": f"h{i}"}
            for i in range(1, n + 1)
        ]  # fmt: skip
        s.execute(insert(ItemRow), rows)
        s.commit()


def test_rows_read_back_as_a_core_insert_stores_them(engine: Engine) -> None:
    _items(engine, 6)
    table = MatchTopic.__table__  # type: ignore[attr-defined]
    fast = [{"item_id": i, "topic": t, "published": T} for i in (1, 2, 3) for t in ("hbm", "ai-chips")]
    core = [{"item_id": i, "topic": t, "published": T} for i in (4, 5, 6) for t in ("hbm", "ai-chips")]
    with session(engine) as s:
        insert_rows(s, table, fast)
        s.execute(insert(table), core)
        s.commit()
        got = {(r.item_id, r.topic): r.published for r in s.execute(select(table)).all()}
    assert len(got) == 12
    assert set(got.values()) == {datetime(2026, 11, 20, 12, 0, tzinfo=UTC)}, got


def test_booleans_bytes_and_defaults(engine: Engine) -> None:
    _items(engine, 3)
    table = ItemSignature.__table__  # type: ignore[attr-defined]
    rows = [
        {"item_id": 1, "published": T, "signature": b"\x00\x01sig", "fingerprint": "a b", "entities": "x",
         "informative": True, "authority": False},
        {"item_id": 2, "published": T + timedelta(hours=1), "signature": b"\xff", "fingerprint": "", "entities": "",
         "informative": False, "authority": True},
    ]  # fmt: skip
    # informative and authority left to their column defaults: only the Core statement applies those
    partial = [{"item_id": 3, "published": T, "signature": b"s", "fingerprint": "f", "entities": ""}]
    with session(engine) as s:
        insert_rows(s, table, rows)
        insert_rows(s, table, partial)
        s.commit()
        got = {r.item_id: r for r in s.execute(select(table)).all()}
    assert (got[1].signature, got[1].informative, got[1].authority) == (b"\x00\x01sig", True, False)
    assert (got[2].signature, got[2].informative, got[2].authority) == (b"\xff", False, True)
    assert got[2].published == datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    assert (got[3].fingerprint, got[3].informative, got[3].authority) == ("f", False, False)


def test_stored_values_are_the_ones_sqlalchemy_writes_so_range_queries_agree(engine: Engine) -> None:
    """The database holds the same value whichever path wrote it: on SQLite a datetime is text, and the driver's
    own adapter (``2026-11-20 12:00:00``) is not SQLAlchemy's (``… 12:00:00.000000``), so a bound at the very
    second would find one row and miss the other."""
    _items(engine, 2)
    table = MatchTopic.__table__  # type: ignore[attr-defined]
    with session(engine) as s:
        insert_rows(s, table, [{"item_id": 1, "topic": "hbm", "published": T}])
        s.execute(insert(table), [{"item_id": 2, "topic": "hbm", "published": T}])
        s.commit()
        raw = dict(s.execute(text("SELECT item_id, CAST(published AS TEXT) FROM match_topics")).tuples().all())
        at_bound = s.execute(select(table.c.item_id).where(table.c.published >= T)).scalars().all()
    assert raw[1] == raw[2], raw
    assert sorted(at_bound) == [1, 2]


def _item_rows(first: int, n: int, published: datetime = T) -> list[dict[str, object]]:
    return [
        {"feed_id": "f", "identity": f"i{i}", "guid": None, "url": f"https://f.example/{i}", "canonical_url": None,
         "source_url": None, "source_name": None, "title": f"title {i}", "summary": "s", "content": "",
         "language": "ar", "published": published, "fetched": published, "content_hash": f"h{i}",
         "updated_at": None, "pruned_at": None}
        for i in range(first, first + n)
    ]  # fmt: skip


def test_insert_returning_gives_each_row_its_id_over_several_statements(engine: Engine) -> None:
    n = 2 * _ROWS_PER_STATEMENT + 7  # three statements on SQLite
    with session(engine) as s:
        s.add(Feed(id="f", url="https://f.example/rss", configured_url="x", language="ar"))
        s.flush()
        table = ItemRow.__table__  # type: ignore[attr-defined]
        got = dict(insert_returning(s, table, _item_rows(1, n), ("identity", "id")))
        s.commit()
        stored = dict(s.execute(select(table.c.identity, table.c.id)).tuples().all())
    assert len(got) == n
    assert got == stored


def test_insert_returning_stores_what_a_core_insert_stores(engine: Engine) -> None:
    with session(engine) as s:
        s.add(Feed(id="f", url="https://f.example/rss", configured_url="x", language="ar"))
        s.flush()
        table = ItemRow.__table__  # type: ignore[attr-defined]
        insert_returning(s, table, _item_rows(1, 3), ("id",))
        s.execute(insert(table), _item_rows(4, 3))
        s.commit()
        raw = s.execute(text("SELECT identity, CAST(published AS TEXT), CAST(fetched AS TEXT) FROM items")).all()
        at_bound = s.execute(select(table.c.identity).where(table.c.published >= T)).scalars().all()
    assert len({(p, f) for _, p, f in raw}) == 1, raw  # one text for one instant, whichever path wrote it
    assert sorted(at_bound) == [f"i{i}" for i in range(1, 7)]


def test_insert_returning_of_nothing_and_of_rows_only_sqlalchemy_can_insert(engine: Engine) -> None:
    _items(engine, 2)
    table = ItemSignature.__table__  # type: ignore[attr-defined]
    partial = [{"item_id": i, "published": T, "signature": b"s", "fingerprint": "f", "entities": ""} for i in (1, 2)]
    with session(engine) as s:
        assert insert_returning(s, table, [], ("item_id",)) == []
        got = insert_returning(s, table, partial, ("item_id", "informative"))
        s.commit()
    assert sorted(got) == [(1, False), (2, False)]  # the column defaults, applied by SQLAlchemy
