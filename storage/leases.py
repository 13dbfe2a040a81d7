"""Named leases: one holder at a time, expiring when the holder stops renewing (a dead process)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage.db import session
from storage.tables import Lease


def take_lease(engine: Engine, name: str, owner: str, seconds: float, now: datetime | None = None) -> bool:
    """Take or renew ``name`` for ``owner``; False while another live owner holds it."""
    now = now or datetime.now(UTC)
    until = now + timedelta(seconds=seconds)
    with session(engine) as s:
        result = s.execute(
            update(Lease)
            .where(col(Lease.name) == name, or_(col(Lease.owner) == owner, col(Lease.until) < now))
            .values(owner=owner, until=until)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            s.commit()
            return True
        if s.get(Lease, name) is not None:
            return False
        s.add(Lease(name=name, owner=owner, until=until))
        try:
            s.commit()
        except IntegrityError:  # another worker created it at the same instant
            return False
        return True
