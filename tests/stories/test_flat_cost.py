"""Issue 14: assigning one more report to a story costs the same whatever the story's size.

Pinned by counting what assignment compares (``StoryIndex.counts``: rows the LSH verified, hits and
members handed to ``decide``, fingerprint pairs scored), never by timing. A story of N near-copies (two
templates, Arabic and English, outlet and place varied) is written to a real SQLite file, a fresh
``StoryIndex`` loads it (the start-up path), and new rewrites are assigned through ``Assigner`` (the
incremental path). The same measure on ``UNBOUNDED`` (the code before the limits) shows that it grows.
"""

from __future__ import annotations

import itertools
import tracemalloc
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.stories.assign import Assigner
from bot.stories.fingerprint import fingerprint
from bot.stories.index import UNBOUNDED, AssignLimits, StoryIndex
from bot.stories.neardup import _MERGE_MIN, GROUP_CAP, NearDupIndex
from bot.stories.signatures import BANDS, Signature, signature
from storage.db import make_engine, session, upgrade
from storage.tables import Feed, ItemRow, ItemSignature, Story, StoryItem
from tests.fakes.store import features_of

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
ENTITIES = ("china", "entity-list", "nvidia", "united-states")
EN = (
    "{o} reports: The Commerce Department on Thursday added Chinese companies to the Entity List, citing "
    "the diversion of advanced accelerators through trading houses in {p}. The rule takes effect at once and "
    "requires a licence for every export of chips and chipmaking tools to the listed firms, officials said in "
    "a statement carried by {o}. Analysts in {p} said the move widens the controls on Nvidia accelerators."
)
AR = (
    "أفادت {o} بأن وزارة التجارة الأمريكية أضافت يوم الخميس شركات صينية إلى قائمة الكيانات بسبب تحويل "
    "مسرعات متقدمة عبر شركات تجارية في {p}. وتسري القاعدة فورا وتشترط ترخيصا لكل صادرات الرقائق وأدوات "
    "تصنيعها إلى الشركات المدرجة بحسب بيان رسمي نقلته {o}. وقال محللون في {p} إن الخطوة توسع القيود على "
    "مسرعات إنفيديا."
)
TITLE = {"en": "US adds Chinese firms to Entity List", "ar": "واشنطن تضيف شركات صينية إلى قائمة الكيانات"}
PLACES = ["Singapore", "Malaysia", "Dubai", "Hong Kong", "Taiwan", "Vietnam", "Thailand", "Istanbul"]


@dataclass(frozen=True)
class Hit:
    id: str


@dataclass(frozen=True)
class Verdict:
    entities: tuple[Hit, ...] = tuple(Hit(e) for e in ENTITIES)
    score: float = 0.7
    severity: str | None = "high"
    topics: tuple[str, ...] = ("entity-list",)


def variant(v: int) -> tuple[str, str, str]:
    """(language, title, body): one event told by outlet ``v`` (letters only: a number would be a fact)."""
    name, n = "", v + 26 * 26
    while n:
        n, d = divmod(n, 26)
        name += chr(97 + d)
    lang = "ar" if v % 2 else "en"
    body = (AR if lang == "ar" else EN).format(o=name.capitalize() + "wire", p=PLACES[v % len(PLACES)])
    return lang, TITLE[lang], body


@cache
def stored(v: int) -> tuple[str, str, bytes, str]:
    lang, title, body = variant(v)
    return lang, title, signature(body).to_bytes(), " ".join(sorted(fingerprint(title, body).tokens))


