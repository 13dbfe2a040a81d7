"""A scripted HTTP/1.1 server on loopback for fetch tests, fault injection and benchmarks.

Real sockets, real keep-alive, nothing mocked: each path answers with a scripted ``Reply`` (status,
headers, body, delay before answering, gzip, chunked drip, a lying Content-Length, a connection reset
mid-body, a keep-alive connection dropped without a word, a lazily generated body of any size), over
HTTPS when given a TLS context. Every request is recorded, and in-flight requests are counted (per
server, and optionally in a ``Tracker`` shared by several servers) so tests can check concurrency
limits. Bind any 127.0.0.x address to model several hosts.

In a test, inside the running loop::

    async with FeedServer() as server:
        server.route("/feed.xml", Reply(body=b"<rss/>", headers={"ETag": '"v1"'}))
        url = server.url("/feed.xml")

For a benchmark or a blocking client, run servers on their own loop in a thread::

    with ServerThread([FeedServer("127.0.0.2"), FeedServer("127.0.0.3")]) as servers: ...
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip as gzip_module
import math
import socket
import ssl
import struct
import threading
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Self

BodyStream = Callable[[], AsyncIterator[bytes]]


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds before the status line; math.inf: never answer (until the server closes)
    gzip: bool = False  # gzip the body and say so in Content-Encoding
    content_length: bool | int = True  # True: the real length; False: chunked; an int: announce that (may lie)
    chunk_size: int | None = None  # send the body in pieces of this size (chunked unless content_length is int)
    chunk_delay: float = 0.0  # pause between pieces: a slow drip
    reset_after: int | None = None  # reset the TCP connection (RST) after this many body bytes
    stream: BodyStream | None = None  # a lazily generated body (chunked), e.g. gzip_bomb()
    wait_in_flight: int | None = None  # hold the answer until this many were in flight at once (or 5 s)
    wait_tracker: Tracker | None = None  # ...counted by this tracker (default: the server's own)
    close: bool = False  # close the connection after answering
    hang_up: bool = False  # close it after answering without saying so, as at a server's keep-alive timeout


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    server: str  # "host:port" that received it


Handler = Reply | Callable[[Request], Reply]


class Tracker:
    """Counts requests in flight (received, last byte of the answer not yet written) and keeps the peak.

    Counting stops just BEFORE the answer's last byte is written: a client cannot send its next request
    before it has that byte, so the count never includes a request the client already considers done.
    """

    def __init__(self) -> None:
        self.current = 0
        self.peak = 0
        self._changed: asyncio.Event | None = None

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def enter(self) -> None:
        self.current += 1
        self.peak = max(self.peak, self.current)
        self._notify()

    def leave(self) -> None:
        self.current -= 1
        self._notify()

    async def wait_for(self, count: int, within: float) -> bool:
        """Wait until ``count`` requests have been in flight at once (now or before), at most ``within`` s.

        Tests the peak, not the current count: a waiter woken by the count reaching ``count`` may run only
        after another request already finished, and must not go back to sleep then.
        """
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while self.peak < count:
                    if self._changed is None:
                        self._changed = asyncio.Event()
                    await self._changed.wait()
        return self.peak >= count


class FeedServer:
    """One listening socket on ``host`` (a loopback address) and an ephemeral port."""

    def __init__(
        self, host: str = "127.0.0.1", *, trackers: Sequence[Tracker] = (), tls: ssl.SSLContext | None = None
    ) -> None:
        self.host = host
        self.tls = tls  # a server context: the server speaks HTTPS
        self.port = 0
        self.requests: list[Request] = []
        self.connections = 0  # TCP connections accepted: tells whether clients reuse them (keep-alive)
        self.closed = 0  # connections ended, by either side, once closed here (``wait_closed``)
        self._closed_changed: asyncio.Event | None = None
        self.tracker = Tracker()
        self._trackers = [self.tracker, *trackers]
        self._routes: dict[str, Handler] = {}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing: asyncio.Event | None = None

    # -- scripting ---------------------------------------------------------------------------------
    def route(self, path: str, handler: Handler) -> None:
        """Answer ``path`` (with its query string, if any) with a fixed Reply or a function of the Request."""
        self._routes[path] = handler

    def sequence(self, path: str, replies: Iterable[Reply]) -> None:
        """Answer successive requests with successive replies; the last one repeats."""
        pending = list(replies)

        def next_reply(_: Request) -> Reply:
            return pending.pop(0) if len(pending) > 1 else pending[0]

        self._routes[path] = next_reply

    def url(self, path: str = "/") -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}{path}"

    def requests_for(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> Self:
        self._closing, self._closed_changed = asyncio.Event(), asyncio.Event()
        self._server = await asyncio.start_server(self._connection, self.host, self.port, backlog=1024, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._closing is not None:
            self._closing.set()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- HTTP --------------------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while True:
                request = await _read_request(reader, f"{self.host}:{self.port}")
                if request is None:
                    break
                self.requests.append(request)
                finished = _Finish(self._trackers)
                try:
                    keep_open = await self._answer(request, writer, finished)
                finally:
                    finished()
                if not keep_open or request.headers.get("connection", "").lower() == "close":
                    break
        except _NotHTTP:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away: that is its right
        except asyncio.CancelledError:
            # Only close() cancels us. End quietly: asyncio logs a handler that dies of CancelledError.
            writer.transport.abort()
            self._tasks.discard(task)
            return
        self._tasks.discard(task)
        writer.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await writer.wait_closed()
        self.closed += 1
        if self._closed_changed is not None:
            self._closed_changed.set()

    async def wait_closed(self, count: int, within: float) -> bool:
        """Wait until ``count`` connections have ended (``closed``), at most ``within`` s."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while self.closed < count:
                    assert self._closed_changed is not None, "the server is not started"
                    self._closed_changed.clear()
                    await self._closed_changed.wait()
        return self.closed >= count

    def _reply_for(self, request: Request) -> Reply:
        handler = self._routes.get(request.path)
        if handler is None:
            return Reply(status=404, body=b"not found")
        return handler(request) if callable(handler) else handler

    async def _answer(self, request: Request, writer: asyncio.StreamWriter, finished: Callable[[], None]) -> bool:
        """Write the reply; False when the connection must not be reused."""
        reply = self._reply_for(request)
        if reply.wait_in_flight is not None:
            await (reply.wait_tracker or self.tracker).wait_for(reply.wait_in_flight, within=5.0)
        if reply.delay == math.inf:
            assert self._closing is not None
            await self._closing.wait()
            return False
        if reply.delay > 0:
            await asyncio.sleep(reply.delay)  # the server's think time, part of the script

        body = gzip_module.compress(reply.body) if reply.gzip else reply.body
        headers = dict(reply.headers)
        if reply.gzip:
            headers["Content-Encoding"] = "gzip"
        chunked = reply.stream is not None or reply.content_length is False
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        elif reply.content_length is True:
            headers["Content-Length"] = str(len(body))
        else:
            headers["Content-Length"] = str(reply.content_length)
        if reply.close:
            headers["Connection"] = "close"
        reason = HTTPStatus(reply.status).phrase if reply.status in HTTPStatus._value2member_map_ else "Unknown"
        head = f"HTTP/1.1 {reply.status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head_bytes = head.encode("utf-8") + b"\r\n"  # UTF-8: lets tests send a raw non-ASCII Location
        if request.method == "HEAD" or reply.status in (204, 304) or (not body and not chunked):
            finished()
            writer.write(head_bytes)
            await writer.drain()
            return not (reply.close or reply.hang_up)
        writer.write(head_bytes)
        await writer.drain()

        sent = 0
        pieces = _pieces(reply, body)
        piece = await anext(pieces, None)
        while piece is not None:
            if reply.reset_after is not None and sent + len(piece) >= reply.reset_after:
                writer.write(_frame(piece[: reply.reset_after - sent], chunked))
                await writer.drain()
                _reset(writer)
                return False
            following = await anext(pieces, None)
            if following is None and not chunked:
                finished()  # this piece completes the answer
            writer.write(_frame(piece, chunked))
            await writer.drain()
            sent += len(piece)
            if reply.chunk_delay > 0 and following is not None:
                await asyncio.sleep(reply.chunk_delay)  # the drip is the fault being injected
            piece = following
        if chunked:
            finished()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        return not (reply.close or reply.hang_up)


