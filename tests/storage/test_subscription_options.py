"""Migration 0010: Discord's columns and the webhook JSON in ``title`` move into ``subscriptions.options``, on
SQLite and PostgreSQL, and back on a downgrade."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from bot.adapters.discord.options import DiscordOptions
from storage.db import alembic_config, upgrade

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LOOK = json.dumps({"username": "Raqib News", "avatar_url": "https://img.example/r.png"})
OLD = [  # platform, target, guild_id, title, mention_role, mention_severity
    ("discord", "555", "g1", None, "777", "high"),
    ("discord-webhook", "webhook:1", None, LOOK, None, None),
    ("discord-webhook", "webhook:2", None, json.dumps({"username": "Only a name", "avatar_url": None}), None, None),
    ("telegram", "-100", None, None, None, None),
    ("discord", "556", "g1", "not json", None, None),
]


def _options(engine: Engine) -> dict[str, str]:
    with engine.connect() as c:
        return dict(c.execute(text("SELECT target, options FROM subscriptions")).tuples().all())


def test_old_rows_move_into_options_and_back(engine: Engine) -> None:
    command.downgrade(alembic_config(engine), "0009")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO subscriptions (platform, target, guild_id, title, mention_role, mention_severity,"
                " topics, languages, min_score, min_severity, interface_language, timezone, digest, digest_day,"
                " digest_hour, paused, watch_terms, mute_terms, link_previews, trend_alerts, created_at, updated_at)"
                " VALUES (:p, :t, :g, :ti, :r, :s, '', 'ar en', 0, 'normal', 'en', 'UTC', 'off', 0, 8, false,"
                " '[]', '[]', false, false, :now, :now)"
            ),
            [dict(zip(("p", "t", "g", "ti", "r", "s"), row, strict=True), now=NOW) for row in OLD],
        )
    upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("subscriptions")}
    assert "options" in columns and not columns & {"guild_id", "title", "mention_role", "mention_severity"}
    stored = _options(engine)
    assert json.loads(stored["555"]) == {"guild_id": "g1", "mention_role": "777", "mention_severity": "high"}
    assert json.loads(stored["webhook:1"]) == json.loads(LOOK)
    assert json.loads(stored["webhook:2"]) == {"username": "Only a name"}
    assert stored["-100"] == "{}" and json.loads(stored["556"]) == {"guild_id": "g1"}
    # what the notifiers are handed is what the old columns said
    channel = DiscordOptions.parse(stored["555"]).target()
    assert channel.mention_role_id == 777 and channel.mention_severities == frozenset({"high", "critical"})
    hook = DiscordOptions.parse(stored["webhook:1"]).target()
    assert (hook.username, hook.avatar_url, hook.mention_role_id) == ("Raqib News", "https://img.example/r.png", None)

    command.downgrade(alembic_config(engine), "0009")
    with engine.connect() as c:
        rows = c.execute(
            text("SELECT target, guild_id, title, mention_role, mention_severity FROM subscriptions")
        ).tuples()
        back = {r[0]: r[1:] for r in rows}
    assert back["555"] == ("g1", None, "777", "high") and back["-100"] == (None, None, None, None)
    assert back["webhook:1"][1] is not None and json.loads(back["webhook:1"][1]) == json.loads(LOOK)
    upgrade(engine)
