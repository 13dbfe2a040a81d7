"""The engine: SQLite by default (a file under the data folder, WAL, foreign keys on), PostgreSQL
when ``DATABASE_URL`` says so. ``upgrade()`` applies the Alembic migrations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
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


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe to call at every start.

    Every command calls this at start; a store already at the head is seen with one query and Alembic is not
    even imported (0.1 s of imports and ~0.1 s of reading the migration scripts, paid by every
    ``raqib poll --once``)."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


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
