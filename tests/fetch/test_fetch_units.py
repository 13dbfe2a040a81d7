"""Pure parts of the fetch stage: Retry-After, backoff, the bounded decoder, settings, error classes."""

from __future__ import annotations

import gzip
import random
import ssl
import zlib
from datetime import UTC, datetime

import httpx
import pytest

from bot.fetch import FetchSettings, HTTPStatusError, RateLimitedError
from bot.fetch.backoff import backoff_delay, parse_retry_after
from bot.fetch.decode import BoundedDecoder, TooLarge, UnsupportedEncoding
from bot.fetch.errors import classify_httpx

NOW = datetime(2025, 3, 4, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("1.5", 1.5),
        ("-5", 0.0),
        ("Tue, 04 Mar 2025 10:01:30 GMT", 90.0),
        ("Tue, 04 Mar 2025 09:00:00 GMT", 0.0),  # in the past: go now
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_backoff_is_full_jitter_capped_and_seeded() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(attempt, base=0.5, cap=3.0, rng=rng) for attempt in range(1, 9) for _ in range(50)]
    assert all(0.0 <= d <= 3.0 for d in delays)
    assert max(delays[:50]) <= 0.5  # first retry: within [0, base]
    assert max(delays[-50:]) > 2.0  # late retries spread up to the cap
    again = random.Random(1)
    assert backoff_delay(1, base=0.5, cap=3.0, rng=again) == delays[0]


def _decode(encoding: str | None, data: bytes, cap: int, piece: int = 7) -> bytes:
    decoder = BoundedDecoder(encoding, cap)
    for start in range(0, len(data), piece):  # tiny pieces: state must carry across network chunks
        decoder.feed(data[start : start + piece])
    return decoder.finish()


TEXT = ("قيود تصدير الرقائق " * 200).encode()


# mtime=0 and explicit ids: a gzip header holds the time it was written, and parameters whose ids differ from
# one second to the next make pytest-xdist's workers collect different tests (make test then fails at random).
@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        (None, TEXT),
        ("identity", TEXT),
        ("gzip", gzip.compress(TEXT, mtime=0)),
        ("x-gzip", gzip.compress(TEXT, mtime=0)),
        ("GZIP", gzip.compress(TEXT, mtime=0)),
        ("deflate", zlib.compress(TEXT)),
        ("gzip, gzip", gzip.compress(gzip.compress(TEXT, mtime=0), mtime=0)),
    ],
    ids=["none", "identity", "gzip", "x-gzip", "GZIP", "deflate", "gzip-twice"],
)
def test_decoder_round_trips(encoding: str | None, data: bytes) -> None:
    assert _decode(encoding, data, cap=len(TEXT)) == TEXT


def test_decoder_caps_decoded_size_not_wire_size() -> None:
    wire = gzip.compress(b"\0" * 5_000_000)
    assert len(wire) < 10_000
    with pytest.raises(TooLarge):
        _decode("gzip", wire, cap=1_000_000, piece=len(wire))


def test_decoder_truncated_stream_keeps_what_inflated() -> None:
    wire = gzip.compress(TEXT)
    out = _decode("gzip", wire[: len(wire) // 2], cap=len(TEXT))
    assert TEXT.startswith(out) and out


def test_decoder_rejects_unknown_encoding() -> None:
    with pytest.raises(UnsupportedEncoding):
        BoundedDecoder("br", 100)


@pytest.mark.parametrize(
    "overrides",
    [{"max_bytes": 0}, {"per_host": 0}, {"retries": -1}, {"total_timeout": 0}, {"backoff_base": -1.0}],
)
def test_settings_reject_nonsense(overrides: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="FetchSettings"):
        FetchSettings(**overrides)


def test_default_settings_are_production_safe() -> None:
    s = FetchSettings()
    assert not s.allow_file and not s.allow_private_addresses
    assert s.max_bytes == 10 * 1024 * 1024 and "Raqib" in s.user_agent


@pytest.mark.parametrize(
    ("status", "transient"), [(404, False), (410, False), (400, False), (408, True), (500, True), (503, True)]
)
def test_status_errors_know_if_transient(status: int, transient: bool) -> None:
    error = HTTPStatusError(status, url="https://example.org/feed")
    assert error.code == f"http_{status}" and error.transient is transient


def test_rate_limited_error() -> None:
    error = RateLimitedError(url="https://example.org/feed", retry_after=12.0)
    assert (error.code, error.transient, error.retry_after) == ("rate_limited", True, 12.0)
    assert "12" in str(error) and "example.org" in str(error)


def test_classify_tls_and_timeouts() -> None:
    url = "https://example.org/feed"
    tls = httpx.ConnectError("handshake failed")
    tls.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    assert (classify_httpx(tls, url).code, classify_httpx(tls, url).transient) == ("tls", False)
    assert classify_httpx(httpx.ConnectTimeout("slow"), url).code == "timeout"
    assert classify_httpx(httpx.RemoteProtocolError("eof"), url).code == "network"
    assert classify_httpx(httpx.ConnectError("refused"), url).code == "connect"
