from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config, parse_duration

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
    ("yaml_text", "needles"),
    [
        (
            "feeds:\n  - {id: x, url: 'https://a.example', language: ar, intervall: 5m}\n",
            ["feed #1 (id 'x')", "intervall", "unknown key"],
        ),
        ("feeds:\n  - {id: x, language: ar}\n", ["feed #1 (id 'x')", "'url'", "required"]),
        ("feeds:\n  - {id: x, url: 'https://a.example', language: fr}\n", ["'language'", "'ar' or 'en'"]),
        (
            "feeds:\n  - {id: x, url: 'https://a', language: ar}\n  - {id: x, url: 'https://b', language: en}\n",
            ["duplicate feed id 'x'"],
        ),
        ("feeds:\n  - {id: x, url: 'ftp://a.example', language: ar}\n", ["'url'", "http://"]),
        ("feeds:\n  - {id: x, url: 'https://a', language: ar, interval: soon}\n", ["'interval'", "not a duration"]),
        ("feeds: [\n", ["not valid YAML"]),
        ("- just a list\n", ["expected a mapping"]),
    ],
)
def test_bad_files_give_one_clear_message(yaml_text: str, needles: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(yaml_text, "feeds.yaml")
    message = str(info.value)
    assert message.startswith("feeds.yaml")
    for needle in needles:
        assert needle in message, message
    assert "Traceback" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml")


def test_shipped_feeds_yaml_is_valid_and_bilingual() -> None:
    cfg = load_config(Path(__file__).resolve().parents[2] / "feeds.yaml")
    langs = [f.language for f in cfg.feeds]
    assert len(cfg.feeds) >= 12 and langs.count("ar") >= 4 and langs.count("en") >= 4
    assert any(f.authority and "federalregister" in f.url for f in cfg.feeds)
    assert any("news.google.com" in f.url and f.language == "ar" for f in cfg.feeds)
