"""The shipped feeds.yaml: every feed is an http(s) URL that a public reference attests (issue 15, item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config

SHIPPED = Path(__file__).resolve().parents[2] / "feeds.yaml"


def test_every_shipped_feed_is_http_and_attested_by_a_reference_other_than_itself() -> None:
    cfg = load_config(SHIPPED)
    assert cfg.feeds, "the shipped file lists feeds"
    for feed in cfg.feeds:
        assert feed.url.startswith(("https://", "http://")), feed.id
        assert feed.attested, f"{feed.id} has no attestation"
        reference = feed.attested.split()[0]
        assert reference.startswith("https://"), feed.id
        # A feed cannot vouch for itself: the reference is another page or file.
        assert reference != feed.url, feed.id
        assert len(feed.attested) > len(reference), f"{feed.id}: say what the reference shows"


def test_shipped_feeds_keep_both_languages_and_the_primary_source() -> None:
    cfg = load_config(SHIPPED)
    langs = [f.language for f in cfg.feeds]
    assert langs.count("ar") >= 6 and langs.count("en") >= 6
    assert {f.id for f in cfg.feeds if f.authority} == {"federalregister-bis"}


def test_attested_must_start_with_the_reference_address() -> None:
    ok = parse_config(
        "feeds:\n  - {id: a, url: 'https://a.example/rss', language: ar,"
        " attested: 'https://b.example/list.opml (an OPML that lists it)'}\n"
    )
    assert ok.feeds[0].attested == "https://b.example/list.opml (an OPML that lists it)"
    assert parse_config("feeds:\n  - {id: a, url: 'https://a.example/rss', language: ar}\n").feeds[0].attested is None
    with pytest.raises(ConfigError, match=r"feed #1 \(id 'a'\), `attested`: .*address of the reference"):
        parse_config("feeds:\n  - {id: a, url: 'https://a.example/rss', language: en, attested: seen it somewhere}\n")