def measure(
    tmp: Path, size: int, limits: AssignLimits, n_new: int = 8, engine: Engine | None = None
) -> tuple[Counter[str], list[int]]:
    """Counts per new rewrite assigned to a stored story of ``size`` members, and the stories they joined
    (on a new SQLite file in ``tmp``, or on ``engine``)."""
    own = engine is None
    if engine is None:
        engine = make_engine(f"sqlite:///{tmp / f'{size}-{limits.twins}.db'}")
        upgrade(engine)
    first = NOW - timedelta(hours=30)
    with session(engine) as s:
        s.add(Feed(id="f", url="https://f.example/rss", configured_url="x", language="en"))
        s.flush()
        items, sigs, links = [], [], []
        for i in range(1, size + 1):
            lang, title, blob, fp = stored(i % 60)  # 60 distinct texts: a flood repeats the wire's wording
            t = first + timedelta(seconds=30 * 3600 * (i - 1) / size)
            items.append(
                {"id": i, "feed_id": "f", "identity": f"i{i}", "url": None, "canonical_url": f"https://s.example/{i}",
                 "title": title, "summary": "", "content": "", "language": lang, "published": t, "fetched": t,
                 "content_hash": f"h{i}"}
            )  # fmt: skip
            sigs.append(
                {"item_id": i, "published": t, "signature": blob, "fingerprint": fp, "entities": " ".join(ENTITIES),
                 "informative": True, "authority": False}
            )  # fmt: skip
            links.append({"item_id": i, "story_id": 1, "joined_at": t, "reason": "test"})
        story = {"id": 1, "created_at": first, "updated_at": NOW, "first_published": first, "last_published": NOW,
                 "lead_item_id": 1, "member_count": size, "source_count": 1, "languages": "ar en", "score": 0.7,
                 "topics": "entity-list"}  # fmt: skip
        for table, rows in ((ItemRow, items), (Story, [story]), (StoryItem, links), (ItemSignature, sigs)):
            s.execute(insert(table), rows)
        s.commit()
    index = StoryIndex(limits)
    joined: list[int] = []
    with index.lock, session(engine) as s:
        index.sync(s, NOW)
        before = Counter(index.counts)
        assigner = Assigner(s, index, NOW)
        for q in range(n_new):
            # outlets not stored: rewrites, never identical bodies
            row = _stored_variant(s, size + 1 + q, 1000 + q, f"n{q}", NOW)
            joined.append(assigner.assign(row, Verdict(), authority=False, **features_of(row)).story_id)
        assigner.flush()
        s.commit()
    if own:
        engine.dispose()
    return index.counts - before, joined


COUNTED = ("lsh_rows", "near_hits", "members", "pairs")


def test_comparisons_per_item_do_not_grow_with_the_story(tmp_path: Path) -> None:
    small, joined_small = measure(tmp_path, 10, AssignLimits())
    mid, joined_mid = measure(tmp_path, 100, AssignLimits())
    big, joined_big = measure(tmp_path, 1000, AssignLimits())
    assert joined_small == joined_mid == joined_big == [1] * 8  # every rewrite joins the one story
    for key in COUNTED:
        assert big[key] > 0, key
        # ten times the members: the same work per item (at 100 members the caps are reached)
        assert big[key] <= 1.25 * mid[key], (key, mid[key], big[key])
        # a hundred times the members: at most a few times the work — a story of 10 has not filled its
        # buckets (8 rows of a story each) nor its representatives (lead + 59 recent) yet; without the limits
        # the LSH rows grow 36-fold here (bench/README.md)
        assert big[key] <= 6 * small[key], (key, small[key], big[key])
    n = 8
    assert big["lsh_rows"] / n <= BANDS * GROUP_CAP  # one story's rows per bucket are capped
    assert big["near_hits"] / n <= GROUP_CAP  # hits per story are capped
    # representatives (lead + 59 recent + the earliest of each of the 2 languages) + the members the lookup met
    assert big["members"] / n <= 2 * 30 + 2 + GROUP_CAP


def test_without_the_limits_the_same_measure_grows_with_the_story(tmp_path: Path) -> None:
    """The counts above can fail: the unbounded path verifies and hands on every near-copy in the story."""
    mid, _ = measure(tmp_path, 100, UNBOUNDED)
    big, joined = measure(tmp_path, 1000, UNBOUNDED)
    assert joined == [1] * 8
    assert big["lsh_rows"] > 5 * mid["lsh_rows"]
    assert big["near_hits"] > 5 * mid["near_hits"]


