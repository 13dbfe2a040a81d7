"""DISCORD_API_URL / DISCORD_GATEWAY_URL point the real discord.py code at another server (here the fake Discord)
with no patching: the bot's REST calls, its gateway, a REST-only sending client and webhooks all go there while
one of them is open, discord.py's own endpoints come back when the last one closes, and a URL of any other
scheme is refused before anything is sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import discord
import pytest
from pydantic import ValidationError

from bot import cli
from bot.adapters.discord.bot import DiscordAdapter, DiscordStartError
from bot.adapters.discord.endpoints import EndpointError, Endpoints, Hold, rest_client
from bot.adapters.discord.webhook import DiscordWebhookNotifier
from bot.config import Env, describe_env_error
from bot.deliver.model import Reply
from tests.fakes.discord_api import BOT_TOKEN, CHANNEL_ID, FakeDiscord

DISCORD_REST = discord.http.Route.BASE
DISCORD_GATEWAY = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY


class EchoCore:
    async def handle(self, invocation: object) -> Reply:
        return Reply(text="pong")


def discord_py_defaults() -> tuple[str, object]:
    return discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY


async def test_the_bot_a_sending_client_and_webhooks_use_the_server_until_the_last_closes() -> None:
    assert discord_py_defaults() == (DISCORD_REST, DISCORD_GATEWAY)
    async with FakeDiscord() as fake:
        endpoints = Endpoints(fake.base + "/", fake.gateway_url)  # a trailing slash is fine
        adapter = DiscordAdapter(EchoCore(), token=BOT_TOKEN, guild_ready_timeout=0.05, endpoints=endpoints)
        await adapter.start()
        client, close_client = await rest_client(BOT_TOKEN, endpoints)
        webhook = DiscordWebhookNotifier(endpoints=endpoints)
        try:
            await asyncio.wait_for(adapter.ready.wait(), 10)
            assert fake.identifies and fake.identifies[0]["token"] == BOT_TOKEN, "the gateway is the fake's"
            assert not fake.sent("GET", r"^/gateway/bot$"), "a configured gateway is not asked for"
            payload = fake.interaction("status")
            await fake.dispatch("INTERACTION_CREATE", payload)
            answer = await fake.wait_for(lambda r: r.path.startswith(f"/interactions/{payload['id']}/"))
            assert answer.body["data"]["content"] == "pong"

            await adapter.close()
            assert discord_py_defaults()[0] == fake.base, "the sending client still holds the server"
            channel = client.get_partial_messageable(CHANNEL_ID)
            sent = await channel.send("through the REST-only client")
            assert sent.content == "through the REST-only client"
            await webhook.send_reply(fake.webhook_url(), Reply(text="through a webhook"))
            assert [r.body["content"] for r in fake.sent("POST", r"^/webhooks/")] == ["through a webhook"]
        finally:
            await adapter.close()
            await close_client()
            assert discord_py_defaults()[0] == fake.base, "the webhook notifier is still open"
            await webhook.close()
    assert discord_py_defaults() == (DISCORD_REST, DISCORD_GATEWAY), "discord.py's endpoints are back"


class MisdirectingDiscord(FakeDiscord):
    """Names a plain-HTTP URL as its gateway (a misconfigured or hostile server)."""

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.port}/not-a-websocket"


async def test_a_gateway_the_api_names_must_be_a_websocket_url() -> None:
    async with MisdirectingDiscord() as fake:
        adapter = DiscordAdapter(EchoCore(), token=BOT_TOKEN, endpoints=Endpoints(fake.base))
        with pytest.raises(DiscordStartError, match=r"gateway DISCORD_API_URL names must be a URL starting with ws"):
            await adapter.start()
        assert fake.sent("GET", r"^/gateway/bot$"), "it was asked"
        assert not fake.identifies and not fake.sent("PUT", "/commands")
    assert discord_py_defaults() == (DISCORD_REST, DISCORD_GATEWAY)


@pytest.mark.parametrize(
    ("api", "gateway", "refused"),
    [
        ("file:///etc/passwd", None, "DISCORD_API_URL"),
        ("ws://127.0.0.1:9/api/v10", None, "DISCORD_API_URL"),
        ("http:///api/v10", None, "DISCORD_API_URL"),
        (None, "https://127.0.0.1:9/gateway", "DISCORD_GATEWAY_URL"),
        (None, "javascript:alert(1)", "DISCORD_GATEWAY_URL"),
    ],
)
def test_urls_of_other_schemes_are_refused(api: str | None, gateway: str | None, refused: str) -> None:
    with pytest.raises(EndpointError, match=rf"^{refused} must be a URL starting with"):
        Endpoints(api, gateway)
    with pytest.raises(ValidationError) as caught:
        Env(_env_file=None, discord_api_url=api, discord_gateway_url=gateway)  # type: ignore[call-arg]
    [line] = describe_env_error(caught.value)
    assert line.startswith(f"{refused}: must be a URL starting with")


def test_the_service_refuses_to_start_on_such_a_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("DISCORD_API_URL", "ftp://user:secret@127.0.0.1/api")
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert "DISCORD_API_URL: must be a URL starting with http:// or https://" in err and "secret" not in err


def test_one_process_talks_to_one_discord() -> None:
    first = Hold(Endpoints("http://127.0.0.1:1/api/v10", "ws://127.0.0.1:1/gateway"))
    with pytest.raises(EndpointError, match="already talks to another Discord server"):
        Hold(Endpoints("http://127.0.0.1:2/api/v10"))
    with pytest.raises(EndpointError):  # the same API with another gateway: nothing of it stays held
        Hold(Endpoints("http://127.0.0.1:1/api/v10", "ws://127.0.0.1:3/gateway"))
    same = Hold(Endpoints("http://127.0.0.1:1/api/v10"))
    first.release()
    first.release()  # idempotent: the second holder keeps it
    assert discord_py_defaults() == ("http://127.0.0.1:1/api/v10", DISCORD_GATEWAY), "REST still held, gateway not"
    same.release()
    assert discord_py_defaults() == (DISCORD_REST, DISCORD_GATEWAY)
