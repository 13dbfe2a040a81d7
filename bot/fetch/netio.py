# ruff: noqa: ASYNC109 — the `timeout` parameters are httpcore's interface (AsyncNetworkStream, AsyncNetworkBackend)
"""httpcore's network layer on asyncio's own streams (``AsyncioTransport`` is a pool built on it), with every
connection pinned to an address the SSRF guard checked (unless private addresses are allowed).

Why asyncio's streams: under asyncio, httpcore reaches the network through anyio, and every read and every write
of an exchange opens an anyio cancel scope (``fail_after``) and asks sniffio which event loop runs: 45 % of the
samples in fetching for a warm cycle of 500 feeds answered 304, and in a cold cycle CPU that the single writer
thread waits for (the GIL). asyncio's streams and ``asyncio.timeout`` do the same job with the event loop's own
machinery. This implements httpcore's public ``AsyncNetworkBackend`` interface; httpcore's pools, HTTP/1.1 state
machine and error types are unchanged.

Why pinned: ``bot.fetch.guard`` resolves a host and refuses internal addresses, but a second lookup to connect
could get another answer (DNS rebinding). ``AsyncioBackend`` makes the only lookup of the connection itself.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from asyncio.staggered import staggered_race  # asyncio's own happy eyeballs (create_connection uses it)
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import httpcore
import httpx
from httpcore import AsyncNetworkBackend, AsyncNetworkStream
from httpcore._utils import is_socket_readable  # the check httpcore's own backends make

from bot.fetch.resolve import Resolver

HAPPY_EYEBALLS = 0.25  # seconds before the next address is tried alongside (RFC 8305's recommended delay)
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


class AsyncioStream(AsyncNetworkStream):
    """One connection: asyncio's reader and writer, with httpcore's timeouts and exception types."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError:
            raise httpcore.ReadTimeout(f"no data in {timeout} s") from None
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError:
            raise httpcore.WriteTimeout(f"could not write in {timeout} s") from None
        except (OSError, RuntimeError) as exc:  # RuntimeError: the transport is closing
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        # Not waiting for the close: a TLS peer that never answers our close_notify must not hold the caller.
        self._writer.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError:
            self._writer.transport.abort()
            raise httpcore.ConnectTimeout(f"TLS handshake took over {timeout} s") from None
        except (OSError, ssl.SSLError) as exc:
            self._writer.transport.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        if info == "is_readable":
            # httpcore asks before reusing an idle connection: readable means the server closed it (or sent
            # what it should not have). asyncio may already have read that EOF off the socket.
            if self._reader.at_eof() or self._reader.exception() is not None or self._writer.is_closing():
                return True
            return is_socket_readable(self._writer.get_extra_info("socket"))
        return None


class ForbiddenAddress(httpcore.ConnectError):
    """The host resolved, when connecting, to an address the fetcher must not reach (``bot.fetch.guard``)."""


class AsyncioBackend(AsyncNetworkBackend):
    """TCP connections for httpcore's pools, opened by asyncio (which sets TCP_NODELAY, as anyio does). Unix
    sockets are not implemented (httpcore's base raises): the fetcher never asks for one.

    ``forbidden`` (``bot.fetch.guard.is_forbidden_address`` unless private addresses are allowed): the host is
    resolved here, refused when any of its addresses is forbidden, and the connection goes to one of the
    addresses checked — never to a second lookup's answer, which a hostile DNS server could point at the
    internal network (DNS rebinding). TLS still verifies the host name (httpcore passes it to ``start_tls``)."""

    def __init__(self, forbidden: Callable[[IPAddress], bool] | None = None, resolver: Resolver | None = None) -> None:
        self._forbidden = forbidden
        self._resolver = resolver or Resolver()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                if self._forbidden is None:
                    # RFC 8305, as anyio connects: a host whose IPv6 is broken costs 250 ms, not a timeout
                    reader, writer = await asyncio.open_connection(
                        host, port, local_addr=local, happy_eyeballs_delay=HAPPY_EYEBALLS
                    )
                else:
                    reader, writer = await _pinned(host, port, local, self._forbidden, self._resolver)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection to {host}:{port} in {timeout} s") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        _set_options(writer, socket_options)
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _pinned(
    host: str,
    port: int,
    local: tuple[str, int] | None,
    forbidden: Callable[[IPAddress], bool],
    resolver: Resolver,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Resolve once (``resolver``: the fetcher's, whose answer the guard judged too), check every address,
    connect only to the checked ones: IPv6 and IPv4 interleaved and started ``HAPPY_EYEBALLS`` apart, the first
    to connect wins (RFC 8305, as asyncio does for a name)."""
    addresses = await resolver.addresses(host)
    # An IPv6 zone ("fe80::1%eth0") is stripped before the check: the address is what is judged.
    bad = sorted({ip for _, ip in addresses if forbidden(ipaddress.ip_address(ip.split("%")[0]))})
    if bad:
        raise ForbiddenAddress(f"{host} resolves to a private or reserved address ({', '.join(bad)})")
    if not addresses:
        raise OSError(f"{host} resolved to no address")
    attempts = [
        partial(asyncio.open_connection, ip, port, family=family, local_addr=local)
        for family, ip in _interleaved(addresses)
    ]
    winner, _index, errors = await staggered_race(attempts, HAPPY_EYEBALLS)
    if winner is None:
        raise next((e for e in errors if isinstance(e, OSError)), None) or OSError(f"could not connect to {host}")
    reader, writer = winner
    return reader, writer


def _interleaved(addresses: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """The resolver's order, families alternating from the first one's (RFC 8305, section 4)."""
    by_family: dict[int, list[tuple[int, str]]] = {}
    for a in addresses:
        by_family.setdefault(a[0], []).append(a)
    lists = list(by_family.values())
    out: list[tuple[int, str]] = []
    for i in range(max(len(x) for x in lists)):
        out += [x[i] for x in lists if i < len(x)]
    return out


def _set_options(writer: asyncio.StreamWriter, options: Iterable[SocketOption] | None) -> None:
    sock: socket.socket | None = writer.get_extra_info("socket")
    for option in options or ():
        if sock is not None:
            sock.setsockopt(*option)


class AsyncioTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` whose connection pool opens its connections with ``AsyncioBackend``.

    httpx builds its httpcore pool itself and takes no network backend: the pool it built is replaced by one
    with the same limits and TLS context (HTTP/1.1 only, as the fetcher has always spoken)."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext,
        limits: httpx.Limits,
        forbidden: Callable[[IPAddress], bool] | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        super().__init__(verify=verify, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=AsyncioBackend(forbidden, resolver),
        )
