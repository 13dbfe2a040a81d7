"""What story assignment remembers instead of recomputing (issue 14): a time's naive UTC, and a fingerprint's
tokens by kind. Both must answer as the plain computation does, whatever was asked before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bot.stories.fingerprint import Fingerprint
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


tokens = st.frozensets(
    st.one_of(
        st.builds(lambda k, v: f"{k}:{v}", st.sampled_from(["num", "org", "code", "date", "qty"]), st.text(max_size=4)),
        st.text(max_size=6),  # anything else a fingerprint could hold, with or without a colon
    ),
    max_size=12,
)


@given(tokens, st.lists(st.sampled_from(["num", "org", "code", "date", "qty", "or", "n", ""]), max_size=8))
def test_of_kind_equals_the_tokens_with_that_prefix(toks: frozenset[str], kinds: list[str]) -> None:
    fp = Fingerprint(toks)
    for kind in kinds:
        assert fp.of_kind(kind) == frozenset(t for t in toks if t.startswith(kind + ":"))
    assert fp == Fingerprint(toks) and hash(fp) == hash(Fingerprint(toks)), "what it remembers is not its value"
