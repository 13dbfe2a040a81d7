"""The `raqib` command in-process: OPML import/export, feeds check, items --json, config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo.server import FeedServer

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
    b"<item><title>US adds 12 Chinese firms to Entity List over AI chips</title><link>https://w.example/1</link>"
    b'<guid isPermaLink="false">w1</guid><description>The Commerce Department said.</description></item>'
    b"<item><title>Weekend weather: rain ahead</title><link>https://w.example/2</link>"
    b'<guid isPermaLink="false">w2</guid></item>'
    b"</channel></rss>"
)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    server = FeedServer({"/wire.xml": lambda: (200, {"Content-Type": "application/rss+xml"}, RSS)})
    server.__enter__()
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(
        f"settings: {{allow_private_addresses: true, retries: 0, data_dir: '{tmp_path / 'data'}'}}\n"
        f"feeds:\n  - {{id: wire, url: '{server.base_url}/wire.xml', language: en, title: Wire}}\n"
        f"  - {{id: gone, url: '{server.base_url}/gone.xml', language: ar}}\n"
    )
    yield cfg, server
    server.__exit__()


def test_poll_json_items_json_and_feeds_check(setup, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = setup
    assert main(["--config", str(cfg), "poll", "--once", "--json"]) == 0, "a failed feed does not fail the cycle"
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    by_feed = {x["feed"]: x for x in lines}
    assert by_feed["wire"]["status"] == "new" and by_feed["wire"]["new"] == 2
    assert by_feed["gone"]["status"] == "failed" and by_feed["gone"]["error_code"] == "http_404"

    assert main(["--config", str(cfg), "items", "--json", "--limit", "5"]) == 0
    items = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {"id", "feed", "guid", "url", "title", "language", "published"} <= set(items[0])
    assert {i["guid"] for i in items} == {"w1", "w2"} and all(i["feed"] == "wire" for i in items)

    assert main(["--config", str(cfg), "feeds", "check"]) == 0
    out = capsys.readouterr().out
    assert "ok      wire: 2 entries" in out and "FAILED  gone" in out and "404" in out


def test_opml_export_then_import_round_trip(setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    cfg, _server = setup
    assert main(["--config", str(cfg), "feeds", "export"]) == 0
    opml = capsys.readouterr().out
    assert 'xmlUrl="' in opml and 'language="ar"' in opml
    other = tmp_path / "other.opml"
    other.write_text(
        opml.replace(
            "</body>",
            '<outline type="rss" text="الخبر" xmlUrl="https://k.example/rss"/>'
            '<outline type="rss" text="Policy Wire" xmlUrl="https://p.example/rss"/></body>',
        ),
        encoding="utf-8",
    )
    assert main(["--config", str(cfg), "feeds", "import", str(other), "--write"]) == 0
    assert "added 2 feeds" in capsys.readouterr().out
    text = cfg.read_text(encoding="utf-8")
    assert "https://k.example/rss" in text and "language: ar" in text.split("https://k.example/rss")[1][:80]
    assert main(["--config", str(cfg), "feeds", "import", str(other)]) == 0
    assert "nothing to import" in capsys.readouterr().out  # known URLs are not added twice
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline")
    assert main(["--config", str(cfg), "feeds", "import", str(bad)]) == 2
    assert "not a readable OPML file" in capsys.readouterr().err


def test_config_errors_are_one_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text("feeds:\n  - {id: a, url: 'https://a.example/rss', language: ar, intervall: 5m}\n")
    assert main(["--config", str(cfg), "poll", "--once"]) == 2
    err = capsys.readouterr().err
    assert err == f"raqib: {cfg}:2: feed #1 (id 'a'): unknown key `intervall` — did you mean `interval`?\n"
    cfg.write_text("lexicon:\n  entities:\n    - {id: nvidia, kind: company, name: {en: X, ar: X}}\nfeeds: []\n")
    assert main(["--config", str(cfg), "poll", "--once"]) == 2
    assert "lexicon:" in capsys.readouterr().err


def test_a_lexicon_extension_from_feeds_yaml_is_matched(tmp_path: Path) -> None:
    from bot.analyze import classifier_for, lexicon_key
    from bot.config import parse_config

    cfg = parse_config(
        "lexicon:\n  entities:\n    - {id: acme-chips, kind: company, weight: 3.0, topics: [ai-chips],"
        " name: {ar: أكمي, en: Acme Chips}, aliases: {ar: [أكمي], en: [Acme Chips]}}\nfeeds: []\n"
    )
    classify = classifier_for(lexicon_key(cfg.lexicon))
    c = classify("Acme Chips wins export licence for AI accelerators to China", "", "en")
    assert "acme-chips" in {e.id for e in c.entities}
