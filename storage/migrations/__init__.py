"""One Alembic history for SQLite and PostgreSQL (``env.py``, ``versions/``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Text


def compare_type(
    context: Any, inspected_column: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    """Autogenerate's type comparison, except that on SQLite a VARCHAR's length is no difference.

    SQLite ignores the number in ``VARCHAR(n)`` (it stores strings of any length), and changing it would mean
    copying the table, so the SQLite schema keeps the lengths it was created with (see 0006).
    """
    # SQLModel's str columns are AutoString, a TypeDecorator over String
    declared = getattr(metadata_type, "impl", metadata_type)
    varchars = [t for t in (inspected_type, declared) if isinstance(t, String) and not isinstance(t, Text)]
    if context.dialect.name == "sqlite" and len(varchars) == 2:
        return False
    return None  # None: Alembic's own comparison decides
