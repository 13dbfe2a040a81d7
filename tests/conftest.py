"""Shared fixtures: real SQLite files, the real PostgreSQL when TEST_DATABASE_URL is set, and a guard
that fails any test trying to open a socket beyond loopback."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from storage.db import make_engine, upgrade

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PG_URL = os.environ.get("TEST_DATABASE_URL")
PG_SKIP = "TEST_DATABASE_URL is not set"

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if ip is None or not ip.is_loopback:
            raise OSError(f"test tried to reach {host!r}: only loopback is allowed in tests")
    return _real_connect(self, address)


_real_getaddrinfo = socket.getaddrinfo


def _resolve_loopback_only(host: object, *args: object, **kwargs: object) -> object:
    # A DNS query is network traffic too: only loopback names and literal addresses resolve in tests.
    name = host.decode() if isinstance(host, bytes) else host
    if isinstance(name, str):
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            if name not in ("localhost", "localhost.localdomain"):
                raise socket.gaierror(socket.EAI_NONAME, f"test tried to resolve {name!r}: no DNS in tests") from None
    return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    monkeypatch.setattr(socket, "getaddrinfo", _resolve_loopback_only)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to the head, copied for each test: running the migrations costs ~0.15 s,
    a copy ~1 ms, and ~300 tests take a fresh store."""
    path = tmp_path_factory.mktemp("sqlite-template") / "raqib.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as c:
        # Everything into the main file, so that the file alone is the whole migrated store.
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return path


@pytest.fixture
def sqlite_engine(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "raqib.db"
    shutil.copyfile(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)  # at the head already: one query, and it keeps the fixture honest if that ever changes
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _pg_session_schema() -> Iterator[str]:
    """One schema on the real PostgreSQL for the whole run, migrated once (creating a schema and running the
    migrations took ~0.3 s for each of ~140 PostgreSQL tests); each test empties it first."""
    schema = _create_pg_schema()
    engine = make_engine(PG_URL or "", schema=schema)
    upgrade(engine)
    engine.dispose()
    yield schema
    _drop_pg_schema(schema)


def _create_pg_schema() -> str:
    """A new, empty schema on the real PostgreSQL (the test skips without one)."""
    if not PG_URL:
        pytest.skip(PG_SKIP)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    _on_pg_admin(f'CREATE SCHEMA "{schema}"')
    return schema


def _drop_pg_schema(schema: str) -> None:
    _on_pg_admin(f'DROP SCHEMA "{schema}" CASCADE')


def _on_pg_admin(statement: str) -> None:
    admin = make_engine(PG_URL or "")
    with admin.begin() as c:
        c.execute(text(statement))
    admin.dispose()


@pytest.fixture
def pg_schema(_pg_session_schema: str) -> Iterator[tuple[Engine, str]]:
    """An empty schema at the head on the real PostgreSQL: its engine, and a URL that puts a child process
    in it too. Every table but ``alembic_version`` is truncated before the test (identities restarted), so
    the test sees what a new schema would hold, whatever the test before it left."""
    schema = _pg_session_schema
    engine = make_engine(PG_URL or "", schema=schema)
    with engine.begin() as c:
        # A connection a previous test leaked inside a transaction would otherwise block this forever.
        c.execute(text("SET LOCAL lock_timeout = '60s'"))
        tables = c.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s AND tablename <> 'alembic_version'"),
            {"s": schema},
        ).scalars()
        names = ", ".join(f'"{schema}"."{t}"' for t in tables)
        if names:
            c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    upgrade(engine)  # at the head already: one query
    url = make_url(PG_URL or "").update_query_dict({"options": f"-csearch_path={schema}"})
    yield engine, url.render_as_string(hide_password=False)
    engine.dispose()


@pytest.fixture
def pg_engine(pg_schema: tuple[Engine, str]) -> Engine:
    return pg_schema[0]


def _postgres_skip(report: pytest.TestReport) -> bool:
    longrepr = report.longrepr
    return isinstance(longrepr, tuple) and len(longrepr) == 3 and PG_SKIP in str(longrepr[2])


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    """The PostgreSQL tests skipped for want of TEST_DATABASE_URL make one line, not one line each. They stay
    in the statistics, so pytest's closing "N passed, N skipped" line is unchanged."""
    skipped = terminalreporter.stats.get("skipped", [])
    folded = [r for r in skipped if _postgres_skip(r)]
    if folded:
        terminalreporter.stats["skipped"] = [r for r in skipped if not _postgres_skip(r)]
    try:
        return (yield)
    finally:
        if folded:
            terminalreporter.stats["skipped"] = skipped
            terminalreporter.write_line(
                f"SKIPPED {len(folded)} PostgreSQL tests: {PG_SKIP} (set it to a database URL to run them)"
            )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same storage tests run on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Engine]]:
    """Make engines on new, empty databases (nothing created, no migration applied): SQLite files, or fresh
    schemas on the real PostgreSQL, all removed after the test."""
    made: list[tuple[Engine, str | None]] = []

    def make() -> Engine:
        if request.param == "sqlite":
            engine = make_engine(f"sqlite:///{tmp_path / f'new-{len(made)}.db'}")
            made.append((engine, None))
            return engine
        schema = _create_pg_schema()
        engine = make_engine(PG_URL or "", schema=schema)
        made.append((engine, schema))
        return engine

    yield make
    for engine, schema in made:
        engine.dispose()
        if schema is not None:
            _drop_pg_schema(schema)


@pytest.fixture
def empty_engine(new_databases: Callable[[], Engine]) -> Engine:
    """An engine on an empty database (no migration applied yet), SQLite or a fresh PostgreSQL schema."""
    return new_databases()
