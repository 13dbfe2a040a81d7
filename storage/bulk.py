"""Bulk inserts of write-only rows, with the per-value cost paid once per distinct value.

A batch of feeds writes tens of thousands of side rows (a relevant item's topics and entities, signatures,
story links), most of them repeating a few values: every topic and entity row of an item carries its
publication time. A Core ``insert(table)`` executemany runs SQLAlchemy's parameter construction and each
column's bind processors (UTC normalisation, SQLite's datetime-to-text) on every value of every row: about a
third of the writer's CPU when every item is about the field (issue 14). Here the statement is compiled by
SQLAlchemy for the connection's dialect, each column's processor comes from its type as adapted to that
dialect (``TypeEngine.dialect_impl(dialect).bind_processor``, public API: the generic type's own processor
leaves out the dialect's, e.g. SQLite's datetime-to-text), runs once per distinct value, and the rows go to
the driver's ``executemany`` as they are: every value in the form SQLAlchemy itself would have written.

Falls back to the Core statement for a table whose missing columns have Python-side defaults (only SQLAlchemy
applies those) and for rows that do not all have the same keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect
from sqlmodel import Session

Processor = Callable[[Any], Any] | None


def insert_rows(s: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany INSERT of ``rows`` (dicts with the same keys) into ``table``, in ``s``'s transaction."""
    if not rows:
        return
    keys = tuple(rows[0])
    conn = s.connection()
    plan = _plan(table, keys, conn.dialect)
    if plan is None or any(len(r) != len(keys) for r in rows):
        s.execute(insert(table), list(rows))
        return
    sql, names, processors = plan
    values = _values(rows, keys, processors)
    if names is None:  # positional paramstyle (SQLite's qmark)
        params: list[Any] = values
    else:
        params = [dict(zip(names, row, strict=True)) for row in values]
    conn.exec_driver_sql(sql, params)


def insert_returning(s: Session, table: Table, rows: Sequence[dict[str, Any]], returning: Sequence[str]) -> list[Any]:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` and return the ``returning`` columns of each, in
    no particular order (SQLite does not promise the order of RETURNING rows).

    On a positional dialect (SQLite) the rows go in as multi-row ``VALUES`` statements built here, each value
    processed once per distinct value as in ``insert_rows``: SQLAlchemy's own insertmanyvalues path builds and
    processes every row's parameters anew, a fifth of what ``store_items`` cost the writer (issue 14).
    Elsewhere, and for rows only SQLAlchemy can insert (``_plan``), its ``INSERT … RETURNING``."""
    if not rows:
        return []
    keys = tuple(rows[0])
    conn = s.connection()
    plan = _plan(table, keys, conn.dialect)
    if plan is None or plan[1] is not None or any(len(r) != len(keys) for r in rows):
        statement = insert(table).returning(*(table.c[name] for name in returning))
        return list(s.execute(statement, list(rows)).tuples())
    sql, _, processors = plan
    head, _, group = sql.rpartition(" VALUES ")
    quote = conn.dialect.identifier_preparer.quote
    tail = " RETURNING " + ", ".join(quote(table.c[name].name) for name in returning)
    values = _values(rows, keys, processors)
    per_statement = max(1, min(_ROWS_PER_STATEMENT, _MAX_PARAMETERS // len(keys)))
    out: list[Any] = []
    for start in range(0, len(values), per_statement):
        chunk = values[start : start + per_statement]
        statement_sql = f"{head} VALUES {', '.join([group] * len(chunk))}{tail}"
        params = tuple(v for row in chunk for v in row)
        out += conn.exec_driver_sql(statement_sql, params).all()
    return out


# SQLite's default limit of parameters per statement is 32,766 (999 before 3.32); 500 rows of an item's 16
# columns stay well within it.
_MAX_PARAMETERS = 32_000
_ROWS_PER_STATEMENT = 500


def _values(rows: Sequence[dict[str, Any]], keys: tuple[str, ...], processors: list[Processor]) -> list[Any]:
    """Each row's values in ``keys`` order, as the driver takes them (each column's processor applied)."""
    columns = [_processed([r[k] for r in rows], p) for k, p in zip(keys, processors, strict=True)]
    return list(zip(*columns, strict=True))


def _processed(values: list[Any], processor: Processor) -> list[Any]:
    if processor is None:
        return values
    done: dict[Any, Any] = {}
    out = []
    for v in values:
        key = (type(v), v)  # True == 1 == 1.0: one value per type
        try:
            p = done[key]
        except KeyError:
            p = done[key] = processor(v)
        except TypeError:  # unhashable: processed every time
            p = processor(v)
        out.append(p)
    return out


_plans: dict[tuple[Table, str, tuple[str, ...]], tuple[str, tuple[str, ...] | None, list[Processor]] | None] = {}


def _plan(
    table: Table, keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, tuple[str, ...] | None, list[Processor]] | None:
    """The compiled statement, its parameter names in ``keys`` order (None: positional) and each key's
    processor; None when only SQLAlchemy can insert these rows (a missing column with a Python default)."""
    cache_key = (table, dialect.name, keys)
    if cache_key in _plans:
        return _plans[cache_key]
    plan: tuple[str, tuple[str, ...] | None, list[Processor]] | None = None
    missing_defaults = [c for c in table.columns if c.key not in keys and (c.default is not None or c.onupdate)]
    if not missing_defaults and all(k in table.c for k in keys):
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        processors: list[Processor] = [table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys]
        if compiled.positional:
            order = compiled.positiontup or []
            if list(order) == list(keys):
                plan = (str(compiled), None, processors)
        else:
            plan = (str(compiled), tuple(compiled.binds[k].key for k in keys), processors)
    _plans[cache_key] = plan
    return plan
