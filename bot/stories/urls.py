"""URL canonicalization: one spelling per article, so the same article in two feeds is one item.

``canonical_url`` folds the variants that point at the same document and keeps everything that
could select a *different* document:

* scheme and host lower-cased, ``http`` → ``https`` (publishers serve both; the path decides the
  article), default ports dropped, IDN hosts left as given, ``www.`` kept (it is a different host
  on some sites and costs nothing to keep);
* AMP and mobile variants (``amp.``/``m.``/``mobile.`` hosts, ``/amp``, ``/amp/``, ``.amp``,
  ``.amp.html``, ``?amp=1``, ``outputType=amp``) mapped to the desktop URL;
* fragments, tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid`` …) and empty
  values dropped, the remaining parameters sorted (order never selects a document);
* trailing slashes and ``index.html`` dropped, duplicate slashes squeezed, percent-encoding
  normalised (unreserved characters decoded, the rest upper-case escaped);
* relative URLs resolved against ``base``; anything that is not an absolute http(s) URL with a
  plausible host returns ``None`` — this module never raises on input.

Path case is kept: many servers are case-sensitive, and merging two articles is worse than
missing one duplicate (the near-duplicate stage catches that one anyway).

``publisher_url`` turns an aggregator entry (Google News, redirectors with ``url=``/``u=``) into
the publisher's article URL when the entry carries it.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import SplitResult, parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

# Parameters that only say where a click came from; they never select a different document.
_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "cmpid",
        "cmp",
        "igshid",
        "igsh",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "ocid",
        "smid",
        "sr_share",
        "share",
        "spm",
        "ito",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "rss",
        "feed",
        "via",
        "amp",  # ?amp=1 / ?amp=true: the AMP rendering of the same article
        "outputtype",  # outputType=amp (Washington Post and others)
        "mbid",
        "s_cid",
        "xtor",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "wt.mc_id",
        "wt_mc_id",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "rb_clickid",
        "s_kwcid",
    }
)
_TRACKING_PREFIXES = ("utm_", "ga_", "hsa_", "pk_", "mtm_", "matomo_", "piwik_", "__twitter", "stm_")

_MOBILE_HOST_PREFIXES = ("amp.", "m.", "mobile.", "mobil.")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_RE = re.compile(
    r"^[a-z0-9\u00a1-\uffff]([a-z0-9\u00a1-\uffff-]*[a-z0-9\u00a1-\uffff])?"
    r"(\.[a-z0-9\u00a1-\uffff]([a-z0-9\u00a1-\uffff-]*[a-z0-9\u00a1-\uffff])?)*$"
)
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_MAX_URL = 8192  # feeds sometimes carry data: blobs in <link>; nothing that long is an article URL
# Characters that need no escaping in a path or query (RFC 3986 unreserved + sub-delims we keep).
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_QUERY_SAFE = ":@!$'()*+,;/?-._~"
_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_SPLIT_ESCAPES_RE = re.compile(r"(%[0-9A-F]{2})")


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in _TRACKING_EXACT or low.startswith(_TRACKING_PREFIXES)


def _clean_host(host: str) -> str | None:
    host = host.strip().lower().rstrip(".")
    host = _strip_mobile(host)
    if not host or len(host) > 253:
        return None
    if _IPV4_RE.match(host) or (host.startswith("[") and host.endswith("]")):
        return host
    if "." not in host and host != "localhost":
        return None
    if not _HOST_RE.match(host):
        return None
    return host


def _strip_mobile(host: str) -> str:
    # amp.example.com, m.example.com → example.com; keep at least a two-label name.
    changed = True
    while changed:
        changed = False
        for prefix in _MOBILE_HOST_PREFIXES:
            rest = host[len(prefix) :]
            if host.startswith(prefix) and "." in rest:
                host, changed = rest, True
    return host


def _normalize_escapes(part: str, safe: str) -> str:
    """One spelling for percent-encoding: unreserved characters decoded (%7E → ~), other escapes
    upper-cased (%e2 → %E2) and *kept* (%2F must not become a path separator), raw non-ASCII
    (Arabic slugs) and lone ``%`` encoded."""

    def fold(m: re.Match[str]) -> str:
        ch = chr(int(m.group(1), 16))
        return ch if ch in _UNRESERVED else "%" + m.group(1).upper()

    folded = _ESCAPE_RE.sub(fold, part)
    pieces = _SPLIT_ESCAPES_RE.split(folded)
    return "".join(p if i % 2 else quote(p, safe=safe, errors="surrogatepass") for i, p in enumerate(pieces))


_SLASHES_RE = re.compile(r"/{2,}")
# AMP variants: /amp, /amp/ at the end, /amp/ as the first segment, article.amp(.html)
_AMP_END_RE = re.compile(r"/amp/?$")
_AMP_FIRST_RE = re.compile(r"^/amp(?=/)")
_AMP_SUFFIX_RE = re.compile(r"\.amp(\.html?)?$")
_INDEX_RE = re.compile(r"/index\.(html?|php|aspx?)$")


def _clean_path(path: str) -> str:
    path = _normalize_escapes(path, _PATH_SAFE)
    # Repeat until stable so that canonical_url is idempotent (/x/amp/amp, /amp/amp/x ...).
    for _ in range(16):
        before = path
        path = _SLASHES_RE.sub("/", path)
        path = _AMP_END_RE.sub("", path)
        path = _AMP_FIRST_RE.sub("", path)
        path = _AMP_SUFFIX_RE.sub(lambda m: m.group(1) or "", path)
        path = _INDEX_RE.sub("", path)
        path = path.rstrip("/")
        if path == before:
            break
    return path


def _clean_query(query: str) -> str:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="surrogatepass")
    except ValueError:
        return ""
    kept = [(k, v) for k, v in pairs if k and not _is_tracking(k) and v != ""]
    kept.sort()
    return urlencode(kept, quote_via=quote, safe=_QUERY_SAFE, errors="surrogatepass")


def canonical_url(url: str, base: str | None = None) -> str | None:
    """The canonical spelling of an article URL, or ``None`` when ``url`` is not usable.

    Idempotent: ``canonical_url(canonical_url(u)) == canonical_url(u)`` whenever the first is not
    None. Never raises.
    """
    try:
        return _canonical(url, base)
    except (ValueError, TypeError, UnicodeError):
        return None


def _canonical(url: str, base: str | None) -> str | None:
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or len(url) > _MAX_URL or any(c in url for c in "\x00\r\n\t "):
        return None
    parts = urlsplit(url)
    if not parts.scheme:
        if url.startswith("//"):
            url = "https:" + url
        elif base and _canonical(base.strip(), None) is not None:
            url = urljoin(base.strip(), url)  # resolve against the base as published, not canonical
        else:
            return None  # relative without a usable base
        parts = urlsplit(url)
    if url.startswith("//"):  # a scheme-relative URL urljoin kept as it was
        url = "https:" + url
        parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    if parts.username is not None or parts.password is not None:
        return None  # credentials in a feed link are a trap, never an article address
    host = _clean_host(parts.hostname or "")
    if host is None:
        return None
    port = parts.port  # raises ValueError on a bad port: caught by canonical_url
    netloc = host if port is None or port in _DEFAULT_PORTS.values() else f"{host}:{port}"
    path = _clean_path(parts.path)
    # Google News article ids live in the path; hl/gl/ceid/oc only pick the UI edition.
    query = "" if _is_google_news_host(host) and "/articles/" in path else _clean_query(parts.query)
    return urlunsplit(("https", netloc, path, query, ""))


# --- aggregators -------------------------------------------------------------------------------

_AGGREGATOR_HOSTS = ("news.google.com", "news.yahoo.com", "flipboard.com", "feedproxy.google.com")
# Redirectors that carry the target in a query parameter.
_REDIRECT_PARAMS = ("url", "u", "q", "link", "target", "dest", "redirect", "redirect_url")
_REDIRECT_HOSTS = (
    "www.google.com",
    "google.com",
    "news.google.com",
    "l.facebook.com",
    "lm.facebook.com",
    "t.co",
    "out.reddit.com",
    "r.search.yahoo.com",
    "bing.com",
    "www.bing.com",
    "feedproxy.google.com",
    "feeds.feedburner.com",
    "news.yahoo.com",
)


def _redirect_target(parts: SplitResult, host: str) -> str | None:
    """The target a redirector link (``parts``, its lower-cased ``host``) carries in its query."""
    if host not in _REDIRECT_HOSTS and not parts.path.rstrip("/").endswith(("/url", "/redirect", "/out")):
        return None
    params = dict(parse_qsl(parts.query, keep_blank_values=False))
    for name in _REDIRECT_PARAMS:
        target = params.get(name)
        if target and target.startswith(("http://", "https://")):
            return target
    return None


_GNEWS_ARTICLE_RE = re.compile(r"/(?:rss/)?articles/([A-Za-z0-9_-]{8,2000})$")
_MAX_VARINT_BYTES = 10


def _is_google_news_host(host: str) -> bool:
    # news.google.com and the country editions (news.google.co.uk, news.google.de, ...)
    return host.startswith("news.google.")


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for i in range(_MAX_VARINT_BYTES):
        b = buf[pos + i]  # IndexError on truncation: the caller gives up
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos + i + 1
        shift += 7
    raise ValueError("varint too long")


def google_news_target(url: str) -> str | None:
    """The publisher URL inside an old-style Google News article id, or ``None``.

    ``news.google.com/rss/articles/CBMi...`` ids are base64url of a small protobuf; the first
    length-delimited field holding an ``http(s)://`` string is the article's own URL (bytes
    ``08 13 22 <varint len> <url>`` in practice; the AMP URL may follow in a later field). Newer ids
    hold an opaque token instead of the URL: nothing usable is found and the caller keeps the
    aggregator link. Any malformed id gives ``None``.
    """
    try:
        parts = urlsplit(url)
        if not _is_google_news_host((parts.hostname or "").lower()):
            return None
        m = _GNEWS_ARTICLE_RE.search(parts.path)
        if not m:
            return None
        token = m.group(1)
        buf = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        pos = 0
        while pos < len(buf):
            key, pos = _varint(buf, pos)
            wire = key & 0x7
            if wire == 0:
                _, pos = _varint(buf, pos)
            elif wire == 2:
                size, pos = _varint(buf, pos)
                if size > len(buf) - pos:
                    return None
                chunk = buf[pos : pos + size]
                pos += size
                if chunk.startswith((b"http://", b"https://")):
                    return canonical_url(chunk.decode("utf-8"))
            else:  # fixed32/64 or groups never occur in these ids: not the format we know
                return None
        return None
    except (ValueError, IndexError, binascii.Error, UnicodeDecodeError):
        return None


def is_aggregator(url: str | None) -> bool:
    """True when ``url`` points at a news aggregator rather than at a publisher."""
    if not url:
        return False
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return _is_aggregator_host(host)


def _is_aggregator_host(host: str) -> bool:
    return _is_google_news_host(host) or any(host == h or host.endswith("." + h) for h in _AGGREGATOR_HOSTS)


def publisher_url(entry_link: str | None, source_href: str | None = None) -> str | None:
    """The canonical publisher URL for a feed entry, resolving aggregator links when possible.

    * A redirector link carrying the target (``...google.com/url?url=https://pub/...``,
      ``l.facebook.com/l.php?u=...``) resolves to that target.
    * A Google News article link (``news.google.com/rss/articles/CBMi...``) of the old kind carries
      the publisher's article URL inside its id (``google_news_target``): that URL is the identity,
      so the aggregator entry and the publisher's own feed entry are exact duplicates.
    * Otherwise the id is opaque; the entry's ``<source url="https://publisher/">`` is only the
      publisher's *home page*, so the canonical aggregator URL itself stays the identity (two Google
      News entries for one article share it) and ``source_href`` is only used when it is a full
      article URL (has a path).
    * Anything else is canonicalized as is. Never raises; ``None`` when nothing usable is given.
    """
    try:
        link = (entry_link or "").strip()
        host = ""
        if link:
            parts = urlsplit(link)  # once: the checks below read its host and query
            host = (parts.hostname or "").lower()
            target = _redirect_target(parts, host)
            if target:
                resolved = canonical_url(target)
                if resolved:
                    return resolved
            decoded = google_news_target(link) if _is_google_news_host(host) else None
            if decoded:
                return decoded
        if host and _is_aggregator_host(host) and source_href:
            src = canonical_url(source_href)
            if src and urlsplit(src).path not in ("", "/"):
                return src
        if link:
            return canonical_url(link)
        return canonical_url(source_href) if source_href else None
    except (ValueError, TypeError, UnicodeError):
        return None
