"""The ``raqib`` command."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.log import REDACT, setup_logging

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.config import Env, FeedsFile
    from storage.tables import ItemRow

# bot.config (pydantic-settings, ~0.1 s to import) is imported by the commands that read settings, not
# here: `raqib match` / `raqib classify` are text in, text out, and start in well under a second.


def _config(args: argparse.Namespace, env: Env) -> FeedsFile:
    from bot.config import config_path, load_config

    return load_config(config_path(args.config, env))


def _progress(total: int, enabled: bool):  # type: ignore[no-untyped-def]
    done = 0

    def tick(result: object) -> None:
        nonlocal done
        done += 1
        if enabled:
            r = result
            print(f"\r[{done}/{total}] {r.feed_id[:40]:<40} {r.status:<12}", end="", file=sys.stderr)  # type: ignore[attr-defined]
            if done == total:
                print(file=sys.stderr)

    return tick


def cmd_poll(args: argparse.Namespace, env: Env) -> int:
    # The imports and the feeds file leave ~100,000 objects that live as long as the process: collections
    # during the imports, and every full collection of the cycle, would walk them all (~0.2 s of a warm
    # 500-feed ``poll --once``). None is run meanwhile, and they are then frozen out of the collector's sight.
    gc.disable()
    try:
        from bot.app import services
        from bot.deliver.console import ConsoleSink
        from bot.feedtools import describe_pacing

        config = _config(args, env)
        gc.freeze()
    finally:
        gc.enable()

    async def go() -> list:  # type: ignore[type-arg]
        sink = None if args.json else ConsoleSink()
        async with services(config, env, sink=sink) as svc:
            ids = [f.id for f in config.feeds if f.enabled]
            return await svc.pipeline.poll_once(ids, _progress(len(ids), sys.stderr.isatty() and not args.json))

    try:
        results = asyncio.run(go())
    finally:
        gc.unfreeze()  # in sight again: tests (and anything else) may call main() in a process that goes on
    for r in results:
        # Errors quote the feed URL, which may carry credentials (http://user:password@host/feed).
        if args.json:
            print(REDACT(json.dumps(r.as_dict(), ensure_ascii=False)))
        elif r.status == "failed":
            print(REDACT(f"{r.feed_id}: failed — {r.error} [{r.error_code}]"))
        else:
            # only a feed that asked for its own pace says so: the rest keep their configured interval
            paced = f", polled {describe_pacing(r.pacing)}" if r.pacing and r.pacing.ask else ""
            print(f"{r.feed_id}: {r.status} ({r.new} new, {r.updated} updated, {r.relevant} relevant){paced}")
            if r.warning:  # polled, but something a reader would see is wrong (garbled text)
                print(f"    warning: {r.warning}")
    if not args.json:
        failed = sum(r.status == "failed" for r in results)
        print(f"cycle complete: {len(results)} feeds, {failed} failed, {sum(r.new for r in results)} new items")
    return 0


def cmd_run(args: argparse.Namespace, env: Env) -> int:
    from bot.app import run_service
    from bot.config import config_path, load_config
    from bot.service.roles import ServiceError

    path = config_path(args.config, env)
    try:
        asyncio.run(run_service(load_config(path), env, config_path=path, role=args.role))
    except ServiceError as exc:
        print(f"raqib: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_reload(args: argparse.Namespace, env: Env) -> int:
    from bot.service.pidfile import reload_running
    from bot.service.roles import ServiceError

    try:
        print(reload_running(_config(args, env)))
    except ServiceError as exc:
        print(f"raqib: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_subscribe(args: argparse.Namespace, env: Env) -> int:
    from bot import subscribe_cli

    return subscribe_cli.subscribe(_config(args, env), env, args)


def cmd_digest(args: argparse.Namespace, env: Env) -> int:
    from bot.digest import cli as digest_cli

    return digest_cli.run(_config(args, env), env, args)


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
    story_of = {item_id: (story_id, int(n or 1)) for item_id, story_id, n in found}
    return [(r, *story_of.get(r.id, (None, 1))) for r in items]  # type: ignore[arg-type]


def cmd_items(args: argparse.Namespace, env: Env) -> int:
    from bot.app import open_database
    from storage import repositories as repo
    from storage.db import session

    engine = open_database(_config(args, env), env)
    with session(engine) as s:
        if args.all:
            rows = _with_stories(s, repo.recent_items(s, feed_id=args.feed, limit=args.limit))
        else:
            rows = repo.recent_leads(s, feed_id=args.feed, limit=args.limit)
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
        upgrade(engine)
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


def cmd_config(args: argparse.Namespace, env: Env | None) -> int:
    from bot.config import ConfigError, config_path, load_config, replace_reference, settings_reference

    if args.action == "reference":
        if args.readme:
            readme = Path(args.readme)
            text = readme.read_text(encoding="utf-8")
            try:
                updated = replace_reference(text)
            except ConfigError as exc:
                print(f"raqib: {exc}", file=sys.stderr)
                return 2
            if updated != text:
                readme.write_text(updated, encoding="utf-8")
                print(f"{readme}: settings reference updated")
            else:
                print(f"{readme}: settings reference already up to date")
            return 0
        sys.stdout.write(settings_reference())
        return 0
    if env is None:  # main() reads the environment for every action but ``reference`` (_no_settings)
        raise RuntimeError("config check needs the environment")
    path = config_path(args.config, env)
    config = load_config(path)
    subs = len(config.subscriptions)
    enabled = sum(f.enabled for f in config.feeds)
    print(
        f"{path}: valid — {len(config.feeds)} feed{'s' if len(config.feeds) != 1 else ''} ({enabled} enabled), "
        f"{subs} subscription{'s' if subs != 1 else ''}" + (", a lexicon extension" if config.lexicon else "")
    )
    return 0


def cmd_feeds(args: argparse.Namespace, env: Env) -> int:
    from bot import feedtools
    from bot.config import config_path

    if args.action == "import":
        path = config_path(args.config, env)
        return feedtools.import_opml(Path(args.file), path, args.language, args.write, env=env)
    config = _config(args, env)
    if args.action == "export":
        sys.stdout.write(feedtools.export_opml(config, feedtools.urls_in_use(config, env)))
        return 0
    if args.action == "enable":
        return feedtools.enable(config, env, args.feed_id)
    return feedtools.check(config, env, as_json=args.json)


def cmd_demo(args: argparse.Namespace, env: Env) -> int:
    from bot.demo.run import run_demo

    return run_demo(keep=args.keep)


def cmd_classify(args: argparse.Namespace, env: Env | None) -> int:
    from bot.match import classify_json_lines

    classify_json_lines(sys.stdin, sys.stdout)
    return 0


def cmd_match(args: argparse.Namespace, env: Env | None) -> int:
    from bot.match import explain

    text = " ".join(args.text) if args.text else sys.stdin.read()
    print(explain(text, ansi=sys.stdout.isatty()))
    return 0


def _common(parser: argparse.ArgumentParser, default: object) -> None:
    """Options taken before or after the subcommand (``raqib --config F poll`` = ``raqib poll --config F``)."""
    parser.add_argument("--config", default=default, help="feeds file (default: $RAQIB_CONFIG or ./feeds.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", default=default, help="debug logging")
    parser.add_argument("--log-json", action="store_true", default=default, help="log one JSON object per line")


class _Sub(argparse._SubParsersAction):  # type: ignore[type-arg]
    """Every subcommand (and sub-subcommand) also takes the common options; given there, they win."""

    def add_parser(self, name: str, **kwargs: object) -> argparse.ArgumentParser:
        parser = super().add_parser(name, **kwargs)  # type: ignore[arg-type]
        parser.register("action", "parsers", _Sub)
        _common(parser, argparse.SUPPRESS)  # not given after the subcommand: the value before it stands
        return parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="raqib", description="Watch Arabic and English chip-policy news.")
    p.register("action", "parsers", _Sub)
    p.set_defaults(config=None, verbose=False, log_json=False)
    _common(p, None)
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="offline demo on bundled sample feeds")
    d.add_argument("--keep", action="store_true", help="keep the demo database")
    d.set_defaults(func=cmd_demo)

    poll = sub.add_parser("poll", help="poll every feed")
    poll.add_argument("--once", action="store_true", required=True, help="one cycle, then exit")
    poll.add_argument("--json", action="store_true", help="one JSON object per feed")
    poll.set_defaults(func=cmd_poll)

    run = sub.add_parser("run", help="run the service")
    run.add_argument(
        "--role",
        default="all",
        choices=["all", "poller", "dispatcher", "chat"],
        help="what this process does (several processes need PostgreSQL)",
    )
    run.set_defaults(func=cmd_run)
    sub.add_parser("reload", help="make the running service reread its feeds file").set_defaults(func=cmd_reload)

    sb = sub.add_parser("subscribe", help="subscribe a console, Telegram chat or Discord webhook from the shell")
    sb.add_argument("platform", choices=["console", "telegram", "discord", "discord-webhook"])
    sb.add_argument("target", help="chat id, channel id, or the webhook URL")
    sb.add_argument("--topics", default="", help="comma-separated topic ids or names (default: all)")
    sb.add_argument("--lang", choices=["ar", "en"], default="en", help="language of the messages")
    sb.add_argument("--name", help="webhook: the name shown as the poster")
    sb.add_argument("--avatar", help="webhook: avatar image URL")
    sb.set_defaults(func=cmd_subscribe)

    dg = sub.add_parser("digest", help="render a digest from the store")
    dg.add_argument("--since", default="7d", help="period, e.g. 7d or 24h")
    dg.add_argument("--topics", default="", help="comma-separated topics (default: all)")
    dg.add_argument("--lang", choices=["ar", "en"], default="en")
    dg.add_argument("--format", choices=["md", "html", "png", "json"], default="md")
    dg.add_argument("--out", help="write to this file instead of standard output")
    dg.set_defaults(func=cmd_digest)

    items = sub.add_parser("items", help="list stored items, newest first")
    items.add_argument("--feed")
    items.add_argument("--limit", type=int, default=20)
    items.add_argument("--json", action="store_true")
    items.add_argument("--all", action="store_true", help="every stored item, duplicates included")
    items.set_defaults(func=cmd_items)

    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    db.set_defaults(func=cmd_db)

    feeds = sub.add_parser("feeds", help="check, import or export feeds")
    fsub = feeds.add_subparsers(dest="action", required=True)
    check = fsub.add_parser("check", help="fetch each feed once and report its health")
    check.add_argument("--json", action="store_true")
    imp = fsub.add_parser("import", help="add the feeds of an OPML file")
    imp.add_argument("file")
    imp.add_argument("--language", choices=["ar", "en"], help="language of feeds whose script is unclear")
    imp.add_argument("--write", action="store_true", help="append to the feeds file (default: print YAML)")
    fsub.add_parser("export", help="print the feeds as OPML")
    en = fsub.add_parser("enable", help="re-enable a feed that was disabled after failures")
    en.add_argument("feed_id")
    feeds.set_defaults(func=cmd_feeds)

    cf = sub.add_parser("config", help="check the feeds file, or print the settings reference")
    csub = cf.add_subparsers(dest="action", required=True)
    csub.add_parser("check", help="validate the feeds file and say what it holds")
    ref = csub.add_parser("reference", help="print every setting with its default (the README's table)")
    ref.add_argument("--readme", help="rewrite the table between the markers in this README instead")
    cf.set_defaults(func=cmd_config)

    sub.add_parser("classify", help="classify JSON lines from stdin").set_defaults(func=cmd_classify)
    m = sub.add_parser("match", help="explain what the matcher sees in a text")
    m.add_argument("text", nargs="*")
    m.set_defaults(func=cmd_match)
    return p


def _no_settings(args: argparse.Namespace) -> bool:
    """The matcher alone, or the reference: no settings, secrets or database."""
    return args.func in (cmd_match, cmd_classify) or (args.func is cmd_config and args.action == "reference")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging("DEBUG" if args.verbose else "INFO", as_json=args.log_json)
    if _no_settings(args):
        return int(args.func(args, None))
    from pydantic import ValidationError

    from bot.config import ConfigError, Env, describe_env_error

    try:
        env = Env()
    except ValidationError as exc:  # a malformed environment variable (or .env line)
        for line in describe_env_error(exc):
            print(f"raqib: bad environment: {REDACT(line)}", file=sys.stderr)
        return 2
    except Exception as exc:  # pydantic-settings' own errors (an unreadable .env, say)
        print(f"raqib: bad environment: {REDACT(' '.join(str(exc).split()))}", file=sys.stderr)
        return 2
    for secret in (env.telegram_bot_token, env.discord_bot_token, env.database_url, env.telegram_webhook_secret):
        if secret is not None:
            REDACT.add(secret.get_secret_value())
    if env.raqib_cache_dir and "RAQIB_CACHE_DIR" not in os.environ:
        # The lexicon cache finds its folder in the environment, where it is used: by `match` and `classify`,
        # which read no settings, and by the spawned parse workers. A folder given only in .env is handed to
        # this process's environment, which those child processes inherit (the one variable written here).
        os.environ["RAQIB_CACHE_DIR"] = env.raqib_cache_dir
    try:
        return int(args.func(args, env))
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"raqib: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
