"""Which feed links become links in a chat: one check for Telegram and Discord."""

from __future__ import annotations

from bot.text.urls import MAX_URL, markdown_url, safe_url


def test_only_plain_http_links_with_a_host() -> None:
    assert safe_url(" https://a.example/x?y=1 ") == "https://a.example/x?y=1"
    for bad in (None, "", "javascript:alert(1)", "data:text/html,x", "https://", "ftp://x.example/", "not a url"):
        assert safe_url(bad) is None and markdown_url(bad) is None


def test_whitespace_or_controls_inside_mean_no_link_on_both_platforms() -> None:
    # Discord's copy quoted "http://a b" into "http://a%20b", a link to a host that cannot exist.
    for bad in ("http://a b", "https://x.example/a\nb", "https://x.example/\x00", "https://x.example/a\x7f"):
        assert safe_url(bad) is None and markdown_url(bad) is None


def test_length_limits() -> None:
    long = "https://x.example/" + "a" * (MAX_URL - 18)
    assert safe_url(long) == long and safe_url(long + "a") is None
    assert markdown_url("https://x.example/" + "a" * 482) is not None
    assert markdown_url("https://x.example/" + "a" * 483) is None  # 501 characters


def test_markdown_links_cannot_be_ended_early() -> None:
    assert markdown_url("https://x.example/a(b)") == "https://x.example/a%28b%29"
    assert markdown_url('https://x.example/"<x>[y]') == "https://x.example/%22%3Cx%3E%5By%5D"
    assert markdown_url("https://x.example/a%20b?q=1&r=2#f") == "https://x.example/a%20b?q=1&r=2#f"
