"""``upgrade()`` at every start: a store already at the head costs one query, not Alembic (start-up time,
issue 14); a store behind it is migrated as before, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage.db import alembic_config, at_head, make_engine, script_head, upgrade

ROOT = Path(__file__).resolve().parents[2]


def test_the_scripts_head_is_alembics_head() -> None:
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    assert script_head() == script.get_current_head()


def test_a_store_behind_the_head_is_migrated(engine: Engine) -> None:
    head = script_head()
    script = ScriptDirectory.from_config(alembic_config(engine))
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    from alembic import command

    command.downgrade(alembic_config(engine), previous)
    assert not at_head(engine)
    upgrade(engine)
    assert at_head(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head


def test_a_new_store_is_not_at_the_head(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert not at_head(engine)
    upgrade(engine)
    assert at_head(engine)
    engine.dispose()


def test_a_store_at_the_head_is_opened_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'raqib.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    code = (
        "import sys\n"
        "from storage.db import make_engine, upgrade\n"
        f"upgrade(make_engine({url!r}))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
