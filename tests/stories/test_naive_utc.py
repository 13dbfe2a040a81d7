"""What story assignment remembers instead of recomputing (issue 14): a time's naive UTC. It must answer as the
plain computation does, whatever was asked before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bot.stories.summary import naive_utc


def test_naive_utc_gives_the_instant_in_utc_for_any_zone_and_keeps_naive_times() -> None:
    instant = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    riyadh = instant.astimezone(timezone(timedelta(hours=3)))
    for t in (instant, riyadh, instant, riyadh):  # asked again, in either order: the same answer
        assert naive_utc(t) == datetime(2026, 12, 3, 9, 30) and naive_utc(t).tzinfo is None
    naive = datetime(2026, 12, 3, 12, 30)  # SQLite hands back naive UTC: kept as it is
    assert naive_utc(naive) is naive


@given(
    st.lists(
        st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(-timedelta(hours=5))]))
    )
)
def test_naive_utc_equals_the_plain_conversion(times: list[datetime]) -> None:
    for t in times:
        assert naive_utc(t) == t.astimezone(UTC).replace(tzinfo=None)
