"""Migration 0011: on SQLite, datetimes an earlier ``storage.bulk`` wrote in the sqlite3 driver's form
(``… 12:00:00``) get SQLAlchemy's (``… 12:00:00.000000``), so a query bounded at that second finds them."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from storage.db import alembic_config, session, upgrade
from storage.tables import Feed, ItemRow, MatchTopic

T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_driver_form_datetimes_get_sqlalchemys_form(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    with session(engine) as s:
        s.add(Feed(id="f", url="https://f.example/rss", configured_url="x", language="ar"))
        s.flush()
        s.execute(
            insert(ItemRow),
            [
                {"id": i, "feed_id": "f", "identity": f"i{i}", "title": "t", "summary": "", "content": "",
                 "language": "ar", "published": T, "fetched": T, "content_hash": f"h{i}"}
                for i in (1, 2)
            ],
        )  # fmt: skip
        s.commit()
    command.downgrade(alembic_config(engine), "0010")
    with engine.begin() as c:  # as the bulk path wrote them before: the driver's text, and one with microseconds
        c.execute(text("INSERT INTO match_topics (item_id, topic, published) VALUES (1, 'hbm', '2026-11-20 12:00:00')"))
        c.execute(
            text("INSERT INTO match_topics (item_id, topic, published) VALUES (2, 'hbm', '2026-11-20 12:00:00.250000')")
        )
    with session(engine) as s:
        table = MatchTopic.__table__  # type: ignore[attr-defined]
        assert s.execute(select(table.c.item_id).where(table.c.published >= T)).scalars().all() == [2]
    upgrade(engine)
    with session(engine) as s:
        raw = s.execute(text("SELECT published FROM match_topics ORDER BY item_id")).scalars().all()
        found = s.execute(select(table.c.item_id).where(table.c.published >= T)).scalars().all()
    assert raw == ["2026-11-20 12:00:00.000000", "2026-11-20 12:00:00.250000"]
    assert sorted(found) == [1, 2]
