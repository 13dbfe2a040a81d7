"""``python -m eval``: run every evaluation suite present: ``eval.real`` (real news) first, then the
self-written regression sets ``eval.match``, ``eval.stories`` and ``eval.mojibake``.

Suites are imported lazily so one missing suite (another engineer's, or not written yet) does not
stop the others. A suite exposes ``main(argv)`` or ``main()`` in its ``__main__`` module or package;
each runs with its defaults. The exit status is the worst suite's.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from typing import Any

SUITES: tuple[str, ...] = ("eval.real", "eval.match", "eval.stories", "eval.mojibake")


def _missing(exc: ModuleNotFoundError, module: str) -> bool:
    """True when the import failed because ``module`` itself (or a parent) does not exist."""
    return exc.name is not None and (module == exc.name or module.startswith(exc.name + "."))


def _entry(name: str) -> Callable[..., Any] | None:
    """Return the suite's ``main``, or None when the suite is absent.

    A suite that is present but fails to import (for example a missing dependency) raises, so a
    broken suite is never mistaken for an absent one.
    """
    for module_name in (f"{name}.__main__", name):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if _missing(exc, module_name):
                continue
            raise
        main = getattr(module, "main", None)
        if callable(main):
            return main
    return None


def _run(main: Callable[..., Any]) -> int:
    takes_argv = bool(inspect.signature(main).parameters)
    result = main([]) if takes_argv else main()
    return int(result or 0)


def main() -> int:
    status = 0
    for name in SUITES:
        entry = _entry(name)
        if entry is None:
            print(f"[{name}] not present, skipped\n")
            continue
        print(f"[{name}]")
        status = max(status, _run(entry))
    return status


if __name__ == "__main__":
    sys.exit(main())
