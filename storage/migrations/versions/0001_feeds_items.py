"""feeds and items

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("configured_url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("authority", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text()),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_attempt", UTCDateTime()),
        sa.Column("last_success", UTCDateTime()),
        sa.Column("next_poll", UTCDateTime()),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_error_code", sa.String(64)),
        sa.Column("last_error", sa.Text()),
        sa.Column("polls", sa.Integer(), nullable=False),
    )
    op.create_index("ix_feeds_next_poll", "feeds", ["next_poll"])
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("feed_id", sa.String(64), sa.ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
        sa.Column("identity", sa.String(512), nullable=False),
        sa.Column("guid", sa.Text()),
        sa.Column("url", sa.Text()),
        sa.Column("canonical_url", sa.String(2048)),
        sa.Column("source_url", sa.Text()),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("published", UTCDateTime(), nullable=False),
        sa.Column("fetched", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime()),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("feed_id", "identity", name="uq_items_feed_identity"),
    )
    op.create_index("ix_items_published", "items", ["published"])
    op.create_index("ix_items_canonical_url", "items", ["canonical_url"])
    op.create_index("ix_items_content_hash", "items", ["content_hash"])
    op.create_index("ix_items_feed_published", "items", ["feed_id", "published"])


def downgrade() -> None:
    op.drop_table("items")
    op.drop_table("feeds")
