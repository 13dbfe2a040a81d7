"""The fetch stage's typed errors and the one place where low-level exceptions are classified.

See the package docstring (``bot.fetch``) for the tree. Every error carries a stable ``code`` that is
stored on the feed row and shown to users, so codes never change meaning once released.
"""

from __future__ import annotations

import ssl

import httpx

from bot.fetch.netio import ForbiddenAddress


class FetchError(Exception):
    """A fetch that produced no usable body.

    ``code`` is stable and machine-readable; ``str(error)`` is a human-readable reason naming the URL.
    ``transient`` tells whether trying again later may help (the fetcher retries only those).
    ``retry_after`` is the server's own wish in seconds (429/503 ``Retry-After``), if it stated one.
    ``attempts`` is how many requests were made before giving up (0 when refused before any request).
    """

    code: str = "error"
    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        url: str,
        code: str | None = None,
        transient: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        if code is not None:
            self.code = code
        if transient is not None:
            self.transient = transient
        self.retry_after = retry_after
        self.attempts = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, url={self.url!r}, message={self.message!r})"


class TransportError(FetchError):
    """Nothing usable came back over the wire: timeout, refused connection, reset, TLS failure."""

    transient = True


class HTTPStatusError(FetchError):
    """The server answered with a status we cannot use. ``code`` is ``http_<status>``."""

    def __init__(self, status: int, *, url: str, retry_after: float | None = None) -> None:
        # 5xx and 408 are the server's passing trouble; any other 4xx is a fact about the URL.
        transient = status >= 500 or status == 408
        reason = httpx.codes.get_reason_phrase(status) or "unknown status"
        super().__init__(
            f"HTTP {status} {reason} from {url}",
            url=url,
            code=f"http_{status}",
            transient=transient,
            retry_after=retry_after,
        )
        self.status = status


class RateLimitedError(HTTPStatusError):
    """HTTP 429: the server wants us to slow down; ``retry_after`` says for how long when it told us."""

    def __init__(self, *, url: str, retry_after: float | None = None) -> None:
        super().__init__(429, url=url, retry_after=retry_after)
        self.code = "rate_limited"
        self.transient = True
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        self.message = f"rate limited (HTTP 429) by {url}{wait}"
        self.args = (self.message,)


class ResponseError(FetchError):
    """A response arrived but breaks our limits: too large, empty, or redirects that go nowhere."""


class PolicyError(FetchError):
    """Refused before any request: scheme, private address, disabled file access, malformed URL."""


class FileFetchError(FetchError):
    """A ``file://`` URL could not be read."""


def classify_httpx(exc: Exception, url: str) -> FetchError:
    """Turn an httpx (or asyncio) exception into our typed error; the only place that knows httpx's tree."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        phases: dict[type[Exception], str] = {
            httpx.ConnectTimeout: f"timed out connecting to {url}",
            httpx.ReadTimeout: f"timed out waiting for data from {url}",
            httpx.WriteTimeout: f"timed out sending the request to {url}",
            httpx.PoolTimeout: f"timed out waiting for a free connection to {url}",
        }
        message = phases.get(type(exc), f"total time budget exceeded for {url}")
        return TransportError(message, url=url, code="timeout")
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
        forbidden = _cause(exc, ForbiddenAddress)
        if forbidden is not None:  # found when connecting, after the first check passed: DNS rebinding
            return PolicyError(
                f"{forbidden}; refused for {url} (set allow_private_addresses to permit)",
                url=url,
                code="private_address",
            )
        if _caused_by_tls(exc):
            # A bad certificate will not fix itself in a second: not worth a retry.
            return TransportError(f"TLS failure for {url}: {detail}", url=url, code="tls", transient=False)
        return TransportError(f"could not connect to {url}: {detail}", url=url, code="connect")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return PolicyError(f"unsupported URL scheme in {url}", url=url, code="scheme")
    if isinstance(exc, httpx.InvalidURL):
        return PolicyError(f"malformed URL {url}: {detail}", url=url, code="invalid_url")
    if isinstance(exc, httpx.TransportError):  # ReadError, WriteError, RemoteProtocolError, ...
        if _caused_by_tls(exc):
            return TransportError(f"TLS failure for {url}: {detail}", url=url, code="tls", transient=False)
        return TransportError(f"connection to {url} failed: {detail}", url=url, code="network")
    return TransportError(f"unexpected {type(exc).__name__} for {url}: {detail}", url=url, code="network")


def _cause(exc: BaseException, kind: type[BaseException] | tuple[type[BaseException], ...]) -> BaseException | None:
    """The first exception of ``kind`` in ``exc``'s chain of causes (``exc`` included)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        current = current.__cause__ or current.__context__
    return None


def _caused_by_tls(exc: BaseException) -> bool:
    tls = _cause(exc, (ssl.SSLError, ssl.CertificateError))
    return tls is not None or "CERTIFICATE_VERIFY_FAILED" in str(exc) or "[SSL" in str(exc)
