"""stories, item→story links and clustering signatures

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("source_name", sa.Text()))
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("first_published", UTCDateTime(), nullable=False),
        sa.Column("last_published", UTCDateTime(), nullable=False),
        sa.Column("lead_item_id", sa.Integer(), sa.ForeignKey("items.id", ondelete="SET NULL")),
        sa.Column("authority_item_id", sa.Integer(), sa.ForeignKey("items.id", ondelete="SET NULL")),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("source_count", sa.Integer(), nullable=False),
        sa.Column("languages", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16)),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
    )
    op.create_index("ix_stories_updated_at", "stories", ["updated_at"])
    op.create_index("ix_stories_first_published", "stories", ["first_published"])
    op.create_table(
        "story_items",
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_story_items_story_id", "story_items", ["story_id"])
    op.create_table(
        "item_signatures",
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("published", UTCDateTime(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("entities", sa.Text(), nullable=False),
        sa.Column("informative", sa.Boolean(), nullable=False),
        sa.Column("authority", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_item_signatures_published", "item_signatures", ["published"])


def downgrade() -> None:
    op.drop_table("item_signatures")
    op.drop_table("story_items")
    op.drop_table("stories")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("source_name")
