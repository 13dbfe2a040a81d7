"""One small connection pool per host name, behind one httpx transport.

Why: httpcore's pool does work proportional to its size on every request and every response close, and
its idle-connection check is quadratic in it (httpcore 1.0: for each idle connection it counts ALL
connections). One shared pool of 100 sockets made that bookkeeping the largest cost on the event loop
of a poll cycle. Our own ``HostLimiter`` already allows at most ``per_host`` requests in flight per host,
so a pool per host never needs more than a handful of sockets and its bookkeeping stays tiny.

The number of pools is bounded: past ``max_pools`` the least recently used pools with nothing in flight
are closed, so a bot polling thousands of sites keeps at most about ``max_pools × per_host`` idle
keep-alive sockets open (file descriptors are finite), as the single pool bounded them before.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from types import TracebackType

import httpx


class _Pool:
    __slots__ = ("active", "transport")

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport
        self.active = 0  # requests sent whose response is not closed yet


class _ReleasingStream(httpx.AsyncByteStream):
    """The response body of a pool's transport; closing it tells the pool the request is over."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._release is not None:  # aclose may be called twice; count the request once
                self._release()
                self._release = None


class HostPools(httpx.AsyncBaseTransport):
    """Route each request to the pool of its host name (created on first use, dropped when idle and old).

    ``make_transport`` builds one pool's transport (``httpx.AsyncHTTPTransport`` with small limits in
    production, anything in tests).
    """

    def __init__(self, make_transport: Callable[[], httpx.AsyncBaseTransport], *, max_pools: int) -> None:
        if max_pools < 1:
            raise ValueError("max_pools must be at least 1")
        self._make = make_transport
        self._max_pools = max_pools
        self._pools: OrderedDict[str, _Pool] = OrderedDict()  # least recently used first

    @property
    def pools(self) -> int:
        return len(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = request.url.host  # httpx lowercases it; the port is ignored, as HostLimiter does
        pool = self._pools.get(key)
        if pool is None:
            await self._evict()
            pool = self._pools[key] = _Pool(self._make())
        else:
            self._pools.move_to_end(key)
        pool.active += 1
        try:
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            pool.active -= 1
            raise
        if not isinstance(response.stream, httpx.AsyncByteStream):  # an async transport answers with one
            pool.active -= 1
            raise TypeError(f"the transport returned a {type(response.stream).__name__}, not an async stream")

        def release() -> None:
            pool.active -= 1

        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_ReleasingStream(response.stream, release),
            extensions=response.extensions,
        )

    async def _evict(self) -> None:
        """Close least recently used pools with nothing in flight until there is room for one more."""
        excess = len(self._pools) + 1 - self._max_pools
        if excess <= 0:
            return
        idle = [key for key, pool in self._pools.items() if pool.active == 0][:excess]
        for key in idle:
            await self._pools.pop(key).transport.aclose()

    async def aclose(self) -> None:
        pools = list(self._pools.values())
        self._pools.clear()
        for pool in pools:
            await pool.transport.aclose()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()
