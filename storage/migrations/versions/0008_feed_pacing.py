"""feeds: the pace of the last poll and the feed's own ask (Cache-Control, Expires, <ttl>, sy:updatePeriod)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COLUMNS = ("poll_interval", "paced_by", "paced_asks", "document_asks", "document_asks_by")


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("poll_interval", sa.Float(), nullable=True))
        batch.add_column(sa.Column("paced_by", sa.String(32), nullable=True))
        batch.add_column(sa.Column("paced_asks", sa.Float(), nullable=True))
        batch.add_column(sa.Column("document_asks", sa.Float(), nullable=True))
        batch.add_column(sa.Column("document_asks_by", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        for name in _COLUMNS:
            batch.drop_column(name)
