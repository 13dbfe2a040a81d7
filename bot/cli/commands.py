"""The ``raqib`` subcommands that run the service, poll, and read or check settings (``bot.cli.parser`` wires them)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.log import REDACT

if TYPE_CHECKING:
    from bot.config import Env, FeedsFile
    from bot.pipeline import FeedResult

# bot.config (pydantic-settings, ~0.1 s to import) is imported by the commands that read settings, not
# here: `raqib match` / `raqib classify` are text in, text out, and start in well under a second.


def feeds_file(args: argparse.Namespace, env: Env) -> FeedsFile:
    from bot.config import config_path, load_config

    return load_config(config_path(args.config, env))


def _progress(total: int, enabled: bool) -> Callable[[FeedResult], None]:
    done = 0

    def tick(result: FeedResult) -> None:
        nonlocal done
        done += 1
        if enabled:
            print(f"\r[{done}/{total}] {result.feed_id[:40]:<40} {result.status:<12}", end="", file=sys.stderr)
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
        from bot.cli.feeds import describe_pacing
        from bot.deliver.console import ConsoleSink

        config = feeds_file(args, env)
        gc.freeze()
    finally:
        gc.enable()

    async def go() -> list[FeedResult]:
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
        print(reload_running(feeds_file(args, env)))
    except ServiceError as exc:
        print(f"raqib: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_subscribe(args: argparse.Namespace, env: Env) -> int:
    from bot.cli import subscribe

    return subscribe.subscribe(feeds_file(args, env), env, args)


def cmd_digest(args: argparse.Namespace, env: Env) -> int:
    from bot.cli import digest

    return digest.run(feeds_file(args, env), env, args)


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
    from bot.cli import feeds, opml
    from bot.config import config_path

    if args.action == "import":
        path = config_path(args.config, env)
        return opml.import_opml(Path(args.file), path, args.language, args.write, env=env)
    config = feeds_file(args, env)
    if args.action == "export":
        sys.stdout.write(opml.export_opml(config, feeds.urls_in_use(config, env)))
        return 0
    if args.action == "enable":
        return feeds.enable(config, env, args.feed_id)
    return feeds.check(config, env, as_json=args.json)


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
