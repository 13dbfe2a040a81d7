"""``raqib poll --once`` keeps the garbage collector off its start-up heap (start-up time, issue 14) and gives
it back as it found it, whatever happens: main() also runs in-process (tests, the demo)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo.server import FeedServer

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
    b"<item><title>Weekend weather: rain ahead</title><link>https://w.example/2</link>"
    b'<guid isPermaLink="false">w2</guid></item></channel></rss>'
)


def _collector_as_found() -> None:
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_poll_leaves_the_collector_enabled_and_nothing_frozen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    seen: list[tuple[bool, int]] = []

    def feed() -> tuple[int, dict[str, str], bytes]:
        seen.append((gc.isenabled(), gc.get_freeze_count()))  # during the cycle
        return 200, {"Content-Type": "application/rss+xml"}, RSS

    with FeedServer({"/wire.xml": feed}) as server:
        cfg = tmp_path / "feeds.yaml"
        cfg.write_text(
            f"settings: {{allow_private_addresses: true, retries: 0, data_dir: '{tmp_path / 'data'}'}}\n"
            f"feeds:\n  - {{id: wire, url: '{server.base_url}/wire.xml', language: en}}\n"
        )
        assert main(["--config", str(cfg), "poll", "--once"]) == 0
    assert "1 new items" in capsys.readouterr().out
    enabled, frozen = seen[0]
    assert enabled and frozen > 0, "the start-up heap is frozen while the cycle runs"
    _collector_as_found()


def test_a_feeds_file_that_fails_leaves_the_collector_as_found(tmp_path: Path) -> None:
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text("feeds:\n  - {id: a, url: 'https://a.example/rss', language: fr}\n")
    assert main(["--config", str(cfg), "poll", "--once"]) == 2
    _collector_as_found()


def test_the_process_entry_returns_mains_code_and_exits_with_the_heap_frozen(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``raqib`` (``bot.cli.entry``) freezes what is left as it returns: the interpreter's last collection
    then has nothing to walk. ``main()`` alone leaves the collector as it found it (above)."""
    from bot.cli import entry

    monkeypatch.setattr("sys.argv", ["raqib", "config", "reference"])
    try:
        assert entry() == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert "feeds" in capsys.readouterr().out
    monkeypatch.setattr("sys.argv", ["raqib", "no-such-command"])
    with pytest.raises(SystemExit) as exit_:  # argparse's own exit: nothing to freeze, the code unchanged
        entry()
    assert exit_.value.code == 2
    assert gc.get_freeze_count() == 0
