"""Webhook delivery for real: discord.py's Webhook talking HTTP to the fake Discord on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.adapters.discord.endpoints import Endpoints
from bot.adapters.discord.webhook import (
    DiscordWebhookNotifier,
    InvalidWebhookURL,
    TargetOptions,
    parse_webhook_url,
    redact_webhook_url,
)
from bot.deliver.model import AlertView, DeliveryError, PermanentFailure, Reply, RetryLater, SourceRef
from tests.fakes.discord_api import FakeDiscord

ROLE = 1800000000000000001
AVATAR = "https://cdn.example/raqib.png"


def alert(**changes: object) -> AlertView:
    base = dict(
        story_id=42,
        title="Export curbs on HBM widen @everyone",
        url="https://news.example/hbm",
        source="Wire",
        language="en",
        published=datetime(2025, 5, 1, 9, 30, tzinfo=UTC),
        severity="critical",
        score=3.0,
        topics=("hbm", "export-controls"),
        entities=("SK Hynix", "Samsung"),
        excerpt="New rules cover <@123> high-bandwidth memory ||stacks||.",
    )
    base.update(changes)
    return AlertView(**base)  # type: ignore[arg-type]


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
async def notifier(fake: FakeDiscord) -> AsyncIterator[DiscordWebhookNotifier]:
    options = {"role": TargetOptions(mention_role_id=ROLE, mention_severities=frozenset({"critical"}))}

    def options_for(target: str) -> TargetOptions | None:
        return options["role"] if target.endswith("role") is False and "1600000000000000002" in target else None

    endpoints = Endpoints(fake.base)  # DISCORD_API_URL: webhooks go to the fake, as the bot's REST calls do
    async with DiscordWebhookNotifier(
        username="Raqib alerts", avatar_url=AVATAR, options_for=options_for, endpoints=endpoints
    ) as n:
        yield n


async def test_alert_is_posted_with_name_avatar_embed_and_no_mentions(
    fake: FakeDiscord, notifier: DiscordWebhookNotifier
) -> None:
    url = fake.webhook_url()
    message_id = await notifier.send_alert(url, alert(), language="en", timezone="UTC")
    [sent] = fake.sent("POST", r"^/webhooks/1600000000000000001/")
    assert sent.query["wait"] == "1"
    assert "Authorization" not in sent.headers  # webhooks need no bot token
    body = sent.body
    assert body["username"] == "Raqib alerts"
    assert body["avatar_url"] == AVATAR
    assert body["allowed_mentions"] == {"parse": []}
    assert "content" not in body or not body["content"]
    [embed] = body["embeds"]
    assert embed["title"].startswith("Export curbs on HBM widen @\u200beveryone")
    assert embed["url"] == "https://news.example/hbm"
    assert "<\u200b@123>" in embed["description"] and "\\|\\|stacks\\|\\|" in embed["description"]
    assert message_id.isdigit()


async def test_role_is_mentioned_only_for_the_chosen_severity(
    fake: FakeDiscord, notifier: DiscordWebhookNotifier
) -> None:
    url = fake.webhook_url(1600000000000000002)
    await notifier.send_alert(url, alert(severity="critical"), language="en", timezone="UTC")
    await notifier.send_alert(url, alert(severity="normal"), language="en", timezone="UTC")
    critical, normal = fake.sent("POST", r"^/webhooks/1600000000000000002/")
    assert critical.body["content"] == f"<@&{ROLE}>"
    assert critical.body["allowed_mentions"] == {"parse": [], "roles": [ROLE]}
    assert not normal.body.get("content")
    assert normal.body["allowed_mentions"]["parse"] == []


async def test_growing_story_edits_the_message(fake: FakeDiscord, notifier: DiscordWebhookNotifier) -> None:
    url = fake.webhook_url()
    message_id = await notifier.send_alert(url, alert(), language="ar", timezone="Asia/Riyadh")
    grown = alert(also_reported_by=(SourceRef("الجزيرة", "https://aljazeera.example/x", "ar"),))
    await notifier.edit_alert(url, message_id, grown, language="ar", timezone="Asia/Riyadh")
    [edit] = fake.sent("PATCH", rf"^/webhooks/1600000000000000001/[^/]+/messages/{message_id}$")
    fields = {f["name"]: f["value"] for f in edit.body["embeds"][0]["fields"]}
    assert "الجزيرة" in fields["نشرته أيضًا"]
    assert edit.body["allowed_mentions"]["parse"] == []


async def test_edit_of_a_deleted_message_is_not_an_error(fake: FakeDiscord, notifier: DiscordWebhookNotifier) -> None:
    fake.fail("PATCH", r"/messages/", status=404, code=10008)
    await notifier.edit_alert(fake.webhook_url(), "1500000000000000099", alert(), language="en", timezone="UTC")


async def test_429_without_retry_becomes_retry_later_with_the_delay(
    fake: FakeDiscord, notifier: DiscordWebhookNotifier
) -> None:
    fake.fail("POST", r"^/webhooks/", status=429, retry_after=7.5, via=False)
    with pytest.raises(RetryLater) as info:
        await notifier.send_alert(fake.webhook_url(), alert(), language="en", timezone="UTC")
    assert info.value.retry_after == 7.5


async def test_short_429_is_retried_by_discord_py_and_delivered_once(
    fake: FakeDiscord, notifier: DiscordWebhookNotifier
) -> None:
    fake.fail("POST", r"^/webhooks/", status=429, retry_after=0.01, via=True)
    message_id = await notifier.send_alert(fake.webhook_url(), alert(), language="en", timezone="UTC")
    assert message_id.isdigit()
    assert len(fake.sent("POST", r"^/webhooks/")) == 2


async def test_long_rate_limit_is_cut_by_the_timeout_and_keeps_retry_after(fake: FakeDiscord) -> None:
    fake.fail("POST", r"^/webhooks/", status=429, retry_after=120, via=True)
    async with DiscordWebhookNotifier(timeout=0.5, endpoints=Endpoints(fake.base)) as notifier:
        with pytest.raises(RetryLater) as info:
            await notifier.send_alert(fake.webhook_url(), alert(), language="en", timezone="UTC")
    assert info.value.retry_after == 120


@pytest.mark.parametrize(("status", "code", "reason"), [(404, 10015, "Unknown Webhook"), (401, 50027, "Invalid")])
async def test_deleted_or_revoked_webhook_is_permanent(
    fake: FakeDiscord, notifier: DiscordWebhookNotifier, status: int, code: int, reason: str
) -> None:
    fake.fail("POST", r"^/webhooks/", status=status, code=code)
    url = fake.webhook_url()
    with pytest.raises(PermanentFailure) as info:
        await notifier.send_alert(url, alert(), language="en", timezone="UTC")
    assert reason in str(info.value)
    assert parse_webhook_url(url).token not in str(info.value)


async def test_server_errors_become_retry_later(fake: FakeDiscord) -> None:
    fake.fail("POST", r"^/webhooks/", status=500, times=10)
    async with DiscordWebhookNotifier(timeout=0.5, endpoints=Endpoints(fake.base)) as notifier:
        with pytest.raises(RetryLater):
            await notifier.send_alert(fake.webhook_url(), alert(), language="en", timezone="UTC")


async def test_network_failure_becomes_retry_later(fake: FakeDiscord) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with DiscordWebhookNotifier(timeout=5, endpoints=Endpoints(f"http://127.0.0.1:{port}/api/v10")) as notifier:
        with pytest.raises(RetryLater) as info:
            await notifier.send_alert(fake.webhook_url(), alert(), language="en", timezone="UTC")
    assert "network error" in str(info.value)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "empty"),
        ("not a url at all", "not an https URL"),
        ("http://discord.com/api/webhooks/1600000000000000001/" + "a" * 68, "not an https URL"),
        ("https://evil.example/api/webhooks/1600000000000000001/" + "a" * 68, "not a Discord webhook URL"),
        ("https://discord.com/api/webhooks/1600000000000000001/", "malformed"),
        ("https://discord.com/api/webhooks/123/" + "a" * 68, "malformed"),
        ("https://discord.com/channels/1/2", "malformed"),
        ("https://discord.com:8443/api/webhooks/1600000000000000001/" + "a" * 68, "malformed"),
    ],
)
def test_bad_webhook_urls_get_a_clear_error_without_echoing_the_url(url: str, reason: str) -> None:
    with pytest.raises(InvalidWebhookURL) as info:
        parse_webhook_url(url)
    assert reason in str(info.value)
    assert "a" * 68 not in str(info.value)


async def test_unparseable_target_pauses_the_subscription(notifier: DiscordWebhookNotifier) -> None:
    with pytest.raises(PermanentFailure, match="not a Discord webhook URL"):
        await notifier.send_alert("https://hooks.example/x", alert(), language="en", timezone="UTC")


def test_thread_id_and_canonical_forms() -> None:
    token = "T" * 68
    ref = parse_webhook_url(f"https://discordapp.com/api/v10/webhooks/1600000000000000001/{token}?thread_id=77")
    assert (ref.id, ref.token, ref.thread_id) == (1600000000000000001, token, 77)
    assert redact_webhook_url(f"POST {ref.url}?wait=1 failed") == (
        "POST https://discord.com/api/webhooks/1600000000000000001/<redacted>?wait=1 failed"
    )


async def test_digest_reply_and_verify(fake: FakeDiscord, notifier: DiscordWebhookNotifier) -> None:
    url = fake.webhook_url()
    info = await notifier.verify(url)
    assert info["channel_id"].isdigit()
    reply = Reply(text="Daily digest\n" + "line @here\n" * 400, alerts=(alert(),), image=b"\x89PNG fake")
    await notifier.send_reply(url, reply)
    posts = fake.sent("POST", r"^/webhooks/")
    assert len(posts) >= 2
    assert all(len(p.body.get("content") or "") <= 2000 for p in posts)
    assert posts[-1].form.get("files[0]") == b"\x89PNG fake"


async def test_webhook_secret_never_reaches_logs_or_errors(fake: FakeDiscord, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = fake.webhook_url()
    token = parse_webhook_url(url).token
    errors: list[str] = []
    async with DiscordWebhookNotifier(timeout=0.5, endpoints=Endpoints(fake.base)) as notifier:
        await notifier.send_alert(url, alert(), language="en", timezone="UTC")
        for status, code in [(404, 10015), (403, 50013), (500, 0), (400, 50035)]:
            fake.fail("POST", r"^/webhooks/", status=status, code=code, times=10)
            with pytest.raises(DeliveryError) as info:
                await notifier.send_alert(url, alert(), language="en", timezone="UTC")
            errors.append(str(info.value))
            fake.faults.clear()
    produced = caplog.text + "\n".join(errors) + "\n".join(r.getMessage() for r in caplog.records)
    assert any("webhooks" in r.getMessage() for r in caplog.records)  # discord.py did log the requests...
    assert token not in produced  # ...without the secret
