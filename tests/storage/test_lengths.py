"""Issue 13.3: the schema and the code agree on lengths, on SQLite and on PostgreSQL.

- every column takes the largest value the schema declares (multi-byte text, the largest integer, far-future
  times), and gives it back unchanged;
- the code never produces more than the schema holds (links, canonical URLs, identities, outbox keys);
- a feed with the longest links, GUIDs and texts a hostile feed can send is stored whole through the real
  pipeline, and polled again without growing;
- a storage failure is recorded on the feed without the statement's parameters (item text).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Boolean, DateTime, Float, Integer, LargeBinary, String, Text, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

import storage.tables as tables
from bot import normalize
from bot.config import parse_config
from bot.demo.server import Document, FeedServer
from bot.fetch import Fetcher
from bot.normalize import normalize_entries
from bot.parse import RawEntry
from bot.pipeline import Pipeline
from bot.stories import urls
from storage.db import session
from storage.errors import describe_db_error
from storage.feeds import FeedSpec, get_feed, record_failure, sync_feeds
from storage.queries import recent_items

WIDE = "ش"  # two bytes in UTF-8: a VARCHAR(n) counts characters, and must take n of these
TEXT_CHARS = 120_000  # above every cap the code puts on a text column (bot.normalize.CONTENT_MAX)
INT_MAX = 2**31 - 1  # INTEGER on both databases
FAR = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
NOW = datetime.now(UTC)


def _value(column: Any, chosen: dict[str, dict[str, Any]]) -> Any:
    for fk in column.foreign_keys:  # a reference takes the value its target row was given
        return chosen[fk.column.table.name][fk.column.name]
    kind = column.type
    impl = getattr(kind, "impl", kind)
    if isinstance(impl, DateTime) or isinstance(kind, tables.UTCDateTime):
        return FAR
    if isinstance(impl, Boolean):
        return True
    if isinstance(impl, Integer):
        return INT_MAX
    if isinstance(impl, Float):
        return 1.0e300
    if isinstance(impl, LargeBinary):
        return bytes(range(256)) * 256
    if isinstance(impl, String) and not isinstance(impl, Text) and impl.length:
        return WIDE * impl.length
    if isinstance(impl, String):
        return WIDE * TEXT_CHARS
    raise AssertionError(f"no maximal value for {column.table.name}.{column.name} ({kind!r})")


def test_every_column_takes_its_maximal_value(engine: Engine) -> None:
    chosen: dict[str, dict[str, Any]] = {}
    for table in SQLModel.metadata.sorted_tables:  # referenced tables first
        chosen[table.name] = {c.name: _value(c, chosen) for c in table.columns}
    with engine.begin() as c:
        for table in SQLModel.metadata.sorted_tables:
            c.execute(insert(table), [chosen[table.name]])
    with engine.connect() as c:
        for table in SQLModel.metadata.sorted_tables:
            [row] = c.execute(select(table)).mappings().all()
            for column in table.columns:
                got, want = row[column.name], chosen[table.name][column.name]
                if isinstance(column.type, tables.UTCDateTime):
                    got = got if got.tzinfo else got.replace(tzinfo=UTC)
                assert got == want, f"{table.name}.{column.name} did not come back whole"


def test_the_code_never_writes_more_than_the_schema_holds() -> None:
    assert normalize.URL_MAX == tables.URL_MAX == urls._MAX_URL
    assert normalize.IDENTITY_MAX == tables.IDENTITY_MAX
    long_url = "https://n.example/" + "a" * (tables.URL_MAX - 18)

    def raw(guid: str | None, link: str, title: str) -> RawEntry:
        return RawEntry(guid, link, title, "", "", None, None)

    raws = [
        raw("g" * 50_000, long_url, "t1"),
        raw("g" * 50_000, long_url[:-1] + "b", "t2"),  # the same GUID, another link: GUID and link together
        raw(None, long_url[:-1], "t3"),
        raw(None, long_url + "x", "t4"),
    ]
    items = normalize_entries(raws, feed_id="f", feed_url="https://n.example/", language="en", fetched=NOW)
    assert len(items) == 4 and len({i.identity for i in items}) == 4, "long keys stay distinct"
    assert all(len(i.identity) <= tables.IDENTITY_MAX for i in items)
    assert items[0].url == long_url and items[3].url is None, "a link longer than any article URL is no link"
    assert all(len(i.guid or "") <= normalize.GUID_MAX for i in items)
    # topic and entity ids of the shipped lexicon fit match_topics.topic / match_entities.entity
    from bot.match import load_lexicon

    lexicon = load_lexicon()
    limits = {t.name: t.c for t in SQLModel.metadata.sorted_tables}
    assert max(map(len, lexicon.entries)) <= limits["match_entities"].entity.type.length
    assert max(map(len, lexicon.topics)) <= limits["match_topics"].topic.type.length
    # outbox keys: the longest feed id (config allows 64) and the longest topic/entity id
    assert len(f"disabled:{'f' * 64}:{FAR:%Y%m%d%H}") <= tables.DELIVERY_KEY_MAX
    assert len(f"trend:entity:{'e' * 64}:{FAR.date().isoformat()}") <= tables.DELIVERY_KEY_MAX


def _doc(body: bytes) -> Callable[[], Document]:
    return lambda: (200, {"Content-Type": "application/rss+xml"}, body)


def hostile_lengths_feed() -> bytes:
    arabic_link = "https://ar.example/" + "خبر" * 1000  # 3,000+ characters; its canonical form is 18,000+
    longest = "https://en.example/" + "a" * (tables.URL_MAX - 19)
    blob = "https://blob.example/" + "b" * 40_000
    entries = [
        ("arabic-link", arabic_link, "Arabic link", "x"),
        ("longest-link", longest, "Longest link", "x"),
        ("blob-link", blob, "Blob link", "x"),
        ("g" * 10_000, "https://en.example/long-guid", "Long GUID", "x"),
        ("huge-text", "https://en.example/huge", "Huge title " * 10_000, "body " * 200_000),
        ("plain", "https://en.example/plain", "Plain item", "plain body"),
    ]
    items = "".join(
        f"<item><guid isPermaLink='false'>{g}</guid><link>{link}</link><title>{t}</title>"
        f"<description>{d}</description></item>"
        for g, link, t, d in entries
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Long</title>{items}</channel></rss>"
    ).encode()


async def test_the_longest_links_and_texts_are_stored_on_both_databases(engine: Engine) -> None:
    with FeedServer({"/long.xml": _doc(hostile_lengths_feed())}) as server:
        config = parse_config(
            "settings: {allow_private_addresses: true, retries: 0, max_bytes: 20000000}\n"
            f"feeds:\n  - {{id: long, url: '{server.base_url}/long.xml', language: en}}\n"
        )
        with session(engine) as s:
            sync_feeds(s, [FeedSpec(f.id, f.url, f.language) for f in config.feeds])
        async with Fetcher(_settings(config)) as fetcher:
            pipeline = Pipeline(engine=engine, fetcher=fetcher, config=config)
            [first] = await pipeline.poll_once()
            with session(engine) as s:  # parse the document again rather than be told it did not change
                feed = get_feed(s, "long")
                assert feed is not None
                feed.etag = feed.last_modified = None
                s.add(feed)
                s.commit()
            [second] = await pipeline.poll_once()
    assert first.status == "new" and first.new == 6, first
    assert second.status == "unchanged" and second.new == 0, "the same identities on the next poll"
    with session(engine) as s:
        feed = get_feed(s, "long")
        assert feed is not None and feed.consecutive_failures == 0 and feed.last_error is None
        rows = {r.title[:12]: r for r in recent_items(s, feed_id="long", limit=10)}
    arabic = rows["Arabic link"]
    assert arabic.url is not None and arabic.url.endswith("خبر")
    assert arabic.canonical_url is not None and len(arabic.canonical_url) <= tables.URL_MAX
    assert rows["Longest link"].url is not None and len(rows["Longest link"].url) == tables.URL_MAX
    assert rows["Blob link"].url is None, "a 40,000-character link is not kept as a link"
    huge = rows["Huge title H"]
    assert len(huge.title) <= normalize.TITLE_MAX and huge.title.endswith("…")
    assert len(huge.summary) <= normalize.SUMMARY_MAX


def test_a_storage_error_names_the_failure_never_the_data(engine: Engine) -> None:
    """The error a too-long value raises on PostgreSQL (or any constraint on SQLite) is described without
    the statement's parameters: the title, the text and the link of the item stay out of it."""
    secret = "SECRET-ITEM-TEXT-4b1d"
    values = {
        "feed_id": "nope" if engine.dialect.name == "sqlite" else "f",
        "identity": "i",
        "title": secret,
        "summary": secret * 100,
        "content": "",
        "language": "x" * 9,
        "published": FAR,
        "fetched": FAR,
        "content_hash": "h",
    }
    with engine.begin() as c:
        c.execute(insert(tables.Feed.__table__), [{"id": "f", "url": "u", "configured_url": "u", "language": "en"}])  # type: ignore[attr-defined]
    with pytest.raises(DBAPIError) as caught, engine.begin() as c:
        c.execute(insert(tables.ItemRow.__table__), [values])  # type: ignore[attr-defined]
    assert secret in str(caught.value), "SQLAlchemy's own text quotes the parameters"
    described = describe_db_error(caught.value)
    assert secret not in described and "[parameters" not in described and "INSERT" not in described
    assert described.startswith(("IntegrityError", "StringDataRightTruncation", "ForeignKeyViolation"))


