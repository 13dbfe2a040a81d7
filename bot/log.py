"""Logging: one line per event, optional JSON, secrets redacted in every record."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

_PATTERNS = [
    (re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b"), "<telegram-token>"),  # Bot API tokens
    (re.compile(r"(/bot)\d{6,12}:[A-Za-z0-9_-]+"), r"\1<telegram-token>"),
    (re.compile(r"(/api/webhooks/\d+/)[A-Za-z0-9_.-]+"), r"\1<webhook-secret>"),
    (re.compile(r"\b[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}\b"), "<discord-token>"),
    (re.compile(r"(://[^:/@\s]+:)[^@/\s]+@"), r"\1<password>@"),  # credentials in URLs
]


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 6 and secret not in self.secrets:
            self.secrets = sorted([*self.secrets, secret], key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        for pattern, repl in _PATTERNS:
            text = pattern.sub(repl, text)
        return text


REDACT = Redactor()


class _RedactingFormatter(logging.Formatter):
    def __init__(self, as_json: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        if self.as_json:
            payload = {
                "time": self.formatTime(record),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            if record.exc_info:
                payload["exc"] = self.formatException(record.exc_info)
            return REDACT(json.dumps(payload, ensure_ascii=False))
        return REDACT(super().format(record))


def setup_logging(level: str = "INFO", *, as_json: bool = False, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_RedactingFormatter(as_json))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic", "trafilatura"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