class _Finish:
    """Ends one request's in-flight count exactly once, whichever path the answer takes."""

    def __init__(self, trackers: Sequence[Tracker]) -> None:
        self._trackers = trackers
        self._done = False
        for tracker in trackers:
            tracker.enter()

    def __call__(self) -> None:
        if not self._done:
            self._done = True
            for tracker in self._trackers:
                tracker.leave()


class _NotHTTP(Exception):
    """The client spoke something else (a TLS ClientHello, say): answered 400, like a real server."""


async def _read_request(reader: asyncio.StreamReader, server: str) -> Request | None:
    try:
        first = await reader.readexactly(1)
        if not first.isalpha():
            raise _NotHTTP
        head = first + await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if length:
        await reader.readexactly(length)
    return Request(method=method, path=path, headers=headers, server=server)


async def _pieces(reply: Reply, body: bytes) -> AsyncIterator[bytes]:
    if reply.stream is not None:
        async for piece in reply.stream():
            yield piece
        return
    size = reply.chunk_size or max(len(body), 1)
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _frame(piece: bytes, chunked: bool) -> bytes:
    if not chunked:
        return piece
    return f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if piece else b""


def _reset(writer: asyncio.StreamWriter) -> None:
    """Abort with a TCP RST (SO_LINGER 0) rather than a polite FIN: what a crashing server looks like."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def gzip_bomb(decoded_bytes: int, *, piece: int = 1 << 20) -> BodyStream:
    """A gzip body that inflates to ``decoded_bytes`` zeros while sending about 1/1000 of that.

    Generated lazily: a deflate block ended by a full flush is byte-identical for identical input, so
    one compressed 1 MiB block is repeated; the bomb never exists in memory on either side.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(b"\0" * piece) + compressor.flush(zlib.Z_FULL_FLUSH)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # gzip, deflate, no name, mtime 0

    batch = 64  # ~64 KiB per write, so a client reads wire chunks as large as real bombs deliver them

    async def stream() -> AsyncIterator[bytes]:
        yield header
        blocks = decoded_bytes // piece
        for start in range(0, blocks, batch):
            yield block * min(batch, blocks - start)
        yield zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # final empty block
        yield struct.pack("<II", 0, decoded_bytes & 0xFFFFFFFF)  # CRC is wrong; nobody should get here

    return stream


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` where nothing listens (bound, then released): connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """Run ``FeedServer``s on their own event loop in a daemon thread (benchmarks, blocking clients).

    Script routes before entering; the servers are started on enter and closed on exit.
    """

    def __init__(self, servers: Sequence[FeedServer]) -> None:
        self.servers = list(servers)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="feedserver", daemon=True)

    def __enter__(self) -> list[FeedServer]:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        started.result(timeout=30)
        return self.servers

    async def _start(self) -> None:
        for server in self.servers:
            await server.start()

    async def _stop(self) -> None:
        for server in self.servers:
            await server.close()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()