@pytest.mark.postgres
async def test_a_feed_that_fails_to_store_records_no_item_text(pg_engine: Engine) -> None:
    """Through the pipeline: a matcher whose topic id is longer than the column (a user lexicon could name
    one) makes PostgreSQL refuse the batch; the feed's stored reason says why, without the item's words."""
    marker = "MARKER-TITLE-77e2"
    body = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>F</title><item><guid>1</guid>"
        f"<link>https://n.example/1</link><title>{marker} chips</title></item></channel></rss>"
    ).encode()

    def classify(title: str, body: str, lang: str | None) -> SimpleNamespace:
        return SimpleNamespace(
            relevant=True,
            score=0.9,
            severity="high",
            topics=(marker + "t" * 80,),
            entities=(),
            reasons=(),
            evidence=5.0,
        )

    with FeedServer({"/f.xml": _doc(body)}) as server:
        config = parse_config(
            "settings: {allow_private_addresses: true, retries: 0}\n"
            f"feeds:\n  - {{id: f, url: '{server.base_url}/f.xml', language: en}}\n"
        )
        with session(pg_engine) as s:
            sync_feeds(s, [FeedSpec(f.id, f.url, f.language) for f in config.feeds])
        async with Fetcher(_settings(config)) as fetcher:
            [result] = await Pipeline(engine=pg_engine, fetcher=fetcher, config=config, classifier=classify).poll_once()
    assert result.status == "failed" and result.error_code == "storage"
    with session(pg_engine) as s:
        feed = get_feed(s, "f")
        assert feed is not None and feed.last_error is not None
    assert "value too long" in feed.last_error and marker not in feed.last_error, feed.last_error
    assert "parameters" not in feed.last_error and "INSERT" not in feed.last_error
    with pg_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM items")).scalar() == 0, "the failed batch left nothing half-stored"


