"""Issue 15.10: `feeds export` shows the URL in use after a permanent redirect, and an OPML round trip keeps
feed ids, authority, tags and disabled state (``raqib:`` attributes); `feeds import --write` on ``feeds: []``.

Through the real CLI (in-process ``main``), real files, a real SQLite database and a loopback feed server
that answers the configured URL with a 301.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.opml import RAQIB_NS
from bot.config import load_config

RSS = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Moved</title>
<link>http://example.com/</link><description>d</description>
<item><title>Central bank holds rates</title><link>http://example.com/a</link><guid>a</guid></item>
</channel></rss>"""


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/old.xml":
            self.send_response(301)
            self.send_header("Location", "/new.xml")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(RSS)))
        self.end_headers()
        self.wfile.write(RSS)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # shutdown() waits for serve_forever's next poll: 0.5 s by default, 0.05 s here.
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DATABASE_URL", "RAQIB_DATABASE_URL", "TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


def outlines(text: str) -> dict[str, dict[str, str]]:
    root = ET.fromstring(text)
    return {o.get(f"{{{RAQIB_NS}}}id", ""): o.attrib for o in root.iter("outline")}


def test_export_after_a_permanent_redirect_shows_the_url_in_use_and_round_trips(
    server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(
        f"settings: {{data_dir: '{tmp_path / 'data'}', allow_private_addresses: true}}\n"
        "feeds:\n"
        f"  - {{id: moved, url: '{server}/old.xml', language: en, title: Moved, authority: true,"
        " tags: [economy, rates]}\n"
        "  - {id: resting, url: 'https://resting.example/rss', language: ar, title: Resting, enabled: false}\n"
    )
    assert main(["--config", str(cfg), "poll", "--once"]) == 0
    capsys.readouterr()

    assert main(["--config", str(cfg), "feeds", "export"]) == 0
    exported = capsys.readouterr().out
    ns = f"{{{RAQIB_NS}}}"
    got = outlines(exported)
    assert got["moved"]["xmlUrl"] == f"{server}/new.xml", "the URL in use, not the one before the 301"
    assert got["moved"][f"{ns}configuredUrl"] == f"{server}/old.xml"
    assert "moved by a permanent redirect" in exported
    assert got["moved"][f"{ns}authority"] == "true" and got["moved"][f"{ns}tags"] == "economy,rates"
    assert got["resting"]["xmlUrl"] == "https://resting.example/rss"
    assert got["resting"][f"{ns}disabled"] == "true" and f"{ns}configuredUrl" not in got["resting"]

    # importing the export into the same file adds nothing: the moved feed is known by its configured URL
    opml = tmp_path / "export.opml"
    opml.write_text(exported)
    assert main(["--config", str(cfg), "feeds", "import", str(opml), "--write"]) == 0
    assert "nothing to import" in capsys.readouterr().out

    # into a fresh file holding `feeds: []`: ids, authority, tags and disabled state come back
    fresh = tmp_path / "fresh.yaml"
    fresh.write_text("settings: {allow_private_addresses: true}\nfeeds: []\n")
    assert main(["--config", str(fresh), "feeds", "import", str(opml), "--write"]) == 0
    assert "added 2 feeds" in capsys.readouterr().out
    feeds = {f.id: f for f in load_config(fresh).feeds}
    assert set(feeds) == {"moved", "resting"}
    assert feeds["moved"].url == f"{server}/new.xml" and feeds["moved"].authority
    assert feeds["moved"].tags == ("economy", "rates") and feeds["moved"].enabled
    assert feeds["resting"].language == "ar" and not feeds["resting"].enabled and not feeds["resting"].authority

    # and exporting the fresh file gives the same outlines (it has no database: its URLs are the file's)
    assert main(["--config", str(fresh), "feeds", "export"]) == 0
    again = outlines(capsys.readouterr().out)
    assert again["moved"]["xmlUrl"] == got["moved"]["xmlUrl"]
    for key in (f"{ns}authority", f"{ns}tags", f"{ns}disabled", "language", "title"):
        assert again["moved"].get(key) == got["moved"].get(key)
        assert again["resting"].get(key) == got["resting"].get(key)


def test_an_id_already_taken_or_invalid_gets_a_fresh_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text("feeds:\n  - {id: wire, url: 'https://wire.example/rss', language: en}\n")
    opml = tmp_path / "in.opml"
    opml.write_text(
        f'<opml version="2.0" xmlns:raqib="{RAQIB_NS}"><body>'
        '<outline type="rss" text="Other wire" xmlUrl="https://other.example/rss" raqib:id="wire"/>'
        '<outline type="rss" text="Bad id" xmlUrl="https://bad.example/rss" raqib:id="../Bad ID"/>'
        '<outline type="rss" text="Plain" xmlUrl="https://plain.example/rss" raqib:authority="yes"/>'
        "</body></opml>"
    )
    assert main(["--config", str(cfg), "feeds", "import", str(opml), "--write"]) == 0
    feeds = {f.url: f for f in load_config(cfg).feeds}
    assert feeds["https://other.example/rss"].id == "other-wire"
    assert feeds["https://bad.example/rss"].id == "bad-id"
    assert not feeds["https://plain.example/rss"].authority, "only 'true' sets authority"
