"""feeds.flood_polls, flood_items, flooded_at: polls judged floods, the items they brought and when, left out of the
feed's usual rate so that a feed which keeps flooding stays flagged (bot.deliver.caps)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("flood_polls", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("flood_items", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("flooded_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("flooded_at")
        batch.drop_column("flood_items")
        batch.drop_column("flood_polls")