def _settings(config):  # type: ignore[no-untyped-def]
    from bot.app import fetch_settings
    from bot.config import Env

    return fetch_settings(config, Env())


def test_migration_0006_keeps_every_row_and_indexes_by_hash(empty_engine: Engine) -> None:
    from storage.db import upgrade

    upgrade(empty_engine, "0005")
    with empty_engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO feeds (id, url, configured_url, language, authority, enabled, created_at, "
                "consecutive_failures, polls) VALUES ('f', 'u', 'u', 'en', false, true, :t, 0, 0)"
            ),
            {"t": NOW},
        )
        c.execute(
            text(
                "INSERT INTO items (feed_id, identity, canonical_url, title, summary, content, language, "
                "published, fetched, content_hash) VALUES ('f', 'i', 'https://c.example/x', 't', 's', '', "
                "'en', :t, :t, 'h')"
            ),
            {"t": NOW},
        )
        c.execute(
            text(
                "INSERT INTO matches (item_id, relevant, score, topics, entities, reasons, matched_at) "
                "SELECT id, true, 1.0, '', '[]', '[]', :t FROM items"
            ),
            {"t": NOW},
        )
    upgrade(empty_engine)
    long_url = "https://c.example/" + "y" * (tables.URL_MAX - 18)
    with empty_engine.begin() as c:
        assert c.execute(text("SELECT count(*) FROM matches")).scalar() == 1, "no cascade, no copy lost"
        c.execute(text("UPDATE items SET canonical_url = :u"), {"u": long_url})
        found = c.execute(text("SELECT identity FROM items WHERE canonical_url = :u"), {"u": long_url}).scalar()
        assert found == "i"
        if empty_engine.dialect.name == "postgresql":
            ddl = c.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_items_canonical_url'")).scalar()
            assert ddl is not None and "USING hash" in ddl


def test_a_failure_reason_quoting_hostile_input_is_storable(engine: Engine) -> None:
    """PostgreSQL refuses NUL and lone surrogates in text; a reason that quotes a feed's bytes still lands."""
    with session(engine) as s:
        sync_feeds(s, [FeedSpec("f", "https://f.example/rss", "en")])
        feed = get_feed(s, "f")
        assert feed is not None
        reason = "parse_error: ValueError (bad \ud83d\x00 value)" + "x" * 5000
        record_failure(s, feed, now=NOW, code="parse_error", message=reason, retry_in=60)
    with session(engine) as s:
        stored = get_feed(s, "f")
        assert stored is not None and stored.last_error is not None
    assert stored.last_error.startswith("parse_error: ValueError (bad \\ud83d\\x00 value)")
    assert len(stored.last_error) == 2000 and stored.consecutive_failures == 1
