"""The dispatcher builds other packages' message rows with the builders it is given — the service's dispatcher
gets the digest's from ``bot.app`` — and sends a row of a kind it has no builder for as a notice."""

from __future__ import annotations

import json

from sqlmodel import Session

from bot.app import ServiceParts
from bot.config import Env, FeedsFile
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.deliver.model import AlertView, Reply
from bot.digest.schedule import enqueue_digest
from storage.db import session
from storage.tables import Delivery, Subscription
from tests.digest.conftest import UNTIL, Week
from tests.digest.seed import subscription


class Replies:
    """A Notifier that keeps the replies it is asked to send."""

    platform = "telegram"

    def __init__(self) -> None:
        self.replies: list[Reply] = []

    async def send_alert(self, target: str, alert: AlertView, *, language: str, timezone: str) -> str:
        raise AssertionError("no alerts here")

    async def edit_alert(self, target: str, message_id: str, alert: AlertView, *, language: str, timezone: str) -> None:
        raise AssertionError("no alerts here")

    async def send_reply(self, target: str, reply: Reply) -> str:
        self.replies.append(reply)
        return str(len(self.replies))


def _row(week: Week, sub_id: int, key: str, kind: str, payload: dict[str, object]) -> None:
    with session(week.engine) as s:
        s.add(
            Delivery(
                subscription_id=sub_id,
                key=key,
                kind=kind,
                next_attempt=UNTIL,
                created_at=UNTIL,
                payload=json.dumps(payload),
            )
        )
        s.commit()


async def test_the_service_dispatcher_rebuilds_a_digest_with_its_chart(week: Week) -> None:
    sub_id = subscription(week.engine)
    assert enqueue_digest(week.engine, sub_id, UNTIL)
    notifier = Replies()
    dispatcher = ServiceParts(FeedsFile(), Env(), week.engine, "w").dispatcher(FeedsFile(), {"telegram": notifier})
    dispatcher.clock = lambda: UNTIL
    assert await dispatcher.dispatch_once() == 1
    [reply] = notifier.replies
    # The stored text has no chart: an image means the digest was rebuilt from the store at send time.
    assert reply.image is not None and reply.text.startswith("Raqib weekly digest")


async def test_a_kind_is_built_by_its_builder_and_one_without_is_sent_as_a_notice(week: Week) -> None:
    sub_id = subscription(week.engine)
    _row(week, sub_id, "report:1", "report", {"n": 7, "text": "stored"})
    _row(week, sub_id, "digest:old", "digest", {"text": "the digest as enqueued"})

    def report(s: Session, sub: Subscription, raw: str | None) -> Reply:
        n = json.loads(raw or "{}")["n"]
        return Reply(text=f"report {n} for {sub.target}", language=sub.interface_language)

    notifier = Replies()
    dispatcher = Dispatcher(
        week.engine,
        {"telegram": notifier},
        owner="t",
        settings=DispatchSettings(pace=False),
        clock=lambda: UNTIL,
        payloads={"report": report},
    )
    assert await dispatcher.dispatch_once() == 2
    target = subscription_target(week, sub_id)
    assert sorted(r.text for r in notifier.replies) == sorted([f"report 7 for {target}", "the digest as enqueued"])


def subscription_target(week: Week, sub_id: int) -> str:
    with session(week.engine) as s:
        sub = s.get(Subscription, sub_id)
        assert sub is not None
        return sub.target
