"""``raqib items`` and ``raqib db``: the store read and upgraded from the shell."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from bot.cli.commands import feeds_file
from bot.log import REDACT

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.config import Env
    from storage.tables import ItemRow


def _with_stories(s: Session, items: list[ItemRow]) -> list[tuple[ItemRow, int | None, int]]:
    """Each item with its story (None when it is in none) and the number of reports in that story."""
    from sqlmodel import col, select

    from storage.tables import Story, StoryItem

    ids = [r.id for r in items if r.id is not None]
    found = s.exec(
        select(StoryItem.item_id, Story.id, Story.member_count)
        .join(Story, col(Story.id) == col(StoryItem.story_id))
        .where(col(StoryItem.item_id).in_(ids))
    ).all()
    story_of: dict[int | None, tuple[int | None, int]] = {item_id: (sid, int(n or 1)) for item_id, sid, n in found}
    return [(r, *story_of.get(r.id, (None, 1))) for r in items]


def cmd_items(args: argparse.Namespace, env: Env) -> int:
    from bot.app import open_database
    from storage.db import session
    from storage.queries import recent_items, recent_leads

    engine = open_database(feeds_file(args, env), env)
    with session(engine) as s:
        if args.all:
            rows = _with_stories(s, recent_items(s, feed_id=args.feed, limit=args.limit))
        else:
            rows = recent_leads(s, feed_id=args.feed, limit=args.limit)
    for r, story, reports in rows:
        if args.json:
            obj = {
                "id": r.id,
                "feed": r.feed_id,
                "guid": r.guid,
                "url": r.url,
                "title": r.title,
                "language": r.language,
                "published": r.published.isoformat(),
                "story": story,
                "reports": reports,
            }
            print(json.dumps(obj, ensure_ascii=False))
        else:
            also = f"  (+{reports - 1} more reports)" if reports > 1 else ""
            print(f"{r.published:%Y-%m-%d %H:%M} [{r.feed_id}] {r.title}{also}\n    {r.url or ''}")
    return 0


def cmd_db(args: argparse.Namespace, env: Env) -> int:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from bot.app import database_url
    from bot.config import FeedsFile, config_path, load_config
    from storage.db import alembic_config, make_engine, upgrade

    # The database needs no feeds: without a feeds file the defaults (SQLite in ./data) apply, unless
    # --config or RAQIB_CONFIG names a file, which must then exist.
    path = config_path(args.config, env)
    named = args.config is not None or env.raqib_config is not None
    config = load_config(path) if named or path.exists() else FeedsFile()
    url = database_url(config, env)
    engine = make_engine(url)
    try:

        def current() -> str | None:
            with engine.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()

        before = current()
        upgrade(engine, from_models=False)  # the command applies the migrations, and lists them
        after = current()
        script = ScriptDirectory.from_config(alembic_config(engine))
        applied = [] if before == after else list(reversed(list(script.iterate_revisions(after, before))))
    finally:
        engine.dispose()
    where = REDACT(url)
    if not applied:
        print(f"database is up to date at revision {after} ({where}): nothing to apply")
        return 0
    print(f"applied {len(applied)} migration{'s' if len(applied) != 1 else ''} to {where}:")
    for rev in applied:
        print(f"  {rev.revision}  {(rev.doc or '').splitlines()[0] if rev.doc else ''}".rstrip())
    print(f"database is now at revision {after}")
    return 0
