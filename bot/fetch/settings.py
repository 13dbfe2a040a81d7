"""Tunables of the fetch stage (one frozen value, built once by the composition root)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_USER_AGENT = "Raqib/0.1 (+https://github.com/raqib-bot/raqib; news monitor)"

# Feeds first, then anything XML, then HTML (a site's home page may advertise its feed) and the rest,
# so a server doing content negotiation hands us the feed rather than a web page.
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/feed+json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, "
    "application/json;q=0.5, text/html;q=0.3, */*;q=0.1"
)
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Every limit of the fetcher. The defaults are meant for production.

    Timeouts are in seconds. ``connect_timeout`` and ``read_timeout`` apply per socket operation;
    ``total_timeout`` bounds one whole attempt (DNS, every redirect hop and the last body byte), so a
    server that drips one byte a second cannot hold a slot forever. Backoff sleeps between attempts
    are outside it.
    """

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024  # decoded body size
    max_redirects: int = 5
    max_connections: int = 50  # global in-flight requests (and the connection pool size)
    per_host: int = 4  # in-flight requests per host name: politeness towards each site
    retries: int = 2  # extra attempts after the first, for transient errors only
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    allow_file: bool = False
    allow_private_addresses: bool = False

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout", "backoff_max"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FetchSettings.{name} must be positive")
        for name in ("max_bytes", "max_connections", "per_host"):
            if getattr(self, name) < 1:
                raise ValueError(f"FetchSettings.{name} must be at least 1")
        for name in ("max_redirects", "retries"):
            if getattr(self, name) < 0:
                raise ValueError(f"FetchSettings.{name} must not be negative")
        if self.backoff_base < 0:
            raise ValueError("FetchSettings.backoff_base must not be negative")
