"""Setting up as the README says: `.env` copied from `.env.example`, `raqib db upgrade` with no feeds file,
`--config` after the subcommand, and `raqib items --all --json` showing each item's story."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.cli import main
from bot.config import Env
from bot.demo.server import FeedServer
from storage.db import alembic_config, make_engine
from tests.service.support import Child, child_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "extra",
    [
        "",  # .env.example exactly as shipped: TELEGRAM_BOT_TOKEN= and DISCORD_BOT_TOKEN=
        "DISCORD_BOT_TOKEN=   \nTELEGRAM_BOT_TOKEN=  \nDATABASE_URL=\nRAQIB_HEALTH_PORT=\n",  # blank = unset
    ],
)
async def test_run_starts_with_the_env_example_copied_as_is(tmp_path: Path, extra: str) -> None:
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    if extra:
        with (tmp_path / ".env").open("a") as f:
            f.write(extra)
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(f"settings: {{data_dir: '{tmp_path / 'data'}'}}\nfeeds: []\n")
    child = await Child.start(cfg, env=child_env(), cwd=tmp_path)
    try:
        await child.wait_for("no chat token set: alerts for console subscriptions are printed here")
        await child.wait_for("raqib running")
        assert await child.terminate() == 0, child.tail()
    finally:
        await child.kill()
    # Before the fix: an AssertionError from the Telegram notifier, or a Discord login with no token that
    # stopped the service. (A stop this soon after the start may log the cancelled digest catch-up job.)
    for failure in ("AssertionError", "LoginFailure", "Improper token", "raqib: "):
        assert not child.saw(failure), child.tail()
    assert (tmp_path / "data" / "raqib.db").exists()


def test_an_empty_or_blank_variable_means_not_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "DATABASE_URL", "RAQIB_HEALTH_PORT", "TELEGRAM_API_URL"):
        monkeypatch.setenv(name, "x")  # so that the teardown restores the variable's state, set or not
        monkeypatch.delenv(name)
    env_file = tmp_path / ".env"
    env_file.write_text(
        "TELEGRAM_BOT_TOKEN=\nDISCORD_BOT_TOKEN=  \nDATABASE_URL=\nRAQIB_HEALTH_PORT=\nDISCORD_ADMIN_ROLE_ID= \n"
        "TELEGRAM_API_URL=http://127.0.0.1:8081\n"
    )
    env = Env(_env_file=env_file)  # type: ignore[call-arg]
    assert env.telegram_bot_token is None and env.discord_bot_token is None and env.database_url is None
    assert env.raqib_health_port == 0 and env.discord_admin_role_id is None
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "")  # an empty variable in the environment, as compose passes it
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", " 123:abc ")
    env = Env(_env_file=env_file)  # type: ignore[call-arg]
    assert env.discord_bot_token is None
    assert env.telegram_bot_token is not None and env.telegram_bot_token.get_secret_value() == "123:abc"
    # A value only in .env reaches the Telegram adapter's settings (through Env, not the process environment).
    assert env.telegram.api_url == "http://127.0.0.1:8081" and "TELEGRAM_API_URL" not in os.environ


def test_a_bad_environment_variable_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAQIB_HEALTH_PORT", "nine")
    assert main(["items"]) == 2
    assert capsys.readouterr().err == "raqib: bad environment: RAQIB_HEALTH_PORT: 'nine' is not a whole number\n"


def test_db_upgrade_needs_no_feeds_file_and_says_what_it_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("RAQIB_CONFIG", raising=False)
    assert not (tmp_path / "feeds.yaml").exists()
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    every = [r.revision for r in reversed(list(script.walk_revisions()))]
    head = script.get_current_head()
    assert every[0] == "0001" and every[-1] == head

    assert main(["db", "upgrade"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"applied {len(every)} migrations to sqlite:///data/raqib.db:", out
    assert [line.split()[0] for line in out[1:-1]] == every
    assert out[1] == "  0001  feeds and items"
    assert out[-1] == f"database is now at revision {head}"
    assert (tmp_path / "data" / "raqib.db").exists()
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == (
        f"database is up to date at revision {head} (sqlite:///data/raqib.db): nothing to apply\n"
    )
    # A feeds file that is named must exist.
    assert main(["db", "upgrade", "--config", "missing.yaml"]) == 2
    assert "missing.yaml: no such file" in capsys.readouterr().err


RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>{src}</title>'
    "<item><title>US adds 12 Chinese firms to Entity List over AI chips</title><link>https://{src}.example/1</link>"
    '<guid isPermaLink="false">{src}1</guid><description>The Commerce Department said on Tuesday it added 12 '
    "Chinese companies to the Entity List over AI chips.</description></item>"
    "<item><title>Weekend weather: rain ahead</title><link>https://{src}.example/2</link>"
    '<guid isPermaLink="false">{src}2</guid></item></channel></rss>'
)


@pytest.fixture
def two_wires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    routes = {
        f"/{src}.xml": (lambda src=src: (200, {"Content-Type": "application/rss+xml"}, RSS.format(src=src).encode()))
        for src in ("a", "b")
    }
    with FeedServer(routes) as server:
        cfg = tmp_path / "wires.yaml"
        cfg.write_text(
            f"settings: {{allow_private_addresses: true, retries: 0, second_look: false, data_dir: '{tmp_path}/d'}}\n"
            f"feeds:\n  - {{id: a, url: '{server.base_url}/a.xml', language: en}}\n"
            f"  - {{id: b, url: '{server.base_url}/b.xml', language: en}}\n"
        )
        yield cfg


def test_config_after_the_subcommand_and_items_all_shows_stories(
    two_wires: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(two_wires)  # not ./feeds.yaml: only --config finds it
    assert main(["poll", "--once", "--json", "--config", cfg]) == 0
    assert {json.loads(x)["feed"] for x in capsys.readouterr().out.splitlines()} == {"a", "b"}

    # Given twice, the one after the subcommand wins.
    assert main(["--config", "elsewhere.yaml", "items", "--all", "--json", "--config", cfg]) == 0
    items = {i["guid"]: i for i in map(json.loads, capsys.readouterr().out.splitlines())}
    assert set(items) == {"a1", "a2", "b1", "b2"}
    assert items["a1"]["story"] is not None and items["a1"]["story"] == items["b1"]["story"], items
    assert items["a1"]["reports"] == items["b1"]["reports"] == 2
    assert items["a2"]["story"] is None and items["b2"]["story"] is None, "the weather is in no story"

    # Without --all the duplicate is folded into its story's lead, with the same story id.
    assert main(["items", "--json", "--config", cfg]) == 0
    leads = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [i["story"] for i in leads if i["story"] is not None] == [items["a1"]["story"]]

    assert main(["--config", "nowhere.yaml", "items"]) == 2
    assert "nowhere.yaml: no such file" in capsys.readouterr().err


def test_config_check_names_each_problem_on_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(
        "settings:\n  default_interval: 10m\n  retries: lots\n"
        "feeds:\n  - id: one\n    url: https://a.example/rss\n    langauge: ar\n"
        "  - {id: two, url: 'https://b.example/rss', language: fr}\n"
    )
    assert main(["config", "check", "--config", str(cfg)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"raqib: {cfg}:3: `settings.retries`: 'lots' is not a whole number",
        f"raqib: {cfg}:7: feed #1 (id 'one'): unknown key `langauge` — did you mean `language`?",
        f"raqib: {cfg}:8: feed #2 (id 'two'), `language`: 'fr' is not one of: ar, en",
    ]
    cfg.write_text("feeds:\n  - {id: one, url: 'https://a.example/rss', language: ar\n")
    assert main(["config", "check", "--config", str(cfg)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"raqib: {cfg}:3:1: not valid YAML: ") and "not closed" in line
    cfg.write_text("feeds:\n  - {id: one, url: 'https://a.example/rss', language: ar}\n")
    assert main(["config", "check", "--config", str(cfg)]) == 0
    assert capsys.readouterr().out == f"{cfg}: valid — 1 feed (1 enabled), 0 subscriptions\n"
