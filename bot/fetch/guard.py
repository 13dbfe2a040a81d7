"""Where a feed URL may point: schemes and the SSRF guard on resolved addresses.

A feed list is user input. Without this guard, ``http://169.254.169.254/`` (cloud metadata),
``http://localhost:5432/`` or any host on the internal network could be reached through the bot.
Unless ``allow_private_addresses`` is set, the host of the first URL and of every redirect hop is
resolved and refused when ANY of its addresses is not a public unicast address.

DNS rebinding: a hostile DNS server with a zero TTL could answer this check with a public address and
the connection's own lookup with a private one. Connections are therefore pinned: ``bot.fetch.netio`` takes
the host's addresses from the fetcher's resolver (``bot.fetch.resolve``, whose answer this check judged),
applies the same rule to every one, and connects only to an address it checked — no other lookup stands
between the check and the connection (TLS still verifies the host name). The check here stays: it refuses
before any connection, for every redirect hop, with the clearest message.
"""

from __future__ import annotations

import ipaddress
import re
import socket

import httpx

from bot.fetch.errors import PolicyError, TransportError
from bot.fetch.resolve import Resolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_HOST_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?")


def check_http_url(url: httpx.URL, original: str) -> None:
    """Refuse anything but an absolute http(s) URL with a host."""
    if url.scheme not in ("http", "https"):
        raise PolicyError(
            f"scheme {url.scheme or '(none)'!r} is not allowed for {original}", url=original, code="scheme"
        )
    if not url.host:
        raise PolicyError(f"URL has no host: {original}", url=original, code="invalid_url")
    raw_host = url.raw_host.decode("ascii", "replace")
    # httpx percent-encodes what it cannot parse ("exa mple.org" -> "exa%20mple.org"); a real host name
    # (after IDNA) is letters, digits, dots, hyphens and the odd underscore, or an IP literal.
    if not _HOST_NAME.fullmatch(raw_host) and not _is_ip_literal(raw_host):
        raise PolicyError(f"malformed host {url.host!r} in {original}", url=original, code="invalid_url")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_forbidden_address(ip: IPAddress) -> bool:
    """True for every address a feed fetch must not reach (loopback, private, link-local, ...)."""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address can smuggle an IPv4 one. ::ffff:a.b.c.d IS that IPv4 address on the wire, so
        # it is judged as such; 6to4 (2002::/16) and Teredo wrap one, and both must be acceptable.
        if ip.ipv4_mapped is not None:
            return is_forbidden_address(ip.ipv4_mapped)
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and is_forbidden_address(embedded):
            return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        # Catches what the flags above leave out, e.g. carrier-grade NAT 100.64.0.0/10.
        or not ip.is_global
    )


async def check_public_host(url: httpx.URL, original: str, *, resolver: Resolver | None = None) -> None:
    """Resolve ``url``'s host (with ``resolver``, the fetcher's shared cache; else afresh) and refuse it if any
    resolved address is forbidden."""
    host = url.host
    try:
        # raw_host is the IDNA (punycode) form httpx will connect to: resolve exactly that name (an address
        # literal is its own answer, looked up nowhere).
        answer = await (resolver or Resolver(ttl=0)).addresses(url.raw_host.decode("ascii"))
    except (socket.gaierror, UnicodeError) as exc:
        raise TransportError(f"DNS lookup failed for {host} ({original}): {exc}", url=original, code="dns") from None
    # Strip an IPv6 zone ("fe80::1%eth0") before parsing; the zone itself is irrelevant here.
    addresses = [ipaddress.ip_address(ip.split("%", 1)[0]) for _family, ip in answer]
    bad = sorted({str(ip) for ip in addresses if is_forbidden_address(ip)})
    if bad:
        raise PolicyError(
            f"{host} resolves to a private or reserved address ({', '.join(bad)}); refused for {original}"
            " (set allow_private_addresses to permit)",
            url=original,
            code="private_address",
        )
