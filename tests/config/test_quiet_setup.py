"""`make test` without PostgreSQL: the skipped PostgreSQL tests make one summary line, and pytest's closing
"N passed, N skipped" line (which CI reads) still counts them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_postgres_skips_fold_into_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "PYTEST_ADDOPTS")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/storage/test_lengths.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    mentions = [line for line in lines if "TEST_DATABASE_URL" in line]
    closing = re.fullmatch(r"(\d+) passed, (\d+) skipped in [\d.]+s", lines[-1])
    assert closing, lines[-1]
    skipped = int(closing.group(2))
    assert skipped > 0
    assert mentions == [
        f"SKIPPED {skipped} PostgreSQL tests: TEST_DATABASE_URL is not set (set it to a database URL to run them)"
    ], proc.stdout
    assert not any(line.startswith("SKIPPED [") for line in lines), "no line per skipped test"
