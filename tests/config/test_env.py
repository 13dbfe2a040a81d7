"""The environment is read once, by ``bot.config.Env`` (the process environment, then ``.env``), and passed down:
the Telegram adapter's settings and the webhook URLs subscriptions name come from it, not from ``os.environ``
read deep in the code; and nothing in ``bot`` reads or writes ``os.environ`` besides config loading."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.app import build_service, open_database
from bot.config import Env, load_config
from bot.domain import Platform
from storage import subscriptions as subs
from storage.db import session
from tests.fakes.telegram_api import TOKEN, FakeBotAPI

ROOT = Path(__file__).resolve().parents[2]
HOOK = "https://discord.com/api/webhooks/424242424242424242/" + "Tk-3_x" * 11 + "ab"
TELEGRAM = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_WEBHOOK_LISTEN",
    "TELEGRAM_WEBHOOK_PORT",
    "TELEGRAM_WEBHOOK_PATH",
    "TELEGRAM_LINK_PREVIEWS",
    "PTB_TIMEDELTA",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A working folder of its own (where ``Env`` looks for ``.env``) and no Telegram variable set."""
    for name in (*TELEGRAM, "RAQIB_WEBHOOK_POLICY", "DISCORD_BOT_TOKEN", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


async def test_a_telegram_setting_only_in_dotenv_reaches_the_adapter(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, sqlite_engine: Engine
) -> None:
    async with FakeBotAPI() as fake:
        (tmp_path / ".env").write_text(
            f"TELEGRAM_BOT_TOKEN={TOKEN}\nTELEGRAM_API_URL={fake.api_url}\nTELEGRAM_LINK_PREVIEWS=true\n"
        )
        env = Env()  # as `raqib run` reads it: the working folder's .env
        svc = build_service(load_config(_feeds(tmp_path)), env, config_path=None, engine=sqlite_engine)
        # The listener: had TELEGRAM_API_URL not reached it, PTB would call api.telegram.org (refused in tests).
        _, start = svc.chats.listeners(svc.core)[Platform.TELEGRAM]
        stop = await start()
        try:
            # start() has checked the token and registered the menu: both at the Bot API .env names
            assert fake.calls_to("getMe") and fake.calls_to("setMyCommands")
        finally:
            await stop()
        # The send-only notifier, with the same settings.
        cleanups: list = []  # type: ignore[type-arg]
        notifiers = await svc.chats.notifiers(cleanups)
        try:
            telegram = notifiers[Platform.TELEGRAM]
            assert telegram.api_url == fake.api_url  # type: ignore[attr-defined]
            assert telegram._preview.is_disabled is False, "TELEGRAM_LINK_PREVIEWS=true, from .env only"  # type: ignore[attr-defined]
        finally:
            for close in reversed(cleanups):
                await close()
    for name in TELEGRAM:  # nothing was written into the process environment on the way
        assert name not in os.environ, name


def test_a_webhook_url_in_the_environment_reaches_the_subscription(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("RAQIB_WEBHOOK_POLICY", HOOK)
    env = Env()
    clean_env.setenv("RAQIB_WEBHOOK_POLICY", "https://discord.com/api/webhooks/1/changed-later")  # read once, at load
    engine = open_database(load_config(_feeds(tmp_path)), env, url=f"sqlite:///{tmp_path / 'raqib.db'}")
    try:
        assert _stored_hook(engine) == HOOK
    finally:
        engine.dispose()


def test_a_webhook_url_only_in_dotenv_reaches_the_subscription(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"RAQIB_WEBHOOK_POLICY={HOOK}\n")
    env = Env()
    assert env.variables["RAQIB_WEBHOOK_POLICY"] == HOOK
    engine = open_database(load_config(_feeds(tmp_path)), env, url=f"sqlite:///{tmp_path / 'raqib.db'}")
    try:
        assert _stored_hook(engine) == HOOK
        # A reload (SIGHUP) syncs with the same variables, through the service's parts.
        svc = build_service(load_config(_feeds(tmp_path)), env, config_path=None, engine=engine)
        svc.parts.sync_config(load_config(_feeds(tmp_path)))
        assert _stored_hook(engine) == HOOK
    finally:
        engine.dispose()


def test_the_environment_wins_over_dotenv_and_blank_is_unset(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("RAQIB_WEBHOOK_POLICY=from-dotenv\nRAQIB_BLANK_ONE=  \nTELEGRAM_WEBHOOK_PORT=0\n")
    clean_env.setenv("RAQIB_WEBHOOK_POLICY", "from-environment")
    env = Env()
    assert env.variables["RAQIB_WEBHOOK_POLICY"] == "from-environment" and "RAQIB_BLANK_ONE" not in env.variables
    assert env.telegram.webhook_port == 0, "port 0 (any free port) is a value, not 'unset'"
    assert "RAQIB_WEBHOOK_POLICY" not in repr(env), "the environment's values stay out of reprs and logs"
    assert Env(_env_file=None).variables.get("RAQIB_WEBHOOK_POLICY") == "from-environment"  # type: ignore[call-arg]


def test_ptb_needs_no_variable_to_stay_quiet_about_durations() -> None:
    # The service used to set PTB_TIMEDELTA in its own environment; the adapter now silences PTB's notice.
    code = "import bot.adapters.telegram.errors\nfrom telegram.error import RetryAfter\nRetryAfter(5)\n"
    env = {k: v for k, v in os.environ.items() if k != "PTB_TIMEDELTA"}
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


# Where the process environment may be touched: config loading (`Env`, in bot/config/env.py; no other module of
# bot/config), and the CLI's hand-off of the lexicon cache's folder to its child processes; the lexicon cache
# finds its folder there (`raqib match` reads no settings).
ALLOWED = {"bot/config/env.py", "bot/cli/__init__.py", "bot/match/cache.py"}


def test_nothing_else_in_bot_reads_or_writes_the_environment() -> None:
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
            if name in ("environ", "getenv", "putenv", "unsetenv") and rel not in ALLOWED:
                found.append(f"{rel}:{node.lineno}: {name}")
    assert found == []


def _feeds(folder: Path) -> Path:
    path = folder / "feeds.yaml"
    path.write_text(
        f"settings: {{data_dir: '{folder / 'data'}'}}\nfeeds: []\nsubscriptions:\n"
        "  - {platform: discord-webhook, url_env: RAQIB_WEBHOOK_POLICY, topics: [hbm]}\n"
    )
    return path


def _stored_hook(engine: Engine) -> str | None:
    with session(engine) as s:
        hook = subs.get_subscription(s, "discord-webhook", "webhook:424242424242424242")
        return hook.secret if hook is not None else None
