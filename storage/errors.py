"""Database errors described for a feed row, a log line or a chat: what failed, never the data.

``str()`` of a SQLAlchemy error carries the statement and its parameters, i.e. item titles, links and
text from a hostile feed. A stored ``last_error`` is shown in ``/feeds`` and ``raqib feeds check``, so it
holds only the error class, the SQLSTATE and the server's primary message (which names types, columns
and constraints; a quoted part longer than an SQL identifier can be is a value, and is elided).
"""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError, StatementError

_IDENTIFIER_MAX = 63  # PostgreSQL's NAMEDATALEN - 1: anything quoted and longer is not a name
_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')


def _elide_values(message: str) -> str:
    return _QUOTED.sub(lambda m: m.group(0) if len(m.group(0)) - 2 <= _IDENTIFIER_MAX else "«…»", message)


def describe_db_error(exc: BaseException) -> str:
    """One line naming the failure: ``DataError (22001): value too long for type character varying(64)``."""
    if isinstance(exc, StatementError):
        orig = exc.orig
        name = type(orig).__name__ if orig is not None else type(exc).__name__
        diag = getattr(orig, "diag", None)
        primary = getattr(diag, "message_primary", None) if diag is not None else None
        sqlstate = getattr(orig, "sqlstate", None)
        if primary is None and orig is not None:
            # SQLite and other drivers: their message is the first line of str(orig), without parameters
            primary = (str(orig).splitlines() or [""])[0]
        if primary is None and not isinstance(exc, DBAPIError):
            primary = "could not bind a parameter"  # StatementError's own text quotes the parameter
        code = f" ({sqlstate})" if sqlstate else ""
        return f"{name}{code}: {_elide_values(primary or '')[:300]}".rstrip(": ")
    return f"{type(exc).__name__}: {_elide_values((str(exc).splitlines() or [''])[0])[:300]}".rstrip(": ")
