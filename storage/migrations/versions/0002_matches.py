"""matches: the matcher's verdict per item, with topic and entity rows for queries

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _item_fk() -> sa.Column:
    return sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "matches",
        _item_fk(),
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("severity", sa.String(16)),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("entities", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("matched_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_matches_relevant", "matches", ["relevant"])
    for table, key in (("match_topics", "topic"), ("match_entities", "entity")):
        op.create_table(
            table,
            _item_fk(),
            sa.Column(key, sa.String(64), primary_key=True),
            sa.Column("published", UTCDateTime(), nullable=False),
        )
        op.create_index(f"ix_{table}_{key}_published", table, [key, "published"])


def downgrade() -> None:
    op.drop_table("match_entities")
    op.drop_table("match_topics")
    op.drop_table("matches")
