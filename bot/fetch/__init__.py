"""The fetch stage: HTTP (and ``file://``) in, bytes and validators out. It owns every HTTP rule.

One shared ``httpx.AsyncClient`` per ``Fetcher``. A fetch does, in order: scheme check → per-host and
global slot → SSRF check of the resolved host → conditional GET (If-None-Match / If-Modified-Since)
→ redirects followed by hand (each hop re-checked, counted, loop-detected) → body streamed through a
decoder that caps the DECODED size → retries of transient failures with full-jitter backoff or the
server's Retry-After. feedparser never sees a URL: the parse stage gets ``FetchResult.body``.

Error tree (``FetchError.code`` is stable; ``transient`` errors are retried, the rest are not)::

    FetchError                      code, url, transient, retry_after, attempts, message
    ├── TransportError              nothing usable came over the wire (transient unless noted)
    │     timeout                   connect, read or total time budget exceeded
    │     connect                   refused, unreachable, reset while connecting
    │     dns                       the host name did not resolve (SSRF check)
    │     network                   reset or protocol error mid-response
    │     tls                       certificate or handshake failure      (not transient)
    ├── HTTPStatusError             the server answered with an unusable status
    │   │ http_<status>             e.g. http_404, http_410 (not transient), http_500, http_503,
    │   │                           http_408 (5xx and 408 transient; 503 carries retry_after)
    │   └── RateLimitedError
    │         rate_limited          HTTP 429, transient, retry_after from Retry-After
    ├── ResponseError               an answer that breaks our limits (not transient)
    │     too_large                 body (decoded) or its Content-Length over max_bytes
    │     empty_body                2xx with no bytes
    │     decoding                  corrupt gzip/deflate, or an encoding we did not ask for
    │     too_many_redirects        more than max_redirects hops
    │     redirect_loop             a hop leads back to a URL already visited
    ├── PolicyError                 refused before any request (not transient)
    │     scheme                    not http/https/file (also for a redirect to another scheme)
    │     invalid_url               malformed URL, no host, or file:// with a remote host
    │     private_address           host resolves to loopback/private/link-local/... (see guard)
    │     file_disabled             file:// while allow_file is off
    └── FileFetchError              a file:// URL could not be read (not transient)
          not_found_file            no such file
          file_error                a directory, no permission, an I/O error

The feed's own pace (``Cache-Control: max-age``, ``Expires``; with the document's ``<ttl>`` and
``sy:updatePeriod`` read by ``bot.parse.pacing``) is weighed in ``bot.fetch.pacing``: the largest ask, never
below the feed's configured interval nor above ``max_feed_interval``, sets its next poll.

Article pages (HTML → main text, trafilatura, cached) live in ``bot.fetch.article`` and go through the
same ``Fetcher``. Tests and benchmarks get a scripted loopback server in ``tests/fakes/feedserver.py``.

Retry-After above ``backoff_max`` is not waited for within the fetch: the error is raised at once
with ``retry_after`` set, for the feed's own backoff to honour. The SSRF guard (``bot.fetch.guard``) is
applied before each hop and again when a connection opens, which goes to the address checked
(``bot.fetch.netio``): DNS rebinding cannot slip between the two. Both take their answer from the fetcher's
resolver (``bot.fetch.resolve``), which asks the system for a name once every 30 s.
"""

from bot.fetch.errors import (
    FetchError,
    FileFetchError,
    HTTPStatusError,
    PolicyError,
    RateLimitedError,
    ResponseError,
    TransportError,
)
from bot.fetch.fetcher import Fetcher
from bot.fetch.result import FetchResult
from bot.fetch.settings import FEED_ACCEPT, HTML_ACCEPT, FetchSettings

__all__ = [
    "FEED_ACCEPT",
    "HTML_ACCEPT",
    "FetchError",
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "FileFetchError",
    "HTTPStatusError",
    "PolicyError",
    "RateLimitedError",
    "ResponseError",
    "TransportError",
]
