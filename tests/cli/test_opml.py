"""Issue 13.11: OPML import is linear in its outlines, capped, and refuses local files and private addresses.

Through the real ``raqib feeds import`` (in-process), on real files; the cost is pinned by counting the id
allocator's probes, not by timing.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
import yaml

from bot.cli import main
from bot.cli import opml as opml_cli
from bot.cli.opml import MAX_OUTLINES, FeedIds
from bot.config import load_config


def opml(outlines: list[tuple[str, str]]) -> str:
    body = "".join(f"<outline type='rss' text={quoteattr(t)} xmlUrl={quoteattr(u)}/>" for t, u in outlines)
    return f"<?xml version='1.0'?><opml version='2.0'><body>{body}</body></opml>"


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("RAQIB_ALLOW_PRIVATE_ADDRESSES", raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - {id: wire, url: 'https://wire.example/rss', language: en, title: Wire}\n")
    return path


def test_ids_for_one_title_cost_linear_probes() -> None:
    ids = FeedIds(set())
    made = [ids.new("Breaking News") for _ in range(20_000)]
    assert len(set(made)) == 20_000 and made[:3] == ["breaking-news", "breaking-news-2", "breaking-news-3"]
    assert ids.probes == 20_000, "one lookup per id when nothing else holds the names"
    # ids already taken by other feeds are each passed once, not once per new copy
    taken = {"a"} | {f"a-{n}" for n in range(2, 1002)}
    ids = FeedIds(taken)
    made = [ids.new("A") for _ in range(5_000)]
    assert len(set(made) | taken) == len(taken) + 5_000
    assert ids.probes <= 5_000 + len(taken)


def test_the_largest_import_allowed_is_written_with_unique_ids(
    cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    allocators: list[FeedIds] = []

    class Counted(FeedIds):
        def __init__(self, taken: set[str]) -> None:
            super().__init__(taken)
            allocators.append(self)

    monkeypatch.setattr(opml_cli, "FeedIds", Counted)
    big = tmp_path / "big.opml"
    big.write_text(opml([("Same title", f"https://n{i}.example/rss") for i in range(MAX_OUTLINES)]))
    assert main(["--config", str(cfg), "feeds", "import", str(big), "--write"]) == 0
    assert f"added {MAX_OUTLINES} feeds" in capsys.readouterr().out
    feeds = load_config(cfg).feeds
    assert len(feeds) == MAX_OUTLINES + 1 and len({f.id for f in feeds}) == len(feeds)
    [ids] = allocators
    assert ids.probes == MAX_OUTLINES, "linear: one probe per outline"


def test_more_outlines_than_the_cap_are_refused_and_nothing_changes(
    cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = cfg.read_text()
    huge = tmp_path / "huge.opml"
    huge.write_text(opml([("Same title", f"https://n{i}.example/rss") for i in range(MAX_OUTLINES + 1)]))
    assert main(["--config", str(cfg), "feeds", "import", str(huge), "--write"]) == 2
    assert f"more than {MAX_OUTLINES:,} outlines; nothing imported" in capsys.readouterr().err
    assert cfg.read_text() == before


LOCAL = [
    ("Passwords", "file:///etc/passwd"),
    ("Loopback", "http://127.0.0.1:8080/feed"),
    ("Metadata", "http://169.254.169.254/latest/meta-data/"),
    ("IPv6 loopback", "http://[::1]/rss"),
    ("Link-local with zone", "http://[fe80::1%25eth0]/rss"),
    ("Mapped", "http://[::ffff:10.0.0.1]/rss"),
    ("Decimal loopback", "http://2130706433/rss"),
    ("Localhost", "http://localhost/rss"),
    ("Sub localhost", "https://admin.localhost/rss"),
    ("Private", "https://10.1.2.3/rss"),
    ("CGNAT", "http://100.64.0.1/rss"),
    ("Ftp", "ftp://files.example/rss"),
    ("Script", "javascript:alert(1)"),
]


def test_local_files_and_private_addresses_are_refused_one_line_each(
    cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mixed = tmp_path / "mixed.opml"
    mixed.write_text(opml([*LOCAL, ("Good news", "https://good.example/rss")]))
    assert main(["--config", str(cfg), "feeds", "import", str(mixed), "--write"]) == 0
    out = capsys.readouterr()
    refused = [line for line in out.err.splitlines() if line.startswith("raqib: refused ")]
    assert len(refused) == len(LOCAL)
    for (_, url), line in zip(LOCAL, refused, strict=True):
        assert line.startswith(f"raqib: refused {url}: ")
    assert "file: URLs are not imported" in refused[0] and "private or reserved address" in refused[1]
    assert "added 1 feeds" in out.out
    assert [f.url for f in load_config(cfg).feeds] == ["https://wire.example/rss", "https://good.example/rss"]


def test_the_feeds_files_own_settings_allow_local_feeds(cfg: Path, tmp_path: Path) -> None:
    cfg.write_text("settings: {allow_private_addresses: true, allow_file_urls: true}\n" + cfg.read_text())
    local = tmp_path / "local.opml"
    local.write_text(opml(LOCAL[:3]))
    assert main(["--config", str(cfg), "feeds", "import", str(local), "--write"]) == 0
    urls = {f.url for f in load_config(cfg).feeds}
    assert {u for _, u in LOCAL[:3]} <= urls
    assert yaml.safe_load(cfg.read_text())["settings"]["allow_file_urls"] is True
