"""`raqib subscribe PLATFORM TARGET`: add a subscription from the shell (a webhook needs no bot at all)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot.config import Env, FeedsFile
from bot.domain import Platform


def subscribe(config: FeedsFile, env: Env, args: argparse.Namespace) -> int:
    from bot.app import open_database
    from bot.match import suggest_topic, topic_lookup
    from storage import subscriptions as subs
    from storage.db import session

    topics = []
    for raw in [t.strip() for t in args.topics.split(",") if t.strip()]:
        tid = topic_lookup(raw)
        if tid is None:
            hint = suggest_topic(raw)
            print(f"raqib: unknown topic {raw!r}" + (f" (did you mean {hint}?)" if hint else ""), file=sys.stderr)
            return 2
        topics.append(tid)
    target, secret = args.target, None
    if args.platform == Platform.DISCORD_WEBHOOK:
        from bot.adapters.discord.webhook import InvalidWebhookURL, parse_webhook_url

        try:
            ref = parse_webhook_url(args.target)
        except InvalidWebhookURL as exc:
            print(f"raqib: {exc}", file=sys.stderr)
            return 2
        target, secret = f"webhook:{ref.id}", args.target
    engine = open_database(config, env)
    now = datetime.now(UTC)
    with session(engine) as s:
        sub = subs.get_or_create(s, args.platform, target, now=now, language=args.lang)
        sub.topics, sub.secret, sub.interface_language = " ".join(topics), secret, args.lang
        if args.name or args.avatar:
            from bot.adapters.discord.options import DiscordOptions

            look = DiscordOptions(username=args.name, avatar_url=args.avatar)
            sub.options = look.merged_into(sub.options)
        sub.paused, sub.paused_reason, sub.updated_at = False, None, now
        s.add(sub)
        s.commit()
        shown = "a Discord webhook (URL stored, never shown)" if secret else f"{args.platform} {target}"
    print(f"subscribed {shown} to {', '.join(topics) or 'all topics'}")
    return 0
