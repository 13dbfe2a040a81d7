"""The ``raqib`` command line: every subcommand and its options."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.commands import (
    cmd_classify,
    cmd_config,
    cmd_demo,
    cmd_digest,
    cmd_feeds,
    cmd_match,
    cmd_poll,
    cmd_reload,
    cmd_run,
    cmd_subscribe,
)
from bot.cli.store import cmd_db, cmd_items


def _common(parser: argparse.ArgumentParser, default: object) -> None:
    """Options taken before or after the subcommand (``raqib --config F poll`` = ``raqib poll --config F``)."""
    parser.add_argument("--config", default=default, help="feeds file (default: $RAQIB_CONFIG or ./feeds.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", default=default, help="debug logging")
    parser.add_argument("--log-json", action="store_true", default=default, help="log one JSON object per line")


class _Sub(argparse._SubParsersAction):
    """Every subcommand (and sub-subcommand) also takes the common options; given there, they win."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:  # argparse's own keywords, passed on
        parser = super().add_parser(name, **kwargs)
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