def test_an_identical_body_joins_its_twin_without_scoring(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'twin.db'}")
    upgrade(engine)
    index = StoryIndex()
    with session(engine) as s:
        s.add(Feed(id="f", url="https://f.example/rss", configured_url="x", language="en"))
        s.flush()
        assigner = Assigner(s, index, NOW)
        out = []
        lang, title, body = variant(2)  # English: the title edit below names a model code
        assert "Chinese firms" in title
        for n, t in enumerate((title, title, title.replace("Chinese firms", "H20 buyers"))):
            row = ItemRow(
                id=n + 1, feed_id="f", identity=f"i{n}", url=None, canonical_url=f"https://t.example/{n}",
                title=t, summary=body, content="", language=lang, published=NOW, fetched=NOW, content_hash=f"h{n}",
            )  # fmt: skip
            s.execute(insert(ItemRow), [row.model_dump()])
            before = index.counts["pairs"] + index.counts["near_checks"]
            a = assigner.assign(row, Verdict(), authority=False, **features_of(row))
            out.append((a.story_id, a.reason, index.counts["pairs"] + index.counts["near_checks"] - before))
        assigner.flush()
        s.commit()
    engine.dispose()
    (s1, _, _), (s2, why2, work2), (_, why3, work3) = out
    assert s2 == s1 and why2.startswith("identical text signature") and work2 == 0
    # same body, but the title names a model code: features differ, so ``decide`` judges it (and joins or not)
    assert not why3.startswith("identical") and work3 > 0
    assert index.counts["twins"] == 1


