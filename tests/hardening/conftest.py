"""Hardening tests: the figures they measure are printed at the end of the run."""

from __future__ import annotations

import pytest

from tests.hardening.figures import FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("raqib hardening figures")
    for section, values in FIGURES.items():
        terminalreporter.write_line(f"{section}:")
        for name, value in values.items():
            terminalreporter.write_line(f"  {name}: {value}")
