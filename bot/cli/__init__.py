"""The ``raqib`` command (``raqib = "bot.cli:entry"``; ``python -m bot.cli`` runs the same).

One module per group of subcommands: ``commands`` (run, poll, reload, demo, match, classify, config, and the
entry points of the others), ``store`` (items, db), ``feeds`` (feeds check/import/export/enable), ``digest``,
``subscribe``; ``parser`` wires them. Each imports what its subcommand needs when it runs, so that
``raqib match`` starts without the database, the service or pydantic-settings.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence

from bot.cli.commands import cmd_classify, cmd_config, cmd_match
from bot.cli.parser import build_parser
from bot.log import REDACT, setup_logging


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


__all__ = ["build_parser", "main"]


def entry() -> int:
    """The ``raqib`` process: ``main()``, then an exit without the interpreter's last walk over the heap.

    As a process ends, CPython tears its modules down and collects cycles across everything they held: the
    imported stack, the lexicon, the settings (~0.45 s of a 5-feed first ``raqib poll --once`` that took 2.8 s). Frozen
    objects are out of that collection's sight, and their memory goes back with the process all the same.
    ``main()`` itself leaves the collector as it found it: tests and the demo call it in a process that goes on.
    """
    code = main()
    gc.freeze()
    return code
