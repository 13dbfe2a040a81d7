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

# (table, column) written by the bulk path; one literal statement each (no SQL is built by formatting)
_STATEMENTS = (
    "UPDATE matches SET matched_at = matched_at || '.000000' WHERE length(matched_at) = 19",
    "UPDATE match_topics SET published = published || '.000000' WHERE length(published) = 19",
    "UPDATE match_entities SET published = published || '.000000' WHERE length(published) = 19",
    "UPDATE item_signatures SET published = published || '.000000' WHERE length(published) = 19",
    "UPDATE story_items SET joined_at = joined_at || '.000000' WHERE length(joined_at) = 19",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for statement in _STATEMENTS:
        bind.execute(sa.text(statement))


def downgrade() -> None:
    """Nothing to undo: both forms read back as the same datetime."""
