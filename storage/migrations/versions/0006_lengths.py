"""lengths the code relies on: canonical URLs up to 8,192 characters (hash index), delivery keys up to 128

Revision ID: 0006
Revises: 0005

``items.canonical_url`` was VARCHAR(2048) while links up to 8,192 characters are accepted: on PostgreSQL a
3,000-character link failed every poll of its feed. A B-tree entry cannot hold such a value either (about
2,700 bytes at most), and the column is only ever compared for equality, so its index becomes a hash index.
``deliveries.key`` holds ``disabled:<feed id, up to 64>:<hour>`` and ``trend:<kind>:<id>:<day>``, longer
than 64. SQLite enforces no length, and changing a column type there means copying the table (with
foreign keys on, dropping the old ``items`` would cascade), so SQLite keeps its declared types.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_items_canonical_url", table_name="items")
    op.alter_column("items", "canonical_url", type_=sa.String(8192), existing_type=sa.String(2048))
    op.create_index("ix_items_canonical_url", "items", ["canonical_url"], postgresql_using="hash")
    op.alter_column("deliveries", "key", type_=sa.String(128), existing_type=sa.String(64), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_items_canonical_url", table_name="items")
    # values longer than the old limits cannot go back: they are cut (canonical URLs are comparison keys)
    op.execute("UPDATE items SET canonical_url = NULL WHERE length(canonical_url) > 2048")
    op.alter_column("items", "canonical_url", type_=sa.String(2048), existing_type=sa.String(8192))
    op.create_index("ix_items_canonical_url", "items", ["canonical_url"])
    op.execute("UPDATE deliveries SET key = left(key, 64) WHERE length(key) > 64")
    op.alter_column("deliveries", "key", type_=sa.String(64), existing_type=sa.String(128), existing_nullable=False)
