"""The feed's own pacing, read strictly: HTTP headers (bot.fetch.pacing), document elements (bot.parse.pacing),
and the bounds. The end-to-end path (a loopback server, refresh_feed, the stored next poll) is in
tests/pipeline/test_feed_pacing.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.fetch.pacing import Ask, Pacing, header_ask, pace
from bot.parse import parse_feed
from bot.parse.pacing import document_ask

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"cache-control": "public, max-age=1800"}, Ask(1800, "max-age")),
        ({"cache-control": 'max-age="900"'}, Ask(900, "max-age")),
        ({"cache-control": "MAX-AGE = 600"}, Ask(600, "max-age")),
        # a cache held it 600 s already: 1,200 s of freshness are left
        ({"cache-control": "max-age=1800", "age": "600"}, Ask(1200, "max-age")),
        # max-age wins over Expires (RFC 9111 4.2.1), even when Expires says longer
        ({"cache-control": "max-age=600", "expires": http_date(NOW + timedelta(hours=5))}, Ask(600, "max-age")),
        # Expires is measured from the server's Date, not our clock: a skewed server clock cancels out
        (
            {"expires": http_date(NOW + timedelta(hours=9)), "date": http_date(NOW + timedelta(hours=8))},
            Ask(3600, "Expires"),
        ),
        ({"expires": http_date(NOW + timedelta(minutes=45))}, Ask(2700, "Expires")),
    ],
)
def test_header_asks_are_read(headers: dict[str, str], expected: Ask) -> None:
    assert header_ask(headers, now=NOW) == expected


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"cache-control": "max-age=-5"},
        {"cache-control": "max-age=0"},
        {"cache-control": "max-age=soon"},
        {"cache-control": "max-age=1e6"},
        {"cache-control": "no-cache, max-age=3600"},
        {"cache-control": "no-store"},
        {"cache-control": "max-age=600", "age": "900"},  # already stale in the cache
        {"expires": "0"},
        {"expires": "-1"},
        {"expires": "tomorrow"},
        {"expires": http_date(NOW - timedelta(hours=1))},
        {"expires": http_date(NOW + timedelta(hours=1)), "date": http_date(NOW + timedelta(hours=2))},
    ],
)
def test_unusable_header_values_ask_nothing(headers: dict[str, str]) -> None:
    assert header_ask(headers, now=NOW) is None


def test_a_huge_max_age_is_bounded_before_any_arithmetic() -> None:
    ask = header_ask({"cache-control": "max-age=999999999999"}, now=NOW)
    assert ask is not None and ask.seconds <= 10 * 365 * 86400
    assert header_ask({"cache-control": "max-age=" + "9" * 5000}, now=NOW) is None


@pytest.mark.parametrize(
    ("feed", "expected"),
    [
        ({"ttl": "60"}, (3600.0, "ttl")),
        ({"ttl": " 15 "}, (900.0, "ttl")),
        ({"sy_updateperiod": "hourly"}, (3600.0, "sy:updatePeriod")),
        ({"sy_updateperiod": "Daily", "sy_updatefrequency": "4"}, (21600.0, "sy:updatePeriod")),
        ({"sy_updateperiod": "weekly", "sy_updatefrequency": ""}, (7 * 86400.0, "sy:updatePeriod")),
        # both: the larger ask
        ({"ttl": "30", "sy_updateperiod": "hourly"}, (3600.0, "sy:updatePeriod")),
        ({"ttl": "120", "sy_updateperiod": "hourly"}, (7200.0, "ttl")),
        # a garbage ttl is ignored, a valid sy beside it still counts
        ({"ttl": "soon", "sy_updateperiod": "hourly"}, (3600.0, "sy:updatePeriod")),
    ],
)
def test_document_asks_are_read(feed: dict[str, str], expected: tuple[float, str]) -> None:
    assert document_ask(feed) == expected


@pytest.mark.parametrize(
    "feed",
    [
        {},
        {"ttl": "0"},
        {"ttl": "-5"},
        {"ttl": "60 minutes"},
        {"ttl": "1.5"},
        {"ttl": "٦٠"},  # Arabic-Indic digits: not the whole number RSS means
        {"ttl": "9" * 5000},
        {"sy_updateperiod": "sometimes"},
        {"sy_updateperiod": "daily", "sy_updatefrequency": "0"},
        {"sy_updateperiod": "daily", "sy_updatefrequency": "often"},
        {"sy_updatefrequency": "2"},
    ],
)
def test_unusable_document_values_ask_nothing(feed: dict[str, str]) -> None:
    assert document_ask(feed) is None


def test_parse_reads_the_channels_ttl_and_not_an_items() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">'
        b"<channel><title>t</title><ttl>45</ttl><sy:updatePeriod>hourly</sy:updatePeriod>"
        b"<sy:updateFrequency>4</sy:updateFrequency>"
        b"<item><title>a</title><guid>a</guid><ttl>900</ttl></item></channel></rss>"
    )
    assert parse_feed(body, url="https://example.org/feed").ask == (2700.0, "ttl")
    item_only = body.replace(b"<ttl>45</ttl><sy:updatePeriod>hourly</sy:updatePeriod>", b"").replace(
        b"<sy:updateFrequency>4</sy:updateFrequency>", b""
    )
    assert parse_feed(item_only, url="https://example.org/feed").ask is None


def test_atom_with_the_syndication_module() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">'
        b"<title>t</title><sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>12</sy:updateFrequency>"
        b"<entry><title>a</title><id>a</id></entry></feed>"
    )
    assert parse_feed(body, url="https://example.org/atom").ask == (7200.0, "sy:updatePeriod")


@pytest.mark.parametrize(
    ("asks", "expected"),
    [
        ([], Pacing(600)),
        ([None, None], Pacing(600)),
        ([Ask(3600, "ttl")], Pacing(3600, Ask(3600, "ttl"))),
        # the largest ask wins
        ([Ask(1200, "max-age"), Ask(3000, "ttl")], Pacing(3000, Ask(3000, "ttl"))),
        # never faster than configured ...
        ([Ask(60, "ttl")], Pacing(600, Ask(60, "ttl"))),
        # ... never slower than the ceiling
        ([Ask(86400, "sy:updatePeriod")], Pacing(7200, Ask(86400, "sy:updatePeriod"))),
    ],
)
def test_bounds(asks: list[Ask | None], expected: Pacing) -> None:
    assert pace(600, 7200, asks) == expected


def test_a_configured_interval_above_the_ceiling_is_kept() -> None:
    paced = pace(4 * 3600, 7200, [Ask(60, "ttl")])
    assert paced.interval == 4 * 3600 and paced.bound == "minimum"
    assert pace(600, 7200, [Ask(86400, "ttl")]).bound == "maximum"
    assert pace(600, 7200, [Ask(3600, "ttl")]).bound is None
