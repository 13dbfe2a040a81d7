"""SQLite: datetimes that ``storage.bulk`` wrote in the driver's form get SQLAlchemy's.

Until this revision the bulk inserts of match, topic, entity, signature and story-link rows left datetimes to
the sqlite3 module's adapter, which drops a zero microsecond part (``2026-11-20 12:00:00``) where SQLAlchemy
writes ``2026-11-20 12:00:00.000000``: the text compares lower, so a query bounded at that very second missed
the row. Values of 19 characters are given the six zeros; nothing else changes. PostgreSQL stores timestamps,
not text: nothing to do there.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("matches", "matched_at"),
    ("match_topics", "published"),
    ("match_entities", "published"),
    ("item_signatures", "published"),
    ("story_items", "joined_at"),
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table, column in _COLUMNS:
        bind.execute(
            sa.text(f"UPDATE {table} SET {column} = {column} || '.000000' WHERE length({column}) = 19")  # noqa: S608
        )


def downgrade() -> None:
    """Nothing to undo: both forms read back as the same datetime."""
