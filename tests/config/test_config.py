from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Env, load_config, parse_config, parse_duration

GOOD = """
settings: {default_interval: 5m}
feeds:
  - {id: ar-one, url: "https://a.example/rss", language: ar, interval: 1h30m, tags: [economy]}
  - {id: en-two, url: "https://b.example/rss", language: en}
"""


def test_good_file_and_intervals() -> None:
    cfg = parse_config(GOOD)
    assert [f.id for f in cfg.feeds] == ["ar-one", "en-two"]
    assert cfg.interval(cfg.feeds[0]) == 5400 and cfg.interval(cfg.feeds[1]) == 300


@pytest.mark.parametrize(("text", "expect"), [("10m", 600), ("45s", 45), ("2d", 172800), (90, 90), ("120", 120)])
def test_durations(text: object, expect: float) -> None:
    assert parse_duration(text) == expect


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "feeds:\n  - {id: x, url: 'https://a.example', language: ar, intervall: 5m}\n",
            ["feeds.yaml:2: feed #1 (id 'x'): unknown key `intervall` — did you mean `interval`?"],
        ),
        (  # the typo'd required key: one line, not a second "required but missing" for `language`
            "feeds:\n  - id: x\n    url: 'https://a.example'\n    langauge: ar\n",
            ["feeds.yaml:4: feed #1 (id 'x'): unknown key `langauge` — did you mean `language`?"],
        ),
        ("feeds:\n  - {id: x, language: ar}\n", ["feeds.yaml:2: feed #1 (id 'x'), `url`: required but missing"]),
        (
            "feeds:\n  - {id: x, url: 'https://a.example', language: fr}\n",
            ["feeds.yaml:2: feed #1 (id 'x'), `language`: 'fr' is not one of: ar, en"],
        ),
        (
            "feeds:\n  - {id: x, url: 'https://a', language: ar}\n  - {id: x, url: 'https://b', language: en}\n",
            ["feeds.yaml:3: feed #2 (id 'x'): the id is already used by feed #1"],
        ),
        (
            "feeds:\n  - {id: x, url: 'ftp://a.example', language: ar}\n",
            ["feeds.yaml:2: feed #1 (id 'x'), `url`: must start with http://, https:// or file://"],
        ),
        (
            "feeds:\n  - {id: x, url: 'https://a', language: ar, interval: soon}\n",
            [
                "feeds.yaml:2: feed #1 (id 'x'), `interval`: 'soon' is not a duration"
                " (use e.g. 45s, 10m, 1h30m, 2d or seconds)"
            ],
        ),
        (
            "settings:\n  retries: many\n  per_hots: 3\nfeeds: []\n",
            [
                "feeds.yaml:2: `settings.retries`: 'many' is not a whole number",
                "feeds.yaml:3: in `settings`: unknown key `per_hots` — did you mean `per_host`?",
            ],
        ),
        ("setings: {}\n", ["feeds.yaml:1: unknown key `setings` — did you mean `settings`?"]),
        ("feeds:\n  - {id: x, url: 'https://a', language: ar, none: 1}\n", ["unknown key `none`"]),
        ("feeds:\n  - {id: x, url: 'https://a', language: ar, colour: red}\n", ["unknown key `colour`"]),
        (
            "subscriptions:\n  - {platform: slack, target: '1'}\n",
            ["feeds.yaml:2: subscription #1, `platform`: 'slack' is not one of: discord-webhook, telegram, discord"],
        ),
        (
            "feeds:\n  - id: a\n    url: https://a.example\n  language: [\n",
            [
                "feeds.yaml:4:3: not valid YAML: expected the end of the indented block, but found a key"
                " (check the indentation)"
            ],
        ),
        ("feeds: [\n", ["feeds.yaml:2:1: not valid YAML: expected a value, but found the end of the file"]),
        ("feeds:\n\t- {id: a}\n", ["feeds.yaml:2:1: not valid YAML: found a tab (indent with spaces)"]),
        ("- just a list\n", ["feeds.yaml: expected a mapping with a 'feeds:' list at the top level"]),
    ],
)
def test_bad_files_give_one_line_per_problem(yaml_text: str, expected: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(yaml_text, "feeds.yaml")
    lines = str(info.value).splitlines()
    assert len(lines) == len(expected), lines
    for line, want in zip(lines, expected, strict=True):
        assert want in line, lines
    for pydantic_words in ("Input should", "Value error", "validation error", "Field required", "[type="):
        assert pydantic_words not in str(info.value)
    if "colour" in yaml_text:
        assert "did you mean" not in lines[0], "no suggestion when nothing is close"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml")


def test_shipped_feeds_yaml_is_valid_and_bilingual() -> None:
    cfg = load_config(Path(__file__).resolve().parents[2] / "feeds.yaml")
    langs = [f.language for f in cfg.feeds]
    assert len(cfg.feeds) >= 12 and langs.count("ar") >= 4 and langs.count("en") >= 4
    assert any(f.authority and "federalregister" in f.url for f in cfg.feeds)
    assert any("news.google.com" in f.url and f.language == "ar" for f in cfg.feeds)


def test_subscriptions_in_the_feeds_file(sqlite_engine, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from bot.adapters.discord.options import DiscordOptions
    from bot.app import sync_config
    from storage import subscriptions as subs
    from storage.db import session

    url = "https://discord.com/api/webhooks/424242424242424242/" + "Tk-3_x" * 11 + "ab"
    monkeypatch.setenv("RAQIB_WEBHOOK_ALERTS", url)
    cfg = parse_config(
        "feeds: []\nsubscriptions:\n"
        "  - {platform: discord-webhook, url_env: RAQIB_WEBHOOK_ALERTS, topics: [hbm, ضوابط التصدير],"
        " language: ar, name: Raqib}\n"
        "  - {platform: telegram, target: '-100123', topics: [nvidia]}\n"
        "  - {platform: discord-webhook, url: 'https://example.com/not-discord'}\n"
    )
    variables = Env(_env_file=None).variables  # type: ignore[call-arg]
    sync_config(sqlite_engine, cfg, variables)
    sync_config(sqlite_engine, cfg, variables)  # idempotent
    with session(sqlite_engine) as s:
        all_subs = subs.list_subscriptions(s)
        hook = subs.get_subscription(s, "discord-webhook", "webhook:424242424242424242")
        assert hook is not None and hook.secret == url and hook.topics == "hbm export-controls"
        assert hook.interface_language == "ar" and DiscordOptions.parse(hook.options).username == "Raqib"
        tg = subs.get_subscription(s, "telegram", "-100123")
        assert tg is not None and tg.topics == "nvidia"
        assert len(all_subs) == 2, "a URL that is not a Discord webhook is skipped, with a logged reason"


@pytest.mark.parametrize(
    ("yaml_text", "needle"),
    [
        ("subscriptions:\n  - {platform: discord-webhook, topics: [hbm]}\n", "needs url or url_env"),
        ("subscriptions:\n  - {platform: telegram}\n", "needs target"),
        ("subscriptions:\n  - {platform: telegram, target: '1', topics: [hbmm]}\n", "unknown topic 'hbmm'"),
    ],
)
def test_bad_subscriptions_in_the_feeds_file(yaml_text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_config(yaml_text)