def test_rebuilt_index_bands_the_rows_incremental_adds_band() -> None:
    """Start-up (``from_signatures``) and live adds keep the same rows of a group in each bucket."""
    rng = np.random.default_rng(5)
    base = rng.integers(0, 2**32 - 1, size=128, dtype=np.uint32)
    sigs = []
    for _ in range(60):
        s = base.copy()
        mask = rng.random(128) < 0.1  # near-copies: most bands shared by all of them
        s[mask] = rng.integers(0, 2**32 - 1, size=int(mask.sum()), dtype=np.uint32)
        sigs.append(Signature(s, 80))
    live = NearDupIndex()
    for i, sig in enumerate(sigs):
        live.add_signature(i, sig, group=i % 2)
    rebuilt = NearDupIndex.from_signatures((i, sig.to_bytes(), i % 2) for i, sig in enumerate(sigs))
    probed = NearDupIndex()  # looked up before each add, as ``Assigner`` does: the add reuses the lookup's buckets
    for i, sig in enumerate(sigs):
        probed.query_signature(sig)
        probed.add_signature(i, sig, group=i % 2)
    for b in range(BANDS):
        assert sorted(map(sorted, live._delta[b].values())) == sorted(map(sorted, probed._delta[b].values()))
    for sig in sigs[:10]:
        assert live.query_signature(sig) == rebuilt.query_signature(sig) == probed.query_signature(sig)
        hits = live.query_signature(sig, per_group=3)
        assert Counter(h.key % 2 for h in hits).most_common(1)[0][1] <= 3  # type: ignore[operator]
    # 60 near-copies in 2 groups: a lookup meets at most GROUP_CAP rows of each group per bucket
    before = live.rows_verified
    live.query_signature(sigs[0])
    assert live.rows_verified - before <= 2 * GROUP_CAP * BANDS
    assert live.twin(sigs[7]) == 7 and live.twin(Signature(base, 80)) is None
    assert rebuilt.twin(sigs[7]) == 7 and rebuilt.twin(Signature(base, 80)) is None
    live._merge()  # recent adds move to the sorted arrays (done every 2,000 adds, or an eighth of the rows)
    live.add_signature("late", sigs[7], group=1)
    assert live.twin(sigs[7]) == "late" and live.twin(sigs[8]) == 8  # the latest twin first
    live.remove("late")
    assert live.twin(sigs[7]) == 7


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_story_read_from_the_database_brings_its_representatives_only(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The database path (late backlog, near-duplicates older than the cache) reads what the cache holds
    (a window function: both backends)."""
    from bot.stories.backlog import load_candidates as _load_candidates
    from bot.stories.cached import representatives as _recent

    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'db.db'}")
        upgrade(engine)
    else:
        engine, _url = request.getfixturevalue("pg_schema")
    measure(tmp_path, 300, AssignLimits(), n_new=1, engine=engine)  # the one new item joins (301 members)
    index = StoryIndex()
    with session(engine) as s:
        index.sync(s, NOW)
        (loaded,) = _load_candidates(s, {1}, 30)
    if backend == "sqlite":
        engine.dispose()
    cached = index.stories[1]
    assert len(cached.members) == 301
    keys = [m.key for m in loaded.members]
    assert keys == [m.key for m in _recent(cached.members, 30)] == [m.key for m in cached.recent(30)]
    assert len(keys) == 61  # lead (item 1, Arabic) + 59 newest + the earliest English member (item 2)
    assert keys[-1] == 2 and 1 in keys
    assert all(isinstance(m.published, datetime) for m in loaded.members)


class _CountingAfresh(NearDupIndex):
    """The index as it was before ``bot.stories.buckets``: every capped add counts its buckets again."""

    def _held_all(self, bands: np.ndarray, group: int | np.integer, probe: object) -> np.ndarray:
        return np.asarray([self._held(b, int(bands[b]), group) for b in range(BANDS)])


def test_remembered_bucket_counts_band_exactly_what_counting_afresh_bands() -> None:
    """Wire copies (identical signatures), near-copies, several stories, merges and removals in between: the
    remembered counts put every row in the same buckets as counting each time would."""
    rng = np.random.default_rng(14)
    bases = [rng.integers(0, 2**32 - 1, size=128, dtype=np.uint32) for _ in range(3)]
    remembered, afresh = NearDupIndex(), _CountingAfresh()
    keys: list[int] = []
    for i in range(600):
        story = int(rng.integers(0, 3))
        sig = bases[story].copy()
        if rng.random() < 0.3:  # a rewritten copy: some bands differ
            mask = rng.random(128) < 0.1
            sig[mask] = rng.integers(0, 2**32 - 1, size=int(mask.sum()), dtype=np.uint32)
        for index in (remembered, afresh):
            index.add_signature(i, Signature(sig, 80), group=story)
        keys.append(i)
        if rng.random() < 0.03:  # a member leaves (pruned, or moved to another story)
            gone = keys.pop(int(rng.integers(0, len(keys))))
            remembered.remove(gone)
            afresh.remove(gone)
        if i == 300:
            remembered._merge()
            afresh._merge()
    for b in range(BANDS):
        assert remembered._delta[b] == afresh._delta[b]
        assert (remembered._main_keys[b] == afresh._main_keys[b]).all()
        assert (remembered._main_rows[b] == afresh._main_rows[b]).all()
    assert sum(len(v) for d in remembered._delta for v in d.values()) < 600 * BANDS / 4, "the caps did act"


def _stored_variant(s: Session, item_id: int, n: int, key: str, now: datetime) -> ItemRow:
    """Rewrite ``n`` of the event (``variant``) stored as item ``item_id`` of feed f, published ``now``;
    ``key`` makes its identity, canonical URL and content hash its own."""
    lang, title, body = variant(n)
    row = ItemRow(
        id=item_id, feed_id="f", identity=key, url=None, canonical_url=f"https://{key}.example/", title=title,
        summary=body, content="", language=lang, published=now, fetched=now, content_hash=key,
    )  # fmt: skip
    s.execute(insert(ItemRow), [row.model_dump()])
    return row


def _new_store(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with session(engine) as s:
        s.add(Feed(id="f", url="https://f.example/rss", configured_url="x", language="en"))
        s.commit()
    return engine


def _assign_batch(engine: Engine, index: StoryIndex, ids: range, now: datetime) -> None:
    """Items ``ids`` (rewrites of one event, published ``now``) stored and assigned in one transaction."""
    with index.lock, session(engine) as s:
        assigner = Assigner(s, index, now)
        for n in ids:
            row = _stored_variant(s, n, n, f"i{n}", now)
            assigner.assign(row, Verdict(), authority=False, **features_of(row))
        assigner.flush()
        s.commit()


def test_a_process_writing_alone_syncs_only_what_is_new(tmp_path: Path) -> None:
    """The index's sync reads the ids written since the last sync, not every id since the process started:
    its cursor advances over this process's own writes too (on SQLite without a slack: ids commit in order)."""
    engine = _new_store(tmp_path / "alone.db")
    index = StoryIndex()
    read: list[int] = []
    for batch in range(5):
        before = index.counts["sync_ids"]
        _assign_batch(engine, index, range(batch * 20 + 1, batch * 20 + 21), NOW)
        read.append(index.counts["sync_ids"] - before)
    engine.dispose()
    assert index.last_id == 80  # the fifth sync read up to the fourth batch's last item
    # each sync: the previous transaction's 20 items, however many came before (the cursor standing still
    # read 20, 40, 60, 80 ids here, and two weeks of a busy store in service)
    assert read == [0, 20, 20, 20, 20], read


def test_the_near_duplicate_index_lets_rows_older_than_its_horizon_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service that runs for months holds the near-duplicates of the last INDEX_HORIZON, not of everything
    it ever stored: rows age out as the clock moves, and once many have, a reload shrinks the index's arrays."""
    from bot.stories.index import INDEX_HORIZON

    monkeypatch.setattr("bot.stories.index._COMPACT_MIN", 40)
    engine = _new_store(tmp_path / "months.db")
    index = StoryIndex()
    per_day, days = 10, 40
    held: list[tuple[int, int]] = []  # (live rows, rows in the arrays) after each day
    for day in range(days):
        _assign_batch(engine, index, range(day * per_day + 1, (day + 1) * per_day + 1), NOW + timedelta(days=day))
        held.append((len(index.index), len(index.index._keys)))
    engine.dispose()
    horizon_days = INDEX_HORIZON.days
    live, rows = held[-1]
    # the last sync (day 39) evicted what was older than day 25; days 25-39 are held: 15 days of 10
    assert live == (horizon_days + 1) * per_day, held
    assert max(lv for lv, _ in held) <= (horizon_days + 1) * per_day, held
    # rows in the arrays (tombstones included) stay bounded: a reload compacts them once the expired ones are
    # as many as the live ones (and at least _COMPACT_MIN)
    assert max(r for _, r in held) <= 2 * (horizon_days + 1) * per_day + per_day, held
    assert rows < days * per_day and any(b < a for (_, a), (_, b) in itertools.pairwise(held)), held


def test_a_small_index_keeps_its_rows_compact() -> None:
    """Recent adds wait in per-band dicts (~4.6 KB a row) until they move to the sorted arrays (~0.75 KB a row).
    A deployment adding a few hundred relevant items a day must not keep weeks of them in the dicts: at a
    20,000-row threshold the shipped feeds' rate held ~50 days there (~90 MB, issue 14's simulated month)."""
    rows = 6_000
    texts = [
        f"Report {i} on export controls for chips: shipment {i * 7} of accelerators, batch {i % 97}, lot {i % 13}, "
        f"reviewed by officials in session {i % 31} with figures for quarter {i % 4}"
        for i in range(rows)
    ]
    sigs = [signature(t) for t in texts]
    assert all(s.informative for s in sigs)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        index = NearDupIndex()
        for i, sig in enumerate(sigs):
            index.add_signature(i, sig, group=i // 3)
        per_row = (tracemalloc.get_traced_memory()[0] - before) / rows
    finally:
        tracemalloc.stop()
    # at most _MERGE_MIN rows in the dicts, the rest merged: ~2.5 KB a row here, ~5 KB with all 6,000 in the dicts
    assert len(index._delta_rows) <= _MERGE_MIN
    assert per_row < 3_000, f"{per_row:.0f} bytes a row"
    # and the arrays answer as the dicts did: each text finds itself
    assert all(index.query_signature(sigs[i])[0].key == i for i in range(0, rows, 500))
