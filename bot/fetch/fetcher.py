"""The fetcher: one shared httpx.AsyncClient (one small pool per host), every HTTP rule of the bot in one place."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import MappingProxyType, TracebackType
from typing import Self

import httpx

from bot.fetch.backoff import backoff_delay, parse_retry_after
from bot.fetch.decode import BoundedDecoder, TooLarge, UnsupportedEncoding
from bot.fetch.errors import (
    FetchError,
    HTTPStatusError,
    PolicyError,
    RateLimitedError,
    ResponseError,
    classify_httpx,
)
from bot.fetch.files import read_file_url
from bot.fetch.guard import check_http_url, check_public_host, is_forbidden_address
from bot.fetch.limits import HostLimiter
from bot.fetch.netio import AsyncioTransport
from bot.fetch.pools import HostPools
from bot.fetch.resolve import Resolver
from bot.fetch.result import FetchResult
from bot.fetch.settings import FEED_ACCEPT, FetchSettings

log = logging.getLogger(__name__)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]*):")
# Bodies of redirects and errors are read up to this much so the connection can go back to the pool;
# beyond it we just close the connection.
_DRAIN_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class _CallLimits:
    """The limits of one ``fetch`` call: the settings', or tighter ones the caller asked for."""

    retries: int
    total_timeout: float
    max_bytes: int


