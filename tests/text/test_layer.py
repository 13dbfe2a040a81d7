"""bot/text is a pure layer: chat adapters, the command core and digests import it, never the reverse, and
it reaches no database or network."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.text

FORBIDDEN = ("storage", "bot.adapters", "bot.commands", "bot.deliver", "bot.digest", "bot.service", "bot.fetch")
FORBIDDEN_LIBRARIES = ("httpx", "sqlmodel", "sqlalchemy", "telegram", "discord")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_text_helpers_import_no_storage_adapters_or_http() -> None:
    files = sorted(Path(bot.text.__file__).parent.glob("*.py"))
    assert len(files) >= 5
    for path in files:
        for name in _imports(path):
            assert not name.startswith(FORBIDDEN + FORBIDDEN_LIBRARIES), f"{path.name} imports {name}"
