"""The digest as a platform-neutral ``Reply``, and its outbox payload.

Reply. ``text`` is the whole digest, its blocks (``render.render_blocks``) separated by a blank line: each
adapter packs the blocks whole into messages within its own limits (``bot.adapters.pack``), ``image`` the
chart PNG, and ``caption`` a short caption for a platform whose photo caption cannot hold the whole text
(Telegram: 1024 UTF-16 units; it decides); an empty digest is one line and has no chart.

Outbox payload (a decision, documented): a scheduled digest row stores its *period* and subscription, not
a frozen message — ``{"v": 1, "subscription", "since", "until", "timezone", "period", "text"}``. At send
time the dispatcher rebuilds the Reply from the store for exactly that period, in the chat's language of
the moment, and renders the chart (a PNG does not belong in a database row). ``text`` is the digest as it
was at enqueue time: the fallback when the period cannot be rebuilt (rows written by older versions).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.deliver.model import Reply
from bot.digest.build import build_digest
from bot.digest.model import Digest
from bot.digest.period import Period
from bot.digest.render import caption, render_text
from storage.tables import Subscription

log = logging.getLogger("raqib.digest")


def reply_for(s: Session, digest: Digest, *, chart: bool = True) -> Reply:
    text = render_text(digest)
    image = None
    if chart and not digest.empty:
        try:
            from bot.digest.chart import render_chart  # matplotlib: paid only by a digest with a chart

            image = render_chart(s, digest)
        except Exception:  # a chart is a bonus: the digest goes without it rather than not at all
            log.exception("digest chart failed; sending the text alone")
    # The short caption goes with every chart: a platform whose caption cannot hold the whole text uses it
    # (Telegram, 1024 UTF-16 units), the others ignore it; the digest knows no platform's limit.
    short = caption(digest) if image is not None else None
    return Reply(text=text, language=digest.language, image=image, caption=short)


def digest_payload(sub: Subscription, period: Period, text: str) -> str:
    return json.dumps(
        {
            "v": 1,
            "subscription": sub.id,
            "since": period.since.isoformat(),
            "until": period.until.isoformat(),
            "timezone": period.timezone,
            "period": period.kind,
            "text": text,
        },
        ensure_ascii=False,
    )


def period_of(payload: dict[str, Any]) -> Period | None:
    try:
        return Period(
            datetime.fromisoformat(payload["since"]),
            datetime.fromisoformat(payload["until"]),
            str(payload.get("timezone") or "UTC"),
            str(payload.get("period") or "weekly"),
        )
    except (KeyError, TypeError, ValueError):
        return None


def reply_from_payload(s: Session, sub: Subscription, raw: str | None, *, chart: bool = True) -> Reply:
    """The dispatcher's digest branch: rebuild the digest of the row's period for ``sub``."""
    try:
        payload = json.loads(raw or "{}")
    except ValueError:
        payload = {}
    period = period_of(payload) if isinstance(payload, dict) else None
    if period is None:
        text = str(payload.get("text", "")) if isinstance(payload, dict) else ""
        return Reply(text=text, language=sub.interface_language)
    return reply_for(s, build_digest(s, sub, period=period), chart=chart)


# The dispatcher's builders of this package's outbox rows (``Dispatcher(payloads=...)``, given by bot.app).
PAYLOADS = {"digest": reply_from_payload}


def digest_reply(s: Session, sub: Subscription, now: datetime, *, chart: bool = True) -> Reply:
    """``/digest``: this chat's digest of the period ending now, with its chart."""
    return reply_for(s, build_digest(s, sub, now), chart=chart)


__all__ = ["PAYLOADS", "digest_payload", "digest_reply", "period_of", "reply_for", "reply_from_payload"]