class Fetcher:
    """Fetch feeds (and pages) under the limits of ``FetchSettings``. Use as ``async with Fetcher(s) as f``.

    ``transport`` replaces the network (``httpx.MockTransport`` in unit tests); ``sleep`` and ``rng``
    make backoff instant and deterministic in tests.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._limiter = HostLimiter(settings.max_connections, settings.per_host)
        self._resolver = Resolver()  # one DNS answer per name for the guard and the connections (bot.fetch.resolve)
        if transport is None:
            # Loading the CA bundle costs tens of milliseconds: once, not once per host's pool.
            tls = httpx.create_ssl_context()
            transport = HostPools(
                # Our semaphores bound requests in flight (per_host per host name); a pool of twice that
                # means a request holding a slot never waits for a socket, and keeps a host's keep-alive
                # connections for its next feeds. See bot.fetch.pools for why one pool per host.
                lambda: AsyncioTransport(
                    verify=tls,
                    # the guard again when connecting, to the addresses it checked (bot.fetch.netio)
                    forbidden=None if settings.allow_private_addresses else is_forbidden_address,
                    resolver=self._resolver,
                    limits=httpx.Limits(
                        max_connections=2 * settings.per_host, max_keepalive_connections=settings.per_host
                    ),
                ),
                max_pools=settings.max_connections,
            )
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.connect_timeout,
            ),
            follow_redirects=False,  # followed by hand: each hop is re-checked and counted
            headers={
                "User-Agent": settings.user_agent,
                # Only what BoundedDecoder can inflate under its cap (httpx would add br/zstd if installed).
                "Accept-Encoding": "gzip, deflate",
            },
            # A feed poller must be stateless: no cookie from one response travels to the next request.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
        retries: int | None = None,
        total_timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """Fetch ``url`` once, retrying transient failures. Raises ``FetchError`` (see ``bot.fetch``).

        ``etag``/``last_modified`` are the validators stored from the previous fetch; when the server
        agrees nothing changed the result has ``not_modified=True`` and an empty body. ``retries``,
        ``total_timeout`` and ``max_bytes`` tighten the settings for this one call (article pages: one
        attempt, a short budget, a small body); they can only lower them.
        """
        s = self.settings
        limits = _CallLimits(
            retries=s.retries if retries is None else max(0, min(retries, s.retries)),
            total_timeout=s.total_timeout if total_timeout is None else min(total_timeout, s.total_timeout),
            max_bytes=s.max_bytes if max_bytes is None else max(1, min(max_bytes, s.max_bytes)),
        )
        started = time.monotonic()
        match = _SCHEME.match(url)
        scheme = match.group(1).lower() if match else ""
        if scheme == "file":
            return await self._fetch_file(url, last_modified, started, limits.max_bytes)
        if scheme not in ("http", "https"):
            raise PolicyError(f"scheme {scheme or '(none)'!r} is not allowed for {url}", url=url, code="scheme")

        headers = {"Accept": accept or FEED_ACCEPT}
        if etag and _header_safe(etag):
            headers["If-None-Match"] = etag
        if last_modified and _header_safe(last_modified):
            headers["If-Modified-Since"] = last_modified

        attempt = 0
        while True:
            attempt += 1
            try:
                result = await self._attempt(url, headers, etag, last_modified, limits)
            except FetchError as exc:
                error = exc
            else:
                return replace(result, attempts=attempt, elapsed=time.monotonic() - started)
            error.attempts = attempt
            delay = self._retry_delay(error, attempt, limits.retries)
            if delay is None:
                raise error
            log.info(
                "fetch of %s failed (%s), retry %d/%d in %.2fs",
                url,
                error.code,
                attempt,
                limits.retries,
                delay,
                extra={"url": url, "code": error.code},
            )
            await self._sleep(delay)

    def _retry_delay(self, error: FetchError, attempt: int, retries: int) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now."""
        s = self.settings
        if not error.transient or attempt > retries:
            return None
        if error.retry_after is not None:
            # The server named its price. If it is beyond what one poll may wait, give up now and let the
            # feed's own backoff (which sees error.retry_after) schedule the next poll instead.
            return error.retry_after if error.retry_after <= s.backoff_max else None
        return backoff_delay(attempt, base=s.backoff_base, cap=s.backoff_max, rng=self._rng)

    async def _attempt(
        self, url: str, headers: dict[str, str], etag: str | None, last_modified: str | None, limits: _CallLimits
    ) -> FetchResult:
        """One attempt: every redirect hop within one total time budget, started once a slot is ours."""
        try:
            async with asyncio.timeout(None) as budget:
                return await self._follow(url, headers, etag, last_modified, budget, limits)
        except TimeoutError:
            raise classify_httpx(TimeoutError(), url) from None

    async def _follow(
        self,
        url: str,
        headers: dict[str, str],
        etag: str | None,
        last_modified: str | None,
        budget: asyncio.Timeout,
        limits: _CallLimits,
    ) -> FetchResult:
        s = self.settings
        try:
            current = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise classify_httpx(exc, url) from None
        check_http_url(current, url)
        visited = {str(current.copy_with(fragment=None))}
        all_permanent = True
        hops = 0
        loop = asyncio.get_running_loop()
        while True:
            # Waiting for a slot is our own queue, not the server's slowness: the budget starts after it.
            async with self._limiter.slot(current.host):
                if budget.when() is None:
                    budget.reschedule(loop.time() + limits.total_timeout)
                if not s.allow_private_addresses:
                    await check_public_host(current, url, resolver=self._resolver)
                status, location, response_headers, body = await self._request(current, headers, url, limits.max_bytes)
            if status in _REDIRECTS and location:
                hops += 1
                target = current.join(location)
                check_http_url(target, url)
                key = str(target.copy_with(fragment=None))
                if key in visited:
                    raise ResponseError(f"redirect loop at {target} for {url}", url=url, code="redirect_loop")
                if hops > s.max_redirects:
                    raise ResponseError(
                        f"more than {s.max_redirects} redirects for {url}", url=url, code="too_many_redirects"
                    )
                visited.add(key)
                all_permanent = all_permanent and status in _PERMANENT
                current = target
                continue
            final_url = str(current)
            permanent_url = final_url if hops and all_permanent else None
            if status == 304:
                return FetchResult(
                    url=url,
                    final_url=final_url,
                    permanent_url=permanent_url,
                    status=304,
                    not_modified=True,
                    body=b"",
                    headers=response_headers,
                    etag=response_headers.get("etag") or etag,
                    last_modified=response_headers.get("last-modified") or last_modified,
                    elapsed=0.0,
                    attempts=0,
                )
            return FetchResult(
                url=url,
                final_url=final_url,
                permanent_url=permanent_url,
                status=status,
                not_modified=False,
                body=body,
                headers=response_headers,
                etag=response_headers.get("etag"),
                last_modified=response_headers.get("last-modified"),
                elapsed=0.0,
                attempts=0,
            )

    async def _request(
        self, target: httpx.URL, headers: dict[str, str], url: str, cap: int
    ) -> tuple[int, str | None, MappingProxyType[str, str], bytes]:
        """One HTTP exchange: (status, redirect location, headers, body). Raises for unusable statuses."""
        try:
            request = self._client.build_request("GET", target, headers=headers)
            response = await self._client.send(request, stream=True)
            try:
                status = response.status_code
                response_headers = MappingProxyType({k.lower(): v for k, v in response.headers.items()})
                location = _location(response) if status in _REDIRECTS else None
                if 200 <= status < 300:
                    body = await self._read_body(response, url, cap)
                    if not body:
                        raise ResponseError(f"empty body (HTTP {status}) from {url}", url=url, code="empty_body")
                    return status, None, response_headers, body
                await _drain(response)
                if status == 304 or (status in _REDIRECTS and location):
                    return status, location, response_headers, b""
                raise _status_error(status, response_headers, url)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            error = classify_httpx(exc, str(target))
            error.url = url
            raise error from None

    async def _read_body(self, response: httpx.Response, url: str, cap: int) -> bytes:
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            raise ResponseError(f"{url} announces {declared} bytes, over the {cap}-byte cap", url=url, code="too_large")
        if response.is_stream_consumed:
            # Already read by its transport (httpx.MockTransport responses are): nothing left to bound.
            if len(response.content) > cap:
                raise ResponseError(f"body of {url} is over the {cap}-byte cap", url=url, code="too_large")
            return response.content
        try:
            decoder = BoundedDecoder(response.headers.get("content-encoding"), cap)
            async for chunk in response.aiter_raw():
                decoder.feed(chunk)
            return decoder.finish()
        except TooLarge:
            raise ResponseError(
                f"body of {url} is over the {cap}-byte cap (decoded)", url=url, code="too_large"
            ) from None
        except UnsupportedEncoding as exc:
            raise ResponseError(
                f"{url} used Content-Encoding {exc} which we did not ask for", url=url, code="decoding"
            ) from None
        except zlib.error as exc:
            raise ResponseError(f"corrupt compressed body from {url}: {exc}", url=url, code="decoding") from None

    async def _fetch_file(self, url: str, last_modified: str | None, started: float, cap: int) -> FetchResult:
        if not self.settings.allow_file:
            raise PolicyError(f"file URLs are disabled (allow_file): {url}", url=url, code="file_disabled")
        read = await read_file_url(url, max_bytes=cap, last_modified=last_modified)
        return FetchResult(
            url=url,
            final_url=url,
            permanent_url=None,
            status=304 if read.not_modified else 200,
            not_modified=read.not_modified,
            body=read.body,
            headers=MappingProxyType({"last-modified": read.last_modified}),
            etag=None,
            last_modified=read.last_modified,
            elapsed=time.monotonic() - started,
            attempts=1,
        )


def _status_error(status: int, headers: MappingProxyType[str, str], url: str) -> FetchError:
    if status == 429:
        return RateLimitedError(url=url, retry_after=parse_retry_after(headers.get("retry-after")))
    retry_after = parse_retry_after(headers.get("retry-after")) if status == 503 else None
    return HTTPStatusError(status, url=url, retry_after=retry_after)


def _location(response: httpx.Response) -> str | None:
    """The Location header, read as UTF-8 first: Arabic sites often send raw UTF-8 paths there."""
    for name, value in response.headers.raw:
        if name.lower() == b"location":
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                text = value.decode("latin-1")
            return text.strip() or None
    return None


async def _drain(response: httpx.Response) -> None:
    """Read a small unused body so the keep-alive connection is reusable; give up on large ones."""
    if response.is_stream_consumed:
        return
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > _DRAIN_LIMIT:
            return


def _header_safe(value: str) -> bool:
    # Validators come from our database, which got them from a server: never let one inject a header.
    return "\r" not in value and "\n" not in value and value.isprintable()
