"""A catalogue of hostile feeds for fault injection, on top of ``tests.fakes.feedserver``.

``install_faults(server, secret_file)`` scripts one path per fault on a ``FeedServer`` and returns the
``Fault`` list: the URL to poll and what the feed's health must say afterwards. ``BlackHole`` is a
listener whose accept queue is full, so connecting to it times out (a firewalled host, on loopback).
Reusable by benchmarks: nothing here depends on pytest.

Each fault names the error codes it may end in (``bot.fetch`` codes, ``not_a_feed``) or ``None`` when the
feed must be polled successfully (the hostile part must then be neutralised, e.g. an XML bomb not
expanded, an external entity not read).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.fakes.feedserver import FeedServer, Reply, Request, closed_port, gzip_bomb

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


@dataclass(frozen=True)
class Fault:
    name: str
    url: str
    codes: frozenset[str] | None  # acceptable last_error_code values; None: the poll must succeed
    note: str = ""
    # Items that must be stored when the poll succeeds (tolerated faults such as a wrong Content-Type).
    items: int = 0
    extra: dict[str, object] = field(default_factory=dict)


def rss(title: str, items: list[tuple[str, str, str]]) -> bytes:
    """A small RSS 2.0 document; items are (guid, title, description) and are escaped by the caller."""
    body = "".join(
        f"<item><guid isPermaLink='false'>{g}</guid><title>{t}</title>"
        f"<link>https://news.example/{g}</link><description>{d}</description></item>"
        for g, t, d in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://news.example/</link>{body}</channel></rss>"
    ).encode()


def billion_laughs(levels: int = 10) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(entities)}]><rss version="2.0"><channel>'
        f"<title>laughs</title><item><guid>bomb-1</guid><title>&lol{levels - 1};</title>"
        "<link>https://news.example/lol</link></item></channel></rss>"
    ).encode()


def quadratic_blowup(size: int = 50_000, refs: int = 50_000) -> bytes:
    """One big entity referenced many times: no nesting, so naive depth limits miss it."""
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{"A" * size}">]><rss version="2.0"><channel>'
        f"<title>quadratic</title><item><guid>quad-1</guid><title>{'&a;' * refs}</title>"
        "<link>https://news.example/quad</link></item></channel></rss>"
    ).encode()


def external_entity(secret: Path) -> bytes:
    uri = secret.as_uri()
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{uri}">]><rss version="2.0"><channel>'
        "<title>xxe &xxe;</title><item><guid>xxe-1</guid><title>read &xxe; here</title>"
        "<link>https://news.example/xxe</link><description>&xxe;</description></item></channel></rss>"
    ).encode()


def external_parameter_entity(secret: Path) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "{secret.as_uri()}"> %p;]>'
        '<rss version="2.0"><channel><title>xxe-param</title><item><guid>xxep-1</guid><title>param</title>'
        "<link>https://news.example/xxep</link></item></channel></rss>"
    ).encode()


def external_dtd(secret: Path) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{secret.as_uri()}"><rss version="2.0"><channel>'
        "<title>xxe-dtd</title><item><guid>xxed-1</guid><title>dtd</title>"
        "<link>https://news.example/xxed</link></item></channel></rss>"
    ).encode()


def zeros(total: int, piece: int = 1 << 20) -> Callable[[], AsyncIterator[bytes]]:
    """A lazily generated body of ``total`` bytes (never held in memory on the server side)."""
    block = b"<" + b"x" * (piece - 1)

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, total, piece):
            yield block[: min(piece, total - start)]

    return stream


class BlackHole:
    """A listening socket whose accept queue is full and that never accepts: connects time out.

    The kernel drops SYNs to a full queue, which is what a firewall that drops packets looks like.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._fillers: list[socket.socket] = []

    def __enter__(self) -> Self:
        self._listener.bind((self.host, 0))
        self._listener.listen(0)
        self.port = int(self._listener.getsockname()[1])
        for _ in range(4):  # more than the backlog of 0 (+1) admits
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):  # in progress: the SYN is out, which is all we need
                filler.connect((self.host, self.port))
            self._fillers.append(filler)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for sock in (*self._fillers, self._listener):
            sock.close()

    def url(self, path: str = "/feed.xml") -> str:
        return f"http://{self.host}:{self.port}{path}"


