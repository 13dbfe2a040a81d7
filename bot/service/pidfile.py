"""``raqib.pid`` in the data folder: one SQLite service per folder, and where ``raqib reload`` sends SIGHUP."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from bot.service.roles import ServiceError

if TYPE_CHECKING:
    from bot.config import FeedsFile

NAME = "raqib.pid"


class PidFile:
    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / NAME

    def live_predecessor(self) -> int | None:
        """The pid of another live ``raqib run`` on this data folder, if any (a stale pid file is ignored)."""
        try:
            pid = int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None
        if pid == os.getpid():
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        try:  # a recycled pid belongs to some other program
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return pid
        return pid if b"raqib" in cmdline or b"bot.cli" in cmdline else None

    def write(self) -> None:
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(str(os.getpid()))

    def remove(self) -> None:
        """Only our own pid: a second service refused at start must not remove the first one's file."""
        with contextlib.suppress(OSError):
            if self.path.read_text().strip() == str(os.getpid()):
                self.path.unlink()


def reload_running(config: FeedsFile) -> str:
    """`raqib reload`: signal the running service (its pid file is in the data folder)."""
    pid_file = PidFile(config.settings.data_dir).path
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        raise ServiceError(f"no running raqib found ({pid_file}: {exc})") from None
    return f"asked raqib (pid {pid}) to reload its configuration"
