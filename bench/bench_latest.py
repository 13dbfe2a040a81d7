"""``/latest TOPIC`` over a synthetic store: items with their matches, topic rows and stories, on SQLite and
PostgreSQL, with the indexes and then without them (dropped after the first measurement).

The query is the command core's: ``storage.queries.latest_stories(topic=..., limit=10)``. The store is
made with bulk inserts (executemany on SQLite, COPY on PostgreSQL): ``--items`` items over a year, about
1.3 items per story, one to three topics per item from twelve, skewed so that the common topics are common.

    .venv/bin/python -m bench.bench_latest [--items 1000000] [--queries 200] [--pg URL] [--skip-sqlite]

Prints a markdown table: median and p95 in milliseconds per backend, with and without the indexes.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bench.summary import emit, target
from storage.db import make_engine, session, upgrade
from storage.queries import latest_stories
from storage.tables import ItemRow, Match, MatchTopic, Story, StoryItem

TOPICS = (
    "ai-chips", "export-controls", "nvidia", "hbm", "lithography", "entity-list",
    "rare-earths", "smuggling", "foundry", "china-response", "gulf", "huawei",
)  # fmt: skip
WEIGHTS = [1 / (i + 1) for i in range(len(TOPICS))]  # Zipf-like: the first topics are the busy ones
INDEXES = ("ix_match_topics_topic_published", "ix_story_items_story_id", "ix_stories_first_published")
CHUNK = 20_000
START = datetime(2025, 1, 1, tzinfo=UTC)


def rows(n_items: int, seed: int = 7) -> Iterator[tuple[list[dict], list[dict], list[dict], list[dict], list[dict]]]:
    """Chunks of (stories, items, matches, match_topics, story_items), ids assigned here."""
    rng = random.Random(seed)
    story_id = 0
    item_id = 0
    open_story: tuple[int, datetime] | None = None
    while item_id < n_items:
        stories, items, matches, topics, members = [], [], [], [], []
        for _ in range(min(CHUNK, n_items - item_id)):
            item_id += 1
            published = START + timedelta(seconds=item_id * 31_536_000 / n_items)
            if open_story is None or rng.random() < 0.77:  # ~1.3 items per story
                story_id += 1
                open_story = (story_id, published)
                picked = set(rng.choices(TOPICS, WEIGHTS, k=rng.randint(1, 3)))
                stories.append(
                    {
                        "id": story_id, "created_at": published, "updated_at": published,
                        "first_published": published, "last_published": published, "lead_item_id": item_id,
                        "member_count": 1, "source_count": 1, "languages": "en", "severity": "normal",
                        "score": 0.7, "topics": " ".join(sorted(picked)),
                    }
                )  # fmt: skip
            sid = open_story[0]
            items.append(
                {
                    "id": item_id, "feed_id": f"f{item_id % 50}", "identity": f"i{item_id}",
                    "url": f"https://n.example/{item_id}", "title": f"Synthetic headline {item_id}",
                    "summary": "", "content": "", "language": "en", "published": published,
                    "fetched": published, "content_hash": f"{item_id:x}",
                }
            )  # fmt: skip
            picked = set(rng.choices(TOPICS, WEIGHTS, k=rng.randint(1, 3)))
            matches.append(
                {
                    "item_id": item_id, "relevant": True, "score": 0.7, "severity": "normal",
                    "topics": " ".join(sorted(picked)), "entities": "[]", "reasons": "[]", "matched_at": published,
                }
            )  # fmt: skip
            topics += [{"item_id": item_id, "topic": t, "published": published} for t in sorted(picked)]
            members.append({"item_id": item_id, "story_id": sid, "joined_at": published, "reason": ""})
        yield stories, items, matches, topics, members


def _feeds(engine: Engine) -> None:
    with engine.begin() as c:
        for i in range(50):
            c.execute(
                text("INSERT INTO feeds (id, url, configured_url, language, authority, enabled, created_at, "
                     "consecutive_failures, polls) VALUES (:id, :u, :u, 'en', false, true, :t, 0, 1)"),
                {"id": f"f{i}", "u": f"https://f{i}.example/rss", "t": START},
            )  # fmt: skip


def fill_sqlite(engine: Engine, n_items: int) -> float:
    started = time.perf_counter()
    _feeds(engine)
    tables = (Story.__table__, ItemRow.__table__, Match.__table__, MatchTopic.__table__, StoryItem.__table__)
    with engine.begin() as c:
        c.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for chunk in rows(n_items):
            for table, batch in zip(tables, chunk, strict=True):
                if batch:
                    c.execute(table.insert(), batch)  # type: ignore[attr-defined]
    with engine.begin() as c:
        c.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def _copy_value(v: object) -> str:
    if v is None:
        return "\\N"
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, bool):
        return "t" if v else "f"
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def fill_postgres(engine: Engine, n_items: int) -> float:
    started = time.perf_counter()
    _feeds(engine)
    names = ("stories", "items", "matches", "match_topics", "story_items")
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SET session_replication_role = replica")  # no FK triggers during the load
        for chunk in rows(n_items):
            for name, batch in zip(names, chunk, strict=True):
                if not batch:
                    continue
                cols = list(batch[0])
                buf = io.StringIO()
                for r in batch:
                    buf.write("\t".join(_copy_value(r[c]) for c in cols) + "\n")
                with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    copy.write(buf.getvalue())
        cur.execute("SET session_replication_role = origin")
        cur.execute("SELECT setval(pg_get_serial_sequence('stories', 'id'), (SELECT max(id) FROM stories))")
        cur.execute("SELECT setval(pg_get_serial_sequence('items', 'id'), (SELECT max(id) FROM items))")
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def measure(engine: Engine, queries: int, seed: int = 11) -> tuple[float, float]:
    rng = random.Random(seed)
    times = []
    with session(engine) as s:
        for i in range(queries + 5):
            topic = rng.choices(TOPICS, WEIGHTS)[0]
            t = time.perf_counter()
            found = latest_stories(s, topic=topic, limit=10)
            elapsed = (time.perf_counter() - t) * 1000
            assert found, topic
            if i >= 5:  # warm-up
                times.append(elapsed)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def drop_indexes(engine: Engine) -> None:
    with engine.begin() as c:
        for name in INDEXES:
            c.execute(text(f"DROP INDEX IF EXISTS {name}"))


def run_backend(name: str, engine: Engine, fill, n_items: int, queries: int, targets: list | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    upgrade(engine)
    seconds = fill(engine, n_items)
    print(f"{name}: {n_items:,} items generated in {seconds:.0f}s", flush=True)
    med, p95 = measure(engine, queries)
    drop_indexes(engine)
    with engine.begin() as c:
        c.exec_driver_sql("ANALYZE")
    med0, p950 = measure(engine, max(10, queries // 10))
    if targets is not None:
        targets.append(target(f"/latest TOPIC p95, {name}, {n_items:,} items", p95, "<=", 50, "ms"))
    return [
        f"| {name} | {n_items:,} | with indexes | {med:.1f} | {p95:.1f} |",
        f"| {name} | {n_items:,} | without ({', '.join(INDEXES)}) | {med0:.1f} | {p950:.1f} |",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--pg", help="PostgreSQL URL (a scratch schema is made and dropped)")
    ap.add_argument("--pg-items", type=int, help="items on PostgreSQL (default: --items)")
    ap.add_argument("--skip-sqlite", action="store_true")
    args = ap.parse_args()
    lines = ["| backend | items | indexes | median ms | p95 ms |", "|---|---:|---|---:|---:|"]
    targets: list = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'latest.db'}")
            lines += run_backend("SQLite", engine, fill_sqlite, args.items, args.queries, targets)
            engine.dispose()
    if args.pg:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.pg)
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            engine = make_engine(args.pg, schema=schema)
            lines += run_backend(
                "PostgreSQL", engine, fill_postgres, args.pg_items or args.items, args.queries, targets
            )
            engine.dispose()
        finally:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    print("\n".join(lines))
    emit("latest", targets)


if __name__ == "__main__":
    main()
