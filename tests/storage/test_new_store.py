"""A new store is built from the models and stamped at the head (``storage.db.create_new``), not migrated
step by step: the two ways must give the same schema, on SQLite and PostgreSQL, and two processes starting on
one new store at once must end with one store at the head."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import String, Text, inspect, text
from sqlalchemy.engine import Engine

from storage.db import at_head, create_new, make_engine, script_head, session, upgrade
from storage.feeds import FeedSpec, sync_feeds

ROOT = Path(__file__).resolve().parents[2]


def schema_of(engine: Engine) -> dict[str, Any]:
    """Every table's columns, keys, foreign keys, indexes, unique and check constraints, as the database
    reports them (names of unnamed constraints and the order of columns left out: SQLite's batch migrations
    rebuild tables, which neither changes)."""
    insp = inspect(engine)
    out: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        columns = sorted(
            (c["name"], _type(engine, c["type"]), c["nullable"], str(c.get("default")) if c.get("default") else None)
            for c in insp.get_columns(table)
        )
        foreign = sorted(
            (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]),
             tuple(sorted((fk.get("options") or {}).items())))
            for fk in insp.get_foreign_keys(table)
        )  # fmt: skip
        indexes = sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(table))
        uniques = sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table))
        checks = sorted(" ".join(c["sqltext"].split()) for c in insp.get_check_constraints(table))
        out[table] = {
            "columns": columns,
            "primary key": insp.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": foreign,
            "indexes": indexes,
            "unique": uniques,
            "checks": checks,
        }
    return out


def _type(engine: Engine, column_type: Any) -> str:
    """SQLite ignores a VARCHAR's length, and its stores keep the lengths they were created with (0006 widened
    two columns on PostgreSQL only): there the length is no difference (``storage.migrations.compare_type``)."""
    if engine.dialect.name == "sqlite" and isinstance(column_type, String) and not isinstance(column_type, Text):
        return "VARCHAR"
    return str(column_type)


def test_models_and_migrations_build_the_same_store(new_databases: Callable[[], Engine]) -> None:
    migrated, built = new_databases(), new_databases()
    upgrade(migrated, from_models=False)
    assert create_new(built)
    assert at_head(migrated) and at_head(built)
    expected = schema_of(migrated)
    assert {"feeds", "items", "matches", "stories", "deliveries", "alembic_version"} <= expected.keys()
    assert schema_of(built) == expected


def test_a_store_built_from_the_models_migrates_like_any_other(new_databases: Callable[[], Engine]) -> None:
    """The stamp is Alembic's: a built store goes down one revision and back up through the scripts."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    engine = new_databases()
    upgrade(engine)
    previous = ScriptDirectory.from_config(alembic_config(engine)).get_revision(script_head()).down_revision
    assert isinstance(previous, str)
    command.downgrade(alembic_config(engine), previous)
    assert not at_head(engine)
    upgrade(engine)
    assert at_head(engine)


def test_a_store_with_tables_is_left_to_the_migrations(new_databases: Callable[[], Engine]) -> None:
    engine = new_databases()
    with engine.begin() as c:
        c.execute(text("CREATE TABLE leftover (id INTEGER PRIMARY KEY)"))
    assert not create_new(engine)
    assert inspect(engine).get_table_names() == ["leftover"]  # nothing written


def test_two_starts_on_one_new_store_at_once_leave_one_store_at_the_head(
    new_databases: Callable[[], Engine],
) -> None:
    engine = new_databases()
    url = engine.url
    engines = [engine, make_engine(url.render_as_string(hide_password=False))]
    if engine.dialect.name == "postgresql":  # the second engine must see the same schema
        engines[1].dispose()
        engines[1] = engine
    start = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def begin(e: Engine) -> None:
        try:
            start.wait()
            upgrade(e)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=begin, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert at_head(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    with session(engine) as s:  # and it is a working store
        sync_feeds(s, [FeedSpec(id="f1", url="https://example.org/feed.xml", language="ar")])
        s.commit()
    if engines[1] is not engine:
        engines[1].dispose()


def test_a_new_store_is_created_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'raqib.db'}"
    code = (
        "import sys\n"
        "from storage.db import at_head, make_engine, upgrade\n"
        f"engine = make_engine({url!r})\n"
        "upgrade(engine)\n"
        "print(at_head(engine), sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True []"
