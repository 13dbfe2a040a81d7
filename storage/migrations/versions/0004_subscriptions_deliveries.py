"""subscriptions, the delivery outbox, named leases, and feed leases for scale-out

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("secret", sa.Text()),
        sa.Column("guild_id", sa.String(64)),
        sa.Column("title", sa.Text()),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("languages", sa.String(16), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=False),
        sa.Column("interface_language", sa.String(8), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(8), nullable=False),
        sa.Column("digest_day", sa.Integer(), nullable=False),
        sa.Column("digest_hour", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.Text()),
        sa.Column("watch_terms", sa.Text(), nullable=False),
        sa.Column("mute_terms", sa.Text(), nullable=False),
        sa.Column("mention_role", sa.String(64)),
        sa.Column("mention_severity", sa.String(16)),
        sa.Column("link_previews", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("platform", "target", name="uq_subscriptions_platform_target"),
    )
    op.create_index("ix_subscriptions_guild_id", "subscriptions", ["guild_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_id", sa.Integer(), sa.ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id", ondelete="SET NULL")),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("needs_edit", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt", UTCDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", UTCDateTime()),
        sa.Column("message_id", sa.String(128)),
        sa.Column("last_error", sa.Text()),
        sa.Column("payload", sa.Text()),
        sa.Column("resent_after_crash", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.UniqueConstraint("subscription_id", "key", name="uq_deliveries_subscription_key"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt"])
    op.create_index("ix_deliveries_story_id", "deliveries", ["story_id"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(64)))
        batch.add_column(sa.Column("lease_until", UTCDateTime()))
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("pruned_at", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("pruned_at")
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
    op.drop_table("leases")
    op.drop_table("deliveries")
    op.drop_table("subscriptions")
