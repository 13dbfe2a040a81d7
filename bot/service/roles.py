"""The service's roles, what each one runs, and the error that stops it from starting."""

from __future__ import annotations

import os
import random
import socket

ROLES = ("all", "poller", "dispatcher", "chat")


class ServiceError(Exception):
    """A setting that makes the service impossible to start, with a message for the operator."""


def check(role: str) -> str:
    if role not in ROLES:
        raise ServiceError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    return role


def polls(role: str) -> bool:
    """Feed jobs (and retention) run in this role."""
    return role in ("all", "poller")


def dispatches(role: str) -> bool:
    """The outbox's dispatcher, digests and trend alerts run in this role."""
    return role in ("all", "dispatcher")


def listens(role: str) -> bool:
    """This role competes for the chat listeners' leases."""
    return role in ("all", "chat")


def worker_id() -> str:
    """This process among the workers sharing a database: host, pid, and a random suffix (pids repeat)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{random.randrange(16**4):04x}"
