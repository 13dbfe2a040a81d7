"""Security: who may change a chat, input caps, secrets never shown, where a feed may point, SQL built safely.

The adapters' own permission plumbing (Telegram getChatMember, Discord permissions in another channel) is
tested beside them (tests/telegram/test_commands.py, tests/discord/test_bot.py); here the core is driven
with each platform's Invocation shape, including forged and replayed buttons.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.commands.core import MAX_ARGS_CHARS, MAX_TOPICS, Core
from bot.commands.model import ADMIN_COMMANDS, Invocation
from bot.config import ConfigError, parse_config
from bot.fetch import Fetcher, FetchError, FetchSettings, PolicyError
from bot.fetch import fetcher as fetcher_module
from bot.log import REDACT, Redactor
from bot.text.messages import text
from storage.db import make_engine, session
from storage.tables import Subscription
from tests.conftest import PG_URL
from tests.fakes.feedserver import FeedServer, Reply, ServerThread

ROOT = Path(__file__).resolve().parents[2]
ARGS = {
    "subscribe": ["hbm"],
    "unsubscribe": ["hbm"],
    "lang": ["ar"],
    "settings": ["min_score", "0.9"],
    "watch": ["Nvidia"],
    "mute": ["crisps"],
}
# (platform, chat_type) pairs where only admins may change things.
SHARED_CHATS = [("telegram", "group"), ("telegram", "supergroup"), ("telegram", "channel"), ("discord", "guild")]


def _not_admin() -> Callable[[], Awaitable[bool]]:
    async def ask() -> bool:
        return False

    return ask


def _is_admin() -> Callable[[], Awaitable[bool]]:
    async def ask() -> bool:
        return True

    return ask


@pytest.fixture
def core(sqlite_engine: Engine) -> Core:
    return Core(sqlite_engine, secret=b"hardening-secret-" + uuid.uuid4().bytes)


def _subscriptions(engine: Engine) -> list[tuple[str, str, str, bool]]:
    with session(engine) as s:
        return [(x.platform, x.target, x.topics, x.paused) for x in s.exec(select(Subscription)).all()]


# -- permissions ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("platform", "chat_type"), SHARED_CHATS)
@pytest.mark.parametrize("command", sorted(ADMIN_COMMANDS))
async def test_non_admins_cannot_change_a_shared_chat(
    core: Core, sqlite_engine: Engine, platform: str, chat_type: str, command: str
) -> None:
    before = _subscriptions(sqlite_engine)
    inv = Invocation(
        platform, "-100200", chat_type, "555", command, tuple(ARGS.get(command, [])), is_admin=_not_admin()
    )
    reply = await core.handle(inv)
    assert reply.error and reply.text == text("en", "admins_only")
    assert _subscriptions(sqlite_engine) == before


@pytest.mark.parametrize(("platform", "chat_type"), SHARED_CHATS)
async def test_missing_admin_check_is_a_refusal_not_a_pass(core: Core, platform: str, chat_type: str) -> None:
    # An adapter that forgot to wire is_admin must not open the door.
    reply = await core.handle(Invocation(platform, "-100200", chat_type, "555", "subscribe", ("hbm",)))
    assert reply.error and reply.text == text("en", "admins_only")


@pytest.mark.parametrize("platform", ["telegram", "discord"])
async def test_managing_a_channel_from_a_private_chat_needs_admin_there(
    core: Core, sqlite_engine: Engine, platform: str
) -> None:
    inv = Invocation(
        platform, "555", "private", "555", "subscribe", ("hbm",), target_chat_id="-100777", is_admin=_not_admin()
    )
    reply = await core.handle(inv)
    assert reply.error and reply.text == text("en", "channel_admin_required")
    assert _subscriptions(sqlite_engine) == []


def _flip_last(data: str) -> str:
    return data[:-1] + ("y" if data[-1] == "x" else "x")


@pytest.mark.parametrize(("platform", "chat_type"), SHARED_CHATS)
async def test_forged_and_replayed_buttons(core: Core, sqlite_engine: Engine, platform: str, chat_type: str) -> None:
    base = dict(platform=platform, chat_id="-100200", chat_type=chat_type, user_id="555", command="callback")
    forged = [
        "subscribe:hbm",  # unsigned
        "subscribe:hbm|AAAAAAAA",  # a made-up signature
        _flip_last(core.sign("subscribe:hbm")),  # one character off
        core.sign("latest:hbm").replace("latest", "subscribe"),  # a genuine signature moved to another payload
        Core(sqlite_engine, secret=b"another-install").sign("subscribe:hbm"),  # another bot's key
        "|",
        "",
    ]
    for data in forged:
        reply = await core.handle(Invocation(**base, callback_data=data, is_admin=_is_admin()))  # type: ignore[arg-type]
        assert reply.error and reply.text == text("en", "forged"), data
    # A genuine admin-only button pressed by a non-admin (e.g. forwarded into the group): refused.
    genuine = core.sign("subscribe:hbm")
    reply = await core.handle(Invocation(**base, callback_data=genuine, is_admin=_not_admin()))  # type: ignore[arg-type]
    assert reply.error and reply.text == text("en", "admins_only")
    assert _subscriptions(sqlite_engine) == []


# -- input caps ------------------------------------------------------------------------------------------------


async def test_command_input_is_capped_with_a_clear_reply(core: Core, sqlite_engine: Engine) -> None:
    private = dict(platform="telegram", chat_id="42", chat_type="private", user_id="42")
    long = await core.handle(Invocation(**private, command="subscribe", args=("x" * (MAX_ARGS_CHARS + 1),)))  # type: ignore[arg-type]
    assert long.error and long.text == text("en", "too_long", max=MAX_ARGS_CHARS)
    many = await core.handle(Invocation(**private, command="subscribe", args=("hbm",) * (MAX_TOPICS + 1)))  # type: ignore[arg-type]
    assert many.error and many.text == text("en", "too_many_topics", max=MAX_TOPICS)
    huge = await core.handle(Invocation(**private, command="latest", args=("ب" * 100_000,)))  # type: ignore[arg-type]
    assert huge.error and len(huge.text) < 500  # the reply never echoes the input back
    unknown = await core.handle(Invocation(**private, command="x" * 5000))  # type: ignore[arg-type]
    assert unknown.error and len(unknown.text) < 500
    typo = await core.handle(Invocation(**private, command="subscribe", args=("hbmm-typo",)))  # type: ignore[arg-type]
    assert typo.error
    # None of these refused commands may leave a subscription behind (a new one would follow ALL topics).
    assert _subscriptions(sqlite_engine) == []


# -- feed URLs: schemes and the SSRF guard ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/feed", "gopher://x/", "javascript:alert(1)", "data:,x", "/etc/passwd"]
)
def test_config_accepts_only_http_https_and_file(url: str) -> None:
    with pytest.raises(ConfigError):
        parse_config(f"feeds:\n  - {{id: a, url: '{url}', language: en}}\n")


@pytest.fixture
def allow_only(monkeypatch: pytest.MonkeyPatch) -> Callable[[FeedServer], None]:
    """Treat exactly one loopback server as a public site; every other address goes through the real guard.

    The fetcher runs with allow_private_addresses OFF, so the test exercises the production path: the first
    hop is "public" (our server, by explicit exception) and each redirect target is judged by the real check.
    The guard runs twice, before the request and when a connection opens (``bot.fetch.netio``, which sees
    addresses, not ports): the server gets a loopback address of its own (127.0.0.2), exempt in both.
    """
    real, real_forbidden = fetcher_module.check_public_host, fetcher_module.is_forbidden_address

    def install(server: FeedServer) -> None:
        assert server.host != "127.0.0.1", "the exempt server needs an address no other server uses"

        async def check(url: httpx.URL, original: str, **options: Any) -> None:
            if url.host == server.host and url.port == server.port:
                return
            await real(url, original, **options)

        monkeypatch.setattr(fetcher_module, "check_public_host", check)
        monkeypatch.setattr(
            fetcher_module, "is_forbidden_address", lambda ip: str(ip) != server.host and real_forbidden(ip)
        )

    return install


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{inner}/admin",  # another service on this machine
        "http://localhost:{inner}/admin",  # the same by name (resolved, then refused)
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]:{inner}/admin",
        "http://[::ffff:127.0.0.1]:{inner}/admin",
        "http://10.0.0.1/",
        "http://0.0.0.0:{inner}/",
    ],
)
async def test_redirects_to_internal_addresses_are_refused(
    allow_only: Callable[[FeedServer], None], location: str
) -> None:
    outer, inner = FeedServer("127.0.0.2"), FeedServer("127.0.0.1")
    with ServerThread([outer, inner]):
        inner.route("/admin", Reply(body=b"<rss><channel><title>INTERNAL-ADMIN-PANEL</title></channel></rss>"))
        outer.route("/feed", Reply(status=302, headers={"Location": location.format(inner=inner.port)}))
        allow_only(outer)
        async with Fetcher(FetchSettings(allow_private_addresses=False, retries=0)) as fetcher:
            with pytest.raises(FetchError) as caught:
                await fetcher.fetch(outer.url("/feed"))
        assert caught.value.code in ("private_address", "invalid_url"), caught.value
        assert inner.requests == []  # the internal service never saw a byte
        assert len(outer.requests) == 1


async def test_the_allowed_server_itself_is_reachable(allow_only: Callable[[FeedServer], None]) -> None:
    # The control for the test above: without the redirect, the same setup fetches fine.
    outer = FeedServer("127.0.0.2")
    with ServerThread([outer]):
        outer.route("/feed", Reply(body=b"<rss/>"))
        allow_only(outer)
        async with Fetcher(FetchSettings(allow_private_addresses=False, retries=0)) as fetcher:
            assert (await fetcher.fetch(outer.url("/feed"))).body == b"<rss/>"


async def test_redirect_to_file_scheme_is_refused_even_with_file_urls_enabled(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("LOCAL-FILE-SECRET")
    outer = FeedServer("127.0.0.1")
    with ServerThread([outer]):
        outer.route("/feed", Reply(status=302, headers={"Location": secret.as_uri()}))
        async with Fetcher(FetchSettings(allow_private_addresses=True, allow_file=True, retries=0)) as fetcher:
            with pytest.raises(PolicyError) as caught:
                await fetcher.fetch(outer.url("/feed"))
    assert caught.value.code == "scheme"


async def test_file_urls_only_when_enabled(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b"<rss/>")
    async with Fetcher(FetchSettings()) as fetcher:
        with pytest.raises(PolicyError) as caught:
            await fetcher.fetch(feed.as_uri())
    assert caught.value.code == "file_disabled"


# -- secrets never shown ---------------------------------------------------------------------------------------

TELEGRAM_TOKEN = "987654321:AAH-hardening_FakeTokenValue_0123456789xyz"
DISCORD_TOKEN = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"
WEBHOOK_TOKEN = "wh-hardening-" + "Zk3" * 20
WEBHOOK_URL = f"https://discord.com/api/webhooks/1600000000000000009/{WEBHOOK_TOKEN}"
DB_PASSWORD = "SECRETPW"
FEED_PASSWORD = "FeedPassw0rdHardening"


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A DATABASE_URL with a password, on the real test PostgreSQL, in a schema of its own."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as c:
        c.execute(sql_text(f'CREATE SCHEMA "{schema}"'))
    url = httpx.URL(PG_URL.replace("postgresql+psycopg://", "http://"))
    yield (
        f"postgresql+psycopg://{url.username or 'postgres'}:{DB_PASSWORD}@{url.host}:{url.port or 5432}{url.path}"
        f"?options=-csearch_path%3D{schema}"
    )
    with admin.begin() as c:
        c.execute(sql_text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _secrets() -> list[str]:
    return [TELEGRAM_TOKEN, DISCORD_TOKEN, WEBHOOK_TOKEN, DB_PASSWORD, FEED_PASSWORD]


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM", "DISCORD", "DATABASE", "RAQIB"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "DISCORD_BOT_TOKEN": DISCORD_TOKEN,
        "DISCORD_WEBHOOK_URL": WEBHOOK_URL,
        "DATABASE_URL": database_url,
        "RAQIB_CONFIG": str(tmp_path / "feeds.yaml"),
        "PYTHONPATH": str(ROOT),
    }
    return env


def _feeds_file(tmp_path: Path, server: FeedServer) -> None:
    body = (
        b"<rss version='2.0'><channel><title>wire</title><item><guid>1</guid><title>US curbs Nvidia H20 exports"
        b"</title><link>https://wire.example/1</link><description>Licences for AI chips.</description></item>"
        b"</channel></rss>"
    )
    server.route("/ok.xml", Reply(body=body, headers={"Content-Type": "application/rss+xml"}))
    server.route("/auth.xml", Reply(status=401, body=b"who are you"))
    creds = f"http://reader:{FEED_PASSWORD}@{server.host}:{server.port}/auth.xml"
    lines = [
        "settings: {allow_private_addresses: true, retries: 0, data_dir: '" + str(tmp_path / "data") + "'}",
        "feeds:",
        f"  - {{id: ok, url: '{server.url('/ok.xml')}', language: en}}",
        f"  - {{id: with-credentials, url: '{creds}', language: en}}",
        f"  - {{id: gone, url: '{server.url('/missing.xml')}', language: en}}",
    ]
    (tmp_path / "feeds.yaml").write_text("\n".join(lines) + "\n")


def _assert_clean(what: str, output: str) -> None:
    leaked = [s for s in _secrets() if s in output]
    assert leaked == [], f"{what} shows {leaked}:\n{output[-3000:]}"


@pytest.mark.slow
@pytest.mark.postgres
def test_secrets_never_appear_in_cli_output_logs_or_errors(tmp_path: Path, pg_schema_url: str) -> None:
    server = FeedServer("127.0.0.1")
    with ServerThread([server]):
        _feeds_file(tmp_path, server)
        env = _env(tmp_path, pg_schema_url)
        runs = {
            "poll --once --json": _run(["-v", "poll", "--once", "--json"], env, tmp_path),
            "poll (log-json)": _run(["--log-json", "-v", "poll", "--once"], env, tmp_path),
            "items --json": _run(["items", "--json"], env, tmp_path),
            "db upgrade": _run(["-v", "db", "upgrade"], env, tmp_path),
        }
    polled = [json.loads(line) for line in runs["poll --once --json"].stdout.splitlines() if line.startswith("{")]
    assert {p["feed"] for p in polled} == {"ok", "with-credentials", "gone"}, runs["poll --once --json"].stderr
    assert any(json.loads(line)["title"] for line in runs["items --json"].stdout.splitlines() if line.strip())
    for name, run in runs.items():
        _assert_clean(f"raqib {name} stdout", run.stdout)
        _assert_clean(f"raqib {name} stderr", run.stderr)

    # A database that refuses the connection: the error names the problem, not the password.
    broken = _env(tmp_path, f"postgresql+psycopg://postgres:{DB_PASSWORD}@127.0.0.1:1/none")
    failed = _run(["-v", "items", "--json"], broken, tmp_path)
    assert failed.returncode != 0
    _assert_clean("raqib with an unreachable database", failed.stdout + failed.stderr)

    # /status through the command core, on the same database.
    engine = make_engine(pg_schema_url)
    try:
        core = Core(engine, secret=b"k" * 32)
        import asyncio

        reply = asyncio.run(core.handle(Invocation("telegram", "42", "private", "42", "status")))
        assert not reply.error
        _assert_clean("/status", reply.text + (reply.caption or ""))
    finally:
        engine.dispose()


def test_redactor_masks_every_secret_shape() -> None:
    redact = Redactor([DB_PASSWORD])
    samples = [
        f"https://api.telegram.org/bot{TELEGRAM_TOKEN}/sendMessage",
        f"token {TELEGRAM_TOKEN} refused",
        f"Authorization: Bot {DISCORD_TOKEN}",
        WEBHOOK_URL,
        f"{WEBHOOK_URL}?wait=true",
        f"postgresql+psycopg://postgres:{DB_PASSWORD}@db:5432/raqib",
        f"http://reader:{FEED_PASSWORD}@feeds.example/rss",
        f"password authentication failed; DSN was dbname=raqib password={DB_PASSWORD} host=db",
    ]
    for sample in samples:
        _assert_clean("REDACT", redact(sample))
    assert REDACT(f"x {TELEGRAM_TOKEN} y") == "x <telegram-token> y"


# -- SQL built only through the ORM or bound parameters ---------------------------------------------------

_SQL_WORD = r"(SELECT|INSERT|UPDATE|DELETE|WHERE|DROP|CREATE|ALTER|PRAGMA|SET)\b"
_DANGEROUS = [
    re.compile(r"(text|execute|exec_driver_sql)\(\s*f['\"]", re.IGNORECASE),  # text(f"...") / execute(f"...")
    re.compile(rf"(text|execute|exec_driver_sql)\(\s*['\"][^'\"]*{_SQL_WORD}[^'\"]*['\"]\s*(%|\+|\.format)"),
    re.compile(rf"f['\"][^'\"]*\b{_SQL_WORD}[^'\"]*\{{", re.IGNORECASE),  # an f-string that looks like SQL
    re.compile(rf"['\"][^'\"]*\b{_SQL_WORD}[^'\"]*['\"]\s*(%\s*[(\w]|\+\s*\w|\.format\()"),
]
# Reviewed exceptions: (file, fragment). Each is an identifier we control, never user input.
_ALLOWED: list[tuple[str, str]] = []


def test_no_sql_is_built_with_string_formatting() -> None:
    hits = []
    for folder in ("bot", "storage"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                stripped = line.strip()
                if stripped.startswith("#") or not any(p.search(line) for p in _DANGEROUS):
                    continue
                if not re.search(_SQL_WORD, line):
                    continue  # e.g. an f-string for a log line that merely says "update"
                if any(rel == f and frag in line for f, frag in _ALLOWED):
                    continue
                hits.append(f"{rel}:{n}: {stripped}")
    assert hits == []
