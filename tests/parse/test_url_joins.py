"""feedparser's URL joins are memoized (``bot.parse.speedups``): parsing gives exactly what feedparser's own
functions give, on every feed of the feedparser corpus that sets a base URI (xml:base) or relative links,
parsed twice in one process (the second time from the cache)."""

from __future__ import annotations

import pytest
from feedparser import mixin, urls

from bot.parse import parse_feed, speedups
from tests.conftest import SHARED

CORPUS = SHARED / "corpora" / "feedparser-tests"


def _links(body: bytes) -> list[tuple[str | None, str | None, str]]:
    parsed = parse_feed(body, url="https://feeds.example/dir/feed.xml")
    return [(e.guid, e.link, e.content_html or e.summary_html) for e in parsed.entries]


@pytest.mark.shared
def test_memoized_joins_parse_exactly_as_feedparser_does(monkeypatch: pytest.MonkeyPatch) -> None:
    if not CORPUS.is_dir():
        pytest.skip("the feedparser corpus (../shared) is not beside the project")
    assert speedups.MEMOIZED and hasattr(mixin._urljoin, "cache_info")
    files = [p for p in sorted(CORPUS.rglob("*.xml")) if b"base" in p.read_bytes() or b'href="/' in p.read_bytes()]
    assert len(files) > 40
    memoized = {p: (_links(p.read_bytes()), _links(p.read_bytes())) for p in files}
    assert mixin._urljoin.cache_info().hits > 0
    monkeypatch.setattr(urls, "_urljoin", mixin._urljoin.__wrapped__)
    monkeypatch.setattr(mixin, "_urljoin", mixin._urljoin.__wrapped__)
    monkeypatch.setattr(mixin, "make_safe_absolute_uri", mixin.make_safe_absolute_uri.__wrapped__)
    for p, (first, again) in memoized.items():
        plain = _links(p.read_bytes())
        assert first == again == plain, p.name
