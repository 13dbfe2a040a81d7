"""Every setting is documented: the README's reference table is generated from the settings models, and
fails here when a field has no description, the table is stale, or the code reads an undeclared variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.cli import main
from bot.config import (
    REFERENCE_END,
    REFERENCE_START,
    Env,
    FeedConfig,
    Settings,
    SubscriptionConfig,
    format_duration,
    settings_reference,
)

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def _table_names(reference: str) -> set[str]:
    return set(re.findall(r"^\| `([A-Za-z_]+)` \|", reference, re.MULTILINE))


@pytest.mark.parametrize("model", [Settings, FeedConfig, SubscriptionConfig, Env])
def test_every_field_has_a_description_and_a_row(model: type[BaseModel]) -> None:
    undocumented = [name for name, info in model.model_fields.items() if not (info.description or "").strip()]
    assert not undocumented, f"describe these fields (Field(description=...)) in bot/config/: {undocumented}"
    names = _table_names(settings_reference())
    rows = {n.upper() if model is Env else n for n in model.model_fields}
    assert rows <= names


def test_the_readme_table_is_current() -> None:
    readme = README.read_text(encoding="utf-8")
    assert REFERENCE_START in readme and REFERENCE_END in readme
    block = readme.split(REFERENCE_START, 1)[1].split(REFERENCE_END, 1)[0]
    assert block == "\n" + settings_reference(), (
        "the README's settings reference is stale: run `.venv/bin/raqib config reference --readme README.md`"
    )


def test_every_variable_the_code_reads_is_declared_and_documented() -> None:
    read = re.compile(r"""(?:environ(?:\.get)?\s*[\[(]|env\.get\(|getenv\()\s*["']((?:RAQIB|TELEGRAM|DISCORD)_\w+)""")
    found = {
        (name, str(path.relative_to(ROOT)))
        for base in ("bot", "storage")
        for path in (ROOT / base).rglob("*.py")
        for name in read.findall(path.read_text(encoding="utf-8"))
    }
    assert "RAQIB_CACHE_DIR" in {name for name, _ in found}, "the scan sees what the lexicon cache reads"
    declared = {name.upper() for name in Env.model_fields}
    missing = sorted(f"{name} ({where})" for name, where in found if name not in declared)
    assert not missing, f"declare (with a description) in bot.config.Env: {missing}"


def test_raqib_config_reference_prints_it_and_rewrites_a_stale_readme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "reference"]) == 0
    printed = capsys.readouterr().out
    assert printed == settings_reference()
    assert "| `per_host` | 4 |" in printed and "| `max_backoff` | 6h |" in printed
    assert "| `retention_days` | 180 |" in printed and "| `feed_lease` | 5m |" in printed
    assert "| `TELEGRAM_BOT_TOKEN` | unset |" in printed

    stale = tmp_path / "README.md"
    stale.write_text(f"# Title\n\n{REFERENCE_START}\n| `old` | 1 | gone |\n{REFERENCE_END}\n\nAfter.\n")
    assert main(["config", "reference", "--readme", str(stale)]) == 0
    assert capsys.readouterr().out == f"{stale}: settings reference updated\n"
    text = stale.read_text()
    assert "`old`" not in text and text.startswith("# Title\n\n") and text.endswith(f"{REFERENCE_END}\n\nAfter.\n")
    assert main(["config", "reference", "--readme", str(stale)]) == 0
    assert "already up to date" in capsys.readouterr().out

    stale.write_text("# No markers\n")
    assert main(["config", "reference", "--readme", str(stale)]) == 2
    assert "markers" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("seconds", "text"), [(600, "10m"), (5400, "1h30m"), (172800, "2d"), (30, "30s"), (0.5, "0.5s")]
)
def test_durations_are_written_as_the_file_writes_them(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
