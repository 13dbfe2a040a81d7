"""subscriptions.options: a platform's own settings as one JSON object, parsed by that platform's adapter.

Discord's server (guild_id), the role to mention and from which severity (mention_role, mention_severity), and a
webhook's name and avatar (the JSON ``title`` held) move into it; the four columns go. Keys a platform does not
set are left out, so a chat that had none of them gets ``{}``.

Revision ID: 0010
Revises: 0009
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_LOOK = ("username", "avatar_url")  # the keys the webhook JSON in ``title`` held


def _options(guild_id: Any, mention_role: Any, mention_severity: Any, title: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(title, str) and title.startswith("{"):  # nothing but the webhook JSON was ever written there
        try:
            look = json.loads(title)
        except ValueError:
            look = {}
        if isinstance(look, dict):
            out.update({k: look[k] for k in _LOOK if isinstance(look.get(k), str) and look[k]})
    for key, value in (("guild_id", guild_id), ("mention_role", mention_role), ("mention_severity", mention_severity)):
        if value:
            out[key] = str(value)
    return out


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("options", sa.Text(), nullable=False, server_default="{}"))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, guild_id, mention_role, mention_severity, title FROM subscriptions"
            " WHERE guild_id IS NOT NULL OR mention_role IS NOT NULL OR mention_severity IS NOT NULL"
            " OR title IS NOT NULL"
        )
    ).all()
    changed = [{"id": r[0], "options": json.dumps(_options(*r[1:]), ensure_ascii=False)} for r in rows]
    if changed:
        bind.execute(sa.text("UPDATE subscriptions SET options = :options WHERE id = :id"), changed)
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_index("ix_subscriptions_guild_id")
        batch.drop_column("guild_id")
        batch.drop_column("title")
        batch.drop_column("mention_role")
        batch.drop_column("mention_severity")


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("guild_id", sa.String(64)))
        batch.add_column(sa.Column("title", sa.Text()))
        batch.add_column(sa.Column("mention_role", sa.String(64)))
        batch.add_column(sa.Column("mention_severity", sa.String(16)))
        batch.create_index("ix_subscriptions_guild_id", ["guild_id"])
    bind = op.get_bind()
    back = []
    for sub_id, raw in bind.execute(sa.text("SELECT id, options FROM subscriptions WHERE options != '{}'")).all():
        try:
            opts = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(opts, dict):
            continue
        look = {k: opts.get(k) for k in _LOOK}
        back.append(
            {
                "id": sub_id,
                "guild_id": opts.get("guild_id"),
                "mention_role": opts.get("mention_role"),
                "mention_severity": opts.get("mention_severity"),
                "title": json.dumps(look) if any(look.values()) else None,
            }
        )
    if back:
        bind.execute(
            sa.text(
                "UPDATE subscriptions SET guild_id = :guild_id, mention_role = :mention_role,"
                " mention_severity = :mention_severity, title = :title WHERE id = :id"
            ),
            back,
        )
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("options")
