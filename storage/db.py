"""The engine: SQLite by default (a file under the data folder, WAL, foreign keys on), PostgreSQL
when ``DATABASE_URL`` says so. ``upgrade()`` builds a new store or applies the Alembic migrations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:None|[\"']([^\"']+)[\"'])\s*$", re.M)


def default_url(data_dir: str | Path = "data") -> str:
    return f"sqlite:///{Path(data_dir) / 'raqib.db'}"


SQLITE_CACHE_KIB = 1024  # page cache per connection


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    # Each pooled connection keeps its own page cache, filling as the store grows (SQLite's default: 2 MiB):
    # most of a service's slow RSS growth over a simulated week (bench/README, Memory). 1 MiB halves that
    # bound at no measurable cost to the writer (a 500-feed cycle); 256 KiB cost it 14 %.
    cur.execute("PRAGMA cache_size=-1024")  # SQLITE_CACHE_KIB (no SQL is built by formatting)
    cur.close()


def make_engine(url: str, *, schema: str | None = None) -> Engine:
    """``schema`` (PostgreSQL only) puts every table in that schema: tests use one per run."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # psycopg 3 is the driver we install; plain postgresql:// would ask for psycopg2.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    connect_args = {"options": f"-c search_path={schema}"} if schema else {}
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args=connect_args)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head", *, from_models: bool = True) -> None:
    """Bring the schema to ``revision``; safe to call at every start.

    Every command calls this at start; a store already at the head is seen with one query and Alembic is not
    even imported (0.1 s of imports and ~0.1 s of reading the migration scripts, paid by every
    ``raqib poll --once``). A new, empty store is built from the models and stamped at the head
    (``create_new``) unless ``from_models`` is False; a store behind the head goes through the migrations."""
    if revision == "head" and at_head(engine):
        return
    if revision == "head" and from_models and create_new(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


# Alembic's own table, as its migrations create it.
_VERSION_TABLE = (
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
)


def create_new(engine: Engine) -> bool:
    """Build an empty database's schema from the models and stamp it at the head, in one transaction:
    Alembic's recipe for a database created from scratch. Running the eleven migrations on empty tables was
    ~0.3 s of a first start (most of it importing Alembic); tests hold the two schemas equal.

    False, with nothing written, when the database already has a table (it is migrated instead), when the
    scripts' head is in doubt, or when another process created the store meanwhile (PostgreSQL: its
    transaction commits first and ours fails; SQLite: ``BEGIN IMMEDIATE`` makes the second wait, then see it).
    """
    head = script_head()
    if head is None:
        return False
    from sqlmodel import SQLModel

    import storage.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

    try:
        with engine.connect() as conn:
            if is_sqlite(engine):
                # pysqlite opens no transaction before DDL: one for the whole schema, and one creator at a time.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            if inspect(conn).get_table_names():
                conn.rollback()
                return False
            SQLModel.metadata.create_all(conn)
            conn.execute(text(_VERSION_TABLE))
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head})
            conn.commit()
    except DBAPIError:  # created by another process meanwhile (or not creatable): the migrations decide
        return False
    return True


def script_head() -> str | None:
    """The head revision of ``migrations/versions`` read from the scripts' ``revision`` / ``down_revision``
    lines; None when that is not one plain chain (branches, merges, an unusual script): Alembic decides."""
    revisions: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        if path.name == "__init__.py":
            continue
        found = dict((key, value or None) for key, value in _REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found or "down_revision" not in found or found["revision"] in revisions:
            return None
        revisions[found["revision"]] = found["down_revision"]
    parents = set(revisions.values())
    heads = [r for r in revisions if r not in parents]
    roots = [r for r, down in revisions.items() if down is None]
    if len(heads) != 1 or len(roots) != 1 or not parents - {None} <= revisions.keys():
        return None
    return heads[0]


def at_head(engine: Engine) -> bool:
    """True when the store's ``alembic_version`` names the scripts' head (False on any doubt)."""
    head = script_head()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            stored = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    except DBAPIError:  # no such table yet: a new store
        return False
    return stored == [head]


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)
