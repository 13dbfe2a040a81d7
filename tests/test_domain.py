"""``bot.domain``: severities ordered by rank (not alphabetically), and every enum equal to the strings that
storage, the configuration and the notifiers spell, so the database and payloads did not change."""

from __future__ import annotations

from typing import get_args

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.adapters.discord.notifier import DiscordBotNotifier
from bot.adapters.discord.options import DiscordOptions
from bot.adapters.discord.webhook import DiscordWebhookNotifier
from bot.adapters.telegram.notifier import TelegramNotifier
from bot.config import SubscriptionConfig
from bot.deliver.caps import FOLDED
from bot.deliver.console import ConsoleNotifier
from bot.domain import DeliveryStatus, Platform, Severity
from storage import subscriptions as subs
from storage.db import session
from storage.tables import Delivery, Subscription
from tests.fakes.store import NOW

N, H, C = Severity.NORMAL, Severity.HIGH, Severity.CRITICAL


def test_severities_are_ordered_by_rank_not_by_spelling() -> None:
    assert Severity.rising() == (N, H, C)
    assert [s.rank for s in Severity.rising()] == [1, 2, 3]
    assert N < H < C and C > H > N and H <= H and H >= H
    assert sorted([C, N, H]) == [N, H, C] and max([H, C, N]) is C and min([H, C]) is H
    # a plain string on either side is read as a severity ("critical" < "high" alphabetically)
    assert H < "critical" and H < "critical" and H > "normal" and not (N > "high")


def test_comparing_a_severity_with_something_else_is_an_error() -> None:
    with pytest.raises(TypeError):
        _ = H < "urgent"
    with pytest.raises(TypeError):
        _ = C > 2


def test_stored_values_read_back_as_severities() -> None:
    assert Severity.parse("high", N) is H
    assert Severity.parse(None, C) is C and Severity.parse("urgent", N) is N
    assert Severity.rank_of(None) == 0 and Severity.rank_of("urgent") == 0 and Severity.rank_of("critical") == 3
    assert H.and_above() == {"high", "critical"} and C.and_above() == {C} and N.and_above() == set(Severity)


def test_members_equal_their_strings_as_keys_and_in_text() -> None:
    assert {"high": 1}[H] == 1 and {H: 1}["high"] == 1
    assert f"severity_{C}" == "severity_critical" and str(Platform.DISCORD_WEBHOOK) == "discord-webhook"


def test_platforms_are_the_ones_configuration_and_notifiers_spell() -> None:
    assert set(get_args(SubscriptionConfig.model_fields["platform"].annotation)) == set(Platform)
    notifiers = (TelegramNotifier, DiscordBotNotifier, DiscordWebhookNotifier, ConsoleNotifier)
    assert {n.platform for n in notifiers} == set(Platform)
    assert all(isinstance(n.platform, Platform) for n in notifiers)


def test_delivery_statuses_include_the_stored_default_and_the_caps_fold() -> None:
    assert Delivery().status == DeliveryStatus.PENDING and FOLDED is DeliveryStatus.FOLDED
    assert Subscription(platform="console", target="x").min_severity == N


def test_enums_are_stored_as_their_plain_strings(engine: Engine) -> None:
    with session(engine) as s:
        sub = subs.get_or_create(s, Platform.CONSOLE, "stdout", now=NOW)
        sub.min_severity = H
        sub.options = DiscordOptions(mention_severity=C).dump()
        s.add(sub)
        s.flush()
        added = subs.enqueue(s, [sub.id], story_id=None, key="k", kind="notice", now=NOW, payload="{}")
        s.execute(text("UPDATE deliveries SET status = :st"), {"st": DeliveryStatus.CANCELLED})
        s.commit()
    with engine.connect() as c:
        stored = c.execute(text("SELECT platform, min_severity, options FROM subscriptions")).one()
        status = c.execute(text("SELECT status FROM deliveries")).scalar_one()
    assert tuple(stored) == ("console", "high", '{"mention_severity":"critical"}') and type(stored[1]) is str
    assert added == 1 and status == "cancelled" and type(status) is str


def test_the_matcher_grades_with_severities() -> None:
    from bot.match import classify

    c = classify("US adds 12 Chinese chip firms to the Entity List", "", "en")
    assert c.relevant and c.severity is C