def install_faults(server: FeedServer, secret_file: Path, *, black_hole: BlackHole | None = None) -> list[Fault]:
    """Script every fault on ``server`` and return them. ``max_bytes`` of the fetcher is assumed < 100 MB."""
    faults: list[Fault] = []
    ok_body = rss("fine", [("ok-1", "Chip export rules tightened", "A body."), ("ok-2", "Second", "More.")])

    def add(name: str, handler: Reply | Callable[[Request], Reply], codes: set[str] | None, **kw: object) -> None:
        path = f"/fault/{name}"
        server.route(path, handler)
        faults.append(Fault(name, server.url(path), frozenset(codes) if codes is not None else None, **kw))  # type: ignore[arg-type]

    if black_hole is not None:
        faults.append(Fault("connect_timeout", black_hole.url(), frozenset({"timeout"})))
    faults.append(
        Fault("connect_refused", f"http://{server.host}:{closed_port(server.host)}/feed.xml", frozenset({"connect"}))
    )
    add("read_timeout", Reply(delay=float("inf")), {"timeout"})
    add("slow_drip", Reply(body=ok_body, headers=RSS_TYPE, chunk_size=1, chunk_delay=1.0), {"timeout"})
    add("reset_mid_body", Reply(body=ok_body * 20, headers=RSS_TYPE, reset_after=300), {"network"})
    for status in (500, 502, 503, 504):
        add(f"storm_{status}", Reply(status=status, body=b"overloaded"), {f"http_{status}"})
    add(
        "rate_limited",
        Reply(status=429, headers={"Retry-After": "7200"}, body=b"slow down"),
        {"rate_limited"},
        extra={"retry_after": 7200},
    )
    add(
        "huge_announced",
        Reply(headers=RSS_TYPE, stream=None, content_length=100 * 1024 * 1024, body=b"<rss"),
        {"too_large"},
    )
    add("huge_streamed", Reply(headers=RSS_TYPE, stream=zeros(100 * 1024 * 1024)), {"too_large"})
    add(
        "gzip_bomb",
        Reply(headers={**RSS_TYPE, "Content-Encoding": "gzip"}, stream=gzip_bomb(4 * 1024**3)),
        {"too_large"},
    )
    server.route("/fault/loop-b", Reply(status=302, headers={"Location": "/fault/redirect_loop"}))
    add("redirect_loop", Reply(status=301, headers={"Location": "/fault/loop-b"}), {"redirect_loop"})
    for hop in range(1, 40):
        server.route(f"/fault/chain/{hop}", Reply(status=302, headers={"Location": f"/fault/chain/{hop + 1}"}))
    add("redirect_chain", Reply(status=302, headers={"Location": "/fault/chain/1"}), {"too_many_redirects"})
    add("not_found", Reply(status=404, body=b"gone"), {"http_404"})
    add("empty_body", Reply(body=b"", headers=RSS_TYPE), {"empty_body"})
    add(
        "corrupt_gzip",
        Reply(body=b"\x1f\x8b\x08\x00garbage-not-deflate", headers={"Content-Encoding": "gzip"}),
        {"decoding"},
    )
    html = b"<!doctype html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>"
    add("html_page", Reply(body=html, headers={"Content-Type": "text/html; charset=utf-8"}), {"not_a_feed"})
    add(
        "binary_junk",
        Reply(body=bytes(range(256)) * 40, headers={"Content-Type": "application/octet-stream"}),
        {"not_a_feed"},
    )
    # Tolerated: a real feed behind a wrong or missing type still reaches the store.
    add("wrong_type", Reply(body=ok_body, headers={"Content-Type": "image/png"}), None, items=2)
    add("text_plain", Reply(body=ok_body, headers={"Content-Type": "text/plain"}), None, items=2)
    add("missing_type", Reply(body=ok_body), None, items=2)
    # Neutralised: parsed without expanding bombs or reading local files (each keeps its one entry).
    add("billion_laughs", Reply(body=billion_laughs(), headers=RSS_TYPE), None, items=1)
    add("quadratic_blowup", Reply(body=quadratic_blowup(), headers=RSS_TYPE), None, items=1)
    add("external_entity", Reply(body=external_entity(secret_file), headers=RSS_TYPE), None, items=1)
    add(
        "external_parameter_entity", Reply(body=external_parameter_entity(secret_file), headers=RSS_TYPE), None, items=1
    )
    add("external_dtd", Reply(body=external_dtd(secret_file), headers=RSS_TYPE), None, items=1)
    # Repaired: character references XML forbids once made feedparser raise and lose the whole feed.
    refs = rss(
        "refs",
        [
            ("r-1", "Launch &#xD83D;&#xDE80; &#xD800; today", "Pair and lone half."),
            ("r-2", "Range &#x110000; &#99999999999999999999;", "Out of range."),
            ("r-3", "Plain", "Nothing odd."),
        ],
    )
    add("bad_char_refs", Reply(body=refs, headers=RSS_TYPE), None, items=3)
    return faults
