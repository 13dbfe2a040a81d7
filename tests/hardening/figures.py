"""Figures measured by the hardening tests, printed in pytest's terminal summary (see conftest.py).

Tests call ``record("section", "name", value)``; the summary lists them in the order recorded so the lead
can copy them into the README's reliability section.
"""

from __future__ import annotations

FIGURES: dict[str, dict[str, object]] = {}


def record(section: str, name: str, value: object) -> None:
    FIGURES.setdefault(section, {})[name] = value
    # Also on stdout, for a run with -s or a failing test's captured output.
    print(f"[hardening] {section}: {name} = {value}")
