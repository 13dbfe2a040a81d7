"""URL canonicalization: the listed variants fold together, different articles never do."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.stories.urls import canonical_url, google_news_target, publisher_url

CANON = "https://example.com/news/2025/chip-curbs"


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.com/news/2025/chip-curbs",
        "HTTPS://EXAMPLE.COM/news/2025/chip-curbs",
        "http://example.com/news/2025/chip-curbs",
        "https://example.com:443/news/2025/chip-curbs",
        "http://example.com:80/news/2025/chip-curbs/",
        "https://example.com/news/2025/chip-curbs#comments",
        "https://example.com/news/2025/chip-curbs?utm_source=rss&utm_medium=feed&utm_campaign=x",
        "https://example.com/news/2025/chip-curbs?fbclid=abc&gclid=def&mc_cid=1&mc_eid=2",
        "https://example.com/news/2025/chip-curbs?ref=home&ref_src=twsrc&cmpid=x&igshid=y&_ga=1&ocid=z",
        "https://example.com/news/2025/chip-curbs/amp",
        "https://example.com/news/2025/chip-curbs/amp/",
        "https://example.com/news/2025/chip-curbs.amp",
        "https://example.com/news/2025/chip-curbs?amp=1",
        "https://example.com/news/2025/chip-curbs?outputType=amp",
        "https://amp.example.com/news/2025/chip-curbs",
        "https://m.example.com/news/2025/chip-curbs",
        "https://mobile.example.com/news/2025/chip-curbs",
        "https://example.com//news//2025/chip-curbs",
        "https://example.com/amp/news/2025/chip-curbs",
    ],
)
def test_variants_fold_to_one_url(variant: str) -> None:
    assert canonical_url(variant) == CANON


def test_remaining_query_parameters_are_sorted_and_kept() -> None:
    assert canonical_url("https://ex.com/a?b=2&utm_source=x&a=1") == "https://ex.com/a?a=1&b=2"
    assert canonical_url("https://ex.com/article.php?id=7") != canonical_url("https://ex.com/article.php?id=8")


def test_arabic_slug_raw_and_encoded_are_one() -> None:
    raw = canonical_url("https://ar.example.com/أخبار/رقائق")
    enc = canonical_url("https://ar.example.com/%d8%a3%d8%ae%d8%a8%d8%a7%d8%b1/%D8%B1%D9%82%D8%A7%D8%A6%D9%82")
    assert raw == enc and raw is not None


def test_relative_urls_resolve_against_base() -> None:
    assert canonical_url("/news/x?utm_source=a", base="https://Example.com/feed.xml") == "https://example.com/news/x"
    assert canonical_url("x", base="https://example.com/news/") == "https://example.com/news/x"
    assert canonical_url("//cdn.example.com/a") == "https://cdn.example.com/a"
    assert canonical_url("/news/x") is None  # relative without base
    assert canonical_url("/news/x", base="not a url") is None


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "javascript:alert(1)",
        "mailto:a@b.com",
        "ftp://example.com/file",
        "http://",
        "http:///path",
        "https://exa mple.com/",
        "https://example.com:99999/",
        "https://user:pw@example.com/a",
        "https://[::1/",
        "https://nodot/path",
        "data:text/html,<b>x</b>",
        "https://example.com/" + "a" * 9000,
        "\x00https://example.com",
    ],
)
def test_malformed_urls_give_none(bad: str) -> None:
    assert canonical_url(bad) is None


def test_non_string_input_gives_none() -> None:
    assert canonical_url(None) is None  # type: ignore[arg-type]
    assert canonical_url(123) is None  # type: ignore[arg-type]


def test_escaped_slash_is_not_a_path_separator() -> None:
    assert canonical_url("https://ex.com/a%2Fb") != canonical_url("https://ex.com/a/b")


def test_publisher_url_resolves_redirectors() -> None:
    google = "https://www.google.com/url?rct=j&sa=t&url=https://www.reuters.com/tech/x/%3Futm_source%3Drss&ct=ga"
    assert publisher_url(google) == "https://www.reuters.com/tech/x"
    fb = "https://l.facebook.com/l.php?u=https%3A%2F%2Fm.aljazeera.net%2Fnews%2F1&h=AT0"
    assert publisher_url(fb) == "https://aljazeera.net/news/1"


def test_publisher_url_google_news_entry() -> None:
    link = "https://news.google.com/rss/articles/CBMiSmh0dHBzOi8v?oc=5&hl=en-US&gl=US&ceid=US:en"
    # <source url> is the publisher's home page only: the aggregator id stays the identity
    assert publisher_url(link, "https://www.reuters.com") == "https://news.google.com/rss/articles/CBMiSmh0dHBzOi8v"
    # when the entry carries a full article URL, that is the publisher URL
    assert publisher_url(link, "https://www.reuters.com/tech/x?utm_source=gn") == "https://www.reuters.com/tech/x"
    assert publisher_url(None, None) is None
    assert publisher_url("not a url") is None
    assert publisher_url("https://example.com/a/") == "https://example.com/a"


# --- properties ---------------------------------------------------------------------------------

_seg = st.text(alphabet=string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=12).filter(
    lambda s: s not in ("amp",) and not s.endswith(".amp")
)
_path = st.lists(_seg, min_size=1, max_size=4).map(lambda xs: "/" + "/".join(xs))
_host = st.sampled_from(["example.com", "news.example.org", "www.aljazeera.net", "ar.reuters.com"])
_param = st.tuples(st.sampled_from(["id", "p", "page", "article", "q"]), st.text(string.digits, min_size=1, max_size=4))


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_never_raises_on_any_text(s: str) -> None:
    out = canonical_url(s, base="https://example.com/a/")
    assert out is None or out.startswith("https://")
    publisher_url(s, s)


@settings(max_examples=300)
@given(_host, _path, st.lists(_param, max_size=3), st.booleans())
def test_idempotent(host: str, path: str, params: list[tuple[str, str]], amp: bool) -> None:
    q = "&".join(f"{k}={v}" for k, v in params)
    url = f"https://{host}{path}{'/amp' if amp else ''}?{q}&utm_source=x#frag"
    once = canonical_url(url)
    assert once is not None
    assert canonical_url(once) == once


@settings(max_examples=300)
@given(st.text(max_size=120))
def test_idempotent_on_arbitrary_input(s: str) -> None:
    once = canonical_url(s, base="https://example.com/")
    if once is not None:
        assert canonical_url(once) == once


@settings(max_examples=300)
@given(_host, _path, _path)
def test_different_paths_stay_different(host: str, p1: str, p2: str) -> None:
    if p1.rstrip("/") == p2.rstrip("/"):
        return
    assert canonical_url(f"https://{host}{p1}") != canonical_url(f"https://{host}{p2}")


@settings(max_examples=300)
@given(_host, _path, _param, _param)
def test_meaningful_query_parameters_stay_different(
    host: str, path: str, a: tuple[str, str], b: tuple[str, str]
) -> None:
    if a == b:
        return
    assert canonical_url(f"https://{host}{path}?{a[0]}={a[1]}") != canonical_url(f"https://{host}{path}?{b[0]}={b[1]}")


# --- Google News article ids carrying the publisher URL ------------------------------------------


def _gnews_id(url: str, *, amp: str | None = None) -> str:
    """An old-style article id as Google News builds it: protobuf 08 13 22 <len> <url> [d2 01 <len> <amp>]."""
    import base64

    def field(tag: bytes, value: bytes) -> bytes:
        assert len(value) < 128
        return tag + bytes([len(value)]) + value

    raw = b"\x08\x13" + field(b"\x22", url.encode())
    if amp is not None:
        raw += field(b"\xd2\x01", amp.encode())
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_google_news_id_decodes_to_the_publisher_article() -> None:
    art = "https://www.example-news.org/economy/2026/11/20/entity-list?utm_source=x"
    link = f"https://news.google.com/rss/articles/{_gnews_id(art, amp=art + '/amp')}?oc=5&hl=ar"
    assert google_news_target(link) == "https://www.example-news.org/economy/2026/11/20/entity-list"
    # the aggregator entry and the publisher's own feed entry become one canonical URL (exact duplicates)
    assert publisher_url(link, "https://www.example-news.org") == canonical_url(art)
    # country editions and /articles/ without /rss/
    assert publisher_url(f"https://news.google.co.uk/articles/{_gnews_id(art)}") == canonical_url(art)


@pytest.mark.parametrize(
    "token",
    [
        "CBMiSmh0dHBzOi8v",  # length prefix longer than the id: truncated
        "CBMi!!!notbase64",  # not base64url
        "CAIiEHh5eno",  # a length-delimited field that is not a URL
        "CBMiqwFBVV95cUxNZm9vYmFy",  # new-style opaque token
        "_____________",  # varint never ends
    ],
)
def test_google_news_undecodable_ids_keep_the_aggregator_identity(token: str) -> None:
    link = f"https://news.google.com/rss/articles/{token}?oc=5"
    assert google_news_target(link) is None
    out = publisher_url(link)
    assert out is None or out.startswith("https://news.google.com/rss/articles/")


@settings(max_examples=300)
@given(st.binary(max_size=120))
def test_google_news_decoder_never_raises(raw: bytes) -> None:
    import base64

    token = base64.urlsafe_b64encode(raw).decode().rstrip("=") or "AAAAAAAA"
    got = google_news_target(f"https://news.google.com/rss/articles/{token}")
    assert got is None or got.startswith(("https://", "http://"))
