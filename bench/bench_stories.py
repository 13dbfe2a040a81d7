"""Benchmark: per-item near-duplicate lookup + clustering cost as the store grows.

Run: ``.venv/bin/python -m bench.bench_stories [--sizes 10000,100000,1000000] [--story-sizes 10,100,1000,10000]``
(both parts in one run, one summary line of targets for ``make bench``);
``--assign 1000,10000``: ``assign_story`` against a SQLite file with that many stored stories;
``--story-sizes 10,100,1000,10000``: one more near-copy assigned to a story of that many members (two
templates, Arabic and English, outlet and place varied), with ``AssignLimits()`` and with ``UNBOUNDED`` (the
limits off) in the same run, CPU time and counted comparisons per item; ``--before-tree DIR`` adds the code of
``DIR`` (``git archive 5253da9 bot storage | tar -x -C DIR``: the commit before issue 14) in a child process.

Stored items are synthetic MinHash signatures (random 32-bit values: unrelated texts), serialized
exactly as storage keeps them; each measured new item is either an edited copy of a stored item
(30% of its hash values replaced, like a syndicated edit) or a fresh text. Per item we time
``query_signature`` + ``decide`` (against 50 open stories of 3 members, what the time window holds
at a busy rate) + ``add_signature``.

Baselines, side by side: (a) naive — a Python loop estimating Jaccard against every stored
signature (what a simple implementation with ``MinHash.jaccard`` does), measured on a sample and
extrapolated linearly to the full store; (b) brute force vectorized with numpy over the whole
signature matrix — the best a non-indexed scan can do.
"""

from __future__ import annotations

import argparse
import gc
import resource
import struct
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from bench.summary import emit, target
from bot.stories.cluster import StoryCandidate, decide
from bot.stories.features import ItemFeatures
from bot.stories.fingerprint import fingerprint
from bot.stories.neardup import NearDupIndex
from bot.stories.signatures import NUM_PERM, SIGNATURE_VERSION, Signature

_HEADER = struct.Struct("<BHI")
N_QUERIES = 300
NAIVE_SAMPLE = 20_000


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _blobs(sigs: np.ndarray) -> list[tuple[int, bytes]]:
    head = _HEADER.pack(SIGNATURE_VERSION, NUM_PERM, 120)
    return [(i, head + row.tobytes()) for i, row in enumerate(sigs.astype("<u4"))]


def _stories(now: datetime) -> list[StoryCandidate]:
    titles = [
        "Nvidia H20 licence required, $5.5 billion charge",
        "China bans gallium and germanium exports on Tuesday",
        "US adds 140 companies to Entity List",
        "Malaysia requires permits for AI chips",
    ]
    out = []
    for s in range(50):
        members = tuple(
            ItemFeatures(
                key=f"s{s}m{m}",
                published=now - timedelta(hours=(s % 60) + m),
                lang="en" if m % 2 else "ar",
                entities=frozenset({"china", "us", f"ent{s}", f"ent{s + 1}"}),
                fingerprint=fingerprint(titles[s % len(titles)] + f" {s}0 units"),
            )
            for m in range(3)
        )
        out.append(StoryCandidate(f"s{s}", members))
    return out


def run(sizes: list[int]) -> list[dict[str, float]]:
    rng = np.random.default_rng(42)
    now = datetime(2025, 12, 8, tzinfo=UTC)
    stories = _stories(now)
    rows: list[dict[str, float]] = []
    for n in sizes:
        gc.collect()
        rss0 = _rss_mb()
        sigs = rng.integers(0, 2**32 - 1, size=(n, NUM_PERM), dtype=np.uint32)
        blobs = _blobs(sigs)
        t = time.perf_counter()
        idx = NearDupIndex.from_signatures(blobs)
        rebuild = time.perf_counter() - t
        del blobs
        gc.collect()
        rss1 = _rss_mb()

        queries: list[Signature] = []
        for q in range(N_QUERIES):
            if q % 2:  # an edited copy of a stored item
                base = sigs[rng.integers(0, n)].copy()
                mask = rng.random(NUM_PERM) < 0.3
                base[mask] = rng.integers(0, 2**32 - 1, size=int(mask.sum()), dtype=np.uint32)
                queries.append(Signature(base, 120))
            else:
                queries.append(Signature(rng.integers(0, 2**32 - 1, size=NUM_PERM, dtype=np.uint32), 120))
        item_fp = fingerprint("Nvidia H20 licence, $5.5 billion charge on Tuesday")
        found = 0
        t = time.perf_counter()
        for q, sig in enumerate(queries):
            hits = idx.query_signature(sig)
            found += bool(hits and hits[0].is_near_duplicate)
            feats = ItemFeatures(f"new{q}", now, "en", frozenset({"china", "ent3"}), item_fp)
            decide(feats, stories, hits)
            idx.add_signature(f"new{q}", sig)
        per_item_ms = (time.perf_counter() - t) / N_QUERIES * 1000

        # (a) naive Python loop on a sample, extrapolated
        sample = sigs[: min(n, NAIVE_SAMPLE)]
        q = queries[1].hashvalues
        t = time.perf_counter()
        for row in sample:
            float(np.count_nonzero(row == q)) / NUM_PERM
        naive_ms = (time.perf_counter() - t) / len(sample) * n * 1000
        # (b) vectorized brute force over the full matrix
        t = time.perf_counter()
        for sig in queries[:20]:
            (sigs == sig.hashvalues).mean(axis=1)
        brute_ms = (time.perf_counter() - t) / 20 * 1000
        rows.append(
            {
                "n": n,
                "per_item_ms": per_item_ms,
                "naive_ms": naive_ms,
                "brute_ms": brute_ms,
                "rebuild_s": rebuild,
                "index_mb": idx.memory_bytes() / 2**20,
                "rss_mb": rss1 - rss0,
                "recall_copies": found / (N_QUERIES // 2),
            }
        )
        print(
            f"n={n:>9,}  index+cluster {per_item_ms:7.3f} ms/item | naive loop {naive_ms:10.1f} ms/item"
            f" (sample {len(sample):,}) | numpy brute {brute_ms:8.2f} ms/item | rebuild {rebuild:6.2f} s"
            f" | index arrays {idx.memory_bytes() / 2**20:7.1f} MiB, RSS +{rss1 - rss0:7.1f} MiB"
            f" | edited copies found {found}/{N_QUERIES // 2}",
            flush=True,
        )
        del idx, sigs
        gc.collect()
    return rows


# --- storage-level assignment (``tests.fakes.store.assign_story``: one item's Assigner batch, SQLite file) -

_VOCAB = [f"entity-{i}" for i in range(300)]
_GENERIC = ["china", "united-states", "nvidia", "trump"]
_TITLES = [
    "US grants licences to resume {e} sales",
    "China bans exports of {e} technology",
    "Commerce adds {n} firms to Entity List including {e}",
    "{e} quarterly revenue beats estimates at ${n} billion",
    "واشنطن تضيف {n} شركة إلى قائمة الكيانات بينها {e}",
]


@dataclass(frozen=True)
class _Hit:
    id: str


@dataclass(frozen=True)
class _Verdict:
    entities: tuple[_Hit, ...]


def _entities(rng: np.random.Generator) -> list[str]:
    # Zipf-like: a few entities are in many stories, most in few (as in the field)
    k = int(rng.integers(1, 4))
    picks = {_VOCAB[min(int(rng.zipf(1.3)) - 1, len(_VOCAB) - 1)] for _ in range(k)}
    return sorted(picks | set(rng.choice(_GENERIC, size=2, replace=False).tolist()))


def _fill(engine: Any, n_stories: int, now: datetime, rng: np.random.Generator) -> None:
    """``n_stories`` stories of 1-3 members each, spread over the last 10 days, written in bulk."""
    from sqlalchemy import insert

    from storage.db import session
    from storage.tables import Feed, ItemRow, ItemSignature, MatchEntity, Story, StoryItem

    head = _HEADER.pack(SIGNATURE_VERSION, NUM_PERM, 120)
    with session(engine) as s:
        s.add(
            Feed(id="bench", url="https://bench.example/rss", configured_url="https://bench.example/rss", language="en")
        )
        s.flush()
        items, sigs, ents, stories, links = [], [], [], [], []
        item_id = 0
        for sid in range(1, n_stories + 1):
            t0 = now - timedelta(minutes=int(rng.integers(0, 10 * 24 * 60)))
            members = int(rng.integers(1, 4))
            ent = _entities(rng)
            stories.append(
                {"id": sid, "created_at": t0, "updated_at": t0, "first_published": t0, "last_published": t0,
                 "lead_item_id": None, "member_count": members, "source_count": 1, "languages": "en",
                 "score": 0.5, "topics": ""}
            )  # fmt: skip
            for m in range(members):
                item_id += 1
                t = t0 + timedelta(minutes=20 * m)
                title = _TITLES[int(rng.integers(0, len(_TITLES)))].format(e=ent[0], n=int(rng.integers(5, 200)))
                items.append(
                    {"id": item_id, "feed_id": "bench", "identity": f"i{item_id}", "url": f"https://b.example/{item_id}",
                     "canonical_url": f"https://b.example/{item_id}", "title": title, "summary": "", "content": "",
                     "language": "en", "published": t, "fetched": t, "content_hash": f"h{item_id}"}
                )  # fmt: skip
                blob = head + rng.integers(0, 2**32 - 1, size=NUM_PERM, dtype=np.uint32).astype("<u4").tobytes()
                sigs.append(
                    {"item_id": item_id, "published": t, "signature": blob,
                     "fingerprint": " ".join(fingerprint(title).tokens),
                     "entities": " ".join(ent), "informative": True, "authority": False}
                )  # fmt: skip
                ents += [{"item_id": item_id, "entity": e, "published": t} for e in ent]
                links.append({"item_id": item_id, "story_id": sid, "joined_at": t, "reason": "bench"})
        for table, values in (
            (ItemRow, items),
            (Story, stories),
            (StoryItem, links),
            (ItemSignature, sigs),
            (MatchEntity, ents),
        ):
            for start in range(0, len(values), 5000):
                s.execute(insert(table), values[start : start + 5000])
        s.commit()


def run_assign(story_counts: list[int], n_new: int = 300, batch: int = 100) -> list[dict[str, float]]:
    """ms per relevant item spent in ``assign_story`` with ``n`` stories stored (SQLite file)."""
    import tempfile

    from sqlalchemy import insert

    from bot.stories.assign import StoryIndex
    from storage.db import make_engine, session, upgrade
    from storage.tables import ItemRow, MatchEntity
    from tests.fakes.store import assign_story

    out = []
    for n in story_counts:
        rng = np.random.default_rng(7)
        now = datetime(2026, 11, 21, 12, tzinfo=UTC)
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{tmp}/bench.db")
            upgrade(engine)
            _fill(engine, n, now, rng)
            index = StoryIndex()
            t1 = time.perf_counter()
            with session(engine) as s:
                index.sync(s, now)  # start-up: the cache is loaded once per process, timed apart
            load_s = time.perf_counter() - t1
            spent, new_stories, next_id = 0.0, 0, 10_000_000
            for start in range(0, n_new, batch):
                with index.lock, session(engine) as s:
                    for q in range(start, min(start + batch, n_new)):
                        ent = _entities(rng)
                        title = _TITLES[q % len(_TITLES)].format(e=ent[0], n=int(rng.integers(5, 200)))
                        t = now - timedelta(minutes=int(rng.integers(0, 600)))
                        next_id += 1
                        row = ItemRow(
                            id=next_id, feed_id="bench", identity=f"n{q}", url=f"https://n.example/{q}",
                            canonical_url=f"https://n.example/{q}", title=title, summary=title * 3, content="",
                            language="en", published=t, fetched=t, content_hash=f"n{q}",
                        )  # fmt: skip
                        s.execute(insert(ItemRow), [row.model_dump()])
                        s.execute(insert(MatchEntity), [{"item_id": next_id, "entity": e, "published": t} for e in ent])
                        verdict = _Verdict(tuple(_Hit(e) for e in ent))
                        t1 = time.process_time()  # CPU time: the machine may be shared; SQLite runs in-process
                        a = assign_story(s, row, verdict, authority=False, index=index, now=now)
                        spent += time.process_time() - t1
                        new_stories += a.new_story
                    s.commit()
            engine.dispose()
        per = spent / n_new * 1000
        out.append({"stories": n, "per_item_ms": per, "new_share": new_stories / n_new, "load_s": load_s})
        print(
            f"stored stories {n:>7,}: assign_story {per:6.2f} ms per relevant item"
            f" ({new_stories}/{n_new} new stories); cache load at start {load_s:.2f} s"
        )
    return out


# --- one story of N near-copies (issue 14: a breaking story copied by every outlet) ----------------------

_FLOOD_EN = (
    "{o} reports: The Commerce Department on Thursday added Chinese companies to the Entity List, citing "
    "the diversion of advanced accelerators through trading houses in {p}. The rule takes effect at once and "
    "requires a licence for every export of chips and chipmaking tools to the listed firms, officials said in "
    "a statement carried by {o}. Analysts in {p} said the move widens the controls on Nvidia accelerators."
)
_FLOOD_AR = (
    "أفادت {o} بأن وزارة التجارة الأمريكية أضافت يوم الخميس شركات صينية إلى قائمة الكيانات بسبب تحويل "
    "مسرعات متقدمة عبر شركات تجارية في {p}. وتسري القاعدة فورا وتشترط ترخيصا لكل صادرات الرقائق وأدوات "
    "تصنيعها إلى الشركات المدرجة بحسب بيان رسمي نقلته {o}. وقال محللون في {p} إن الخطوة توسع القيود على "
    "مسرعات إنفيديا."
)
_FLOOD_TITLE = {"en": "US adds Chinese firms to Entity List", "ar": "واشنطن تضيف شركات صينية إلى قائمة الكيانات"}
_PLACES = ["Singapore", "Malaysia", "Dubai", "Hong Kong", "Taiwan", "Vietnam", "Thailand", "Istanbul"]
_FLOOD_ENTITIES = ("entity-list", "united-states", "china", "nvidia")


def _outlet(v: int) -> str:
    """A distinct outlet name per variant, letters only (a number would be a fact of the report)."""
    letters = ""
    v += 26 * 26
    while v:
        v, d = divmod(v, 26)
        letters += chr(97 + d)
    return letters.capitalize() + "wire"


def _flood_text(v: int) -> tuple[str, str, str]:
    """(language, title, body) of variant ``v``: one event, two templates, outlet and place varied."""
    lang = "ar" if v % 2 else "en"
    body = (_FLOOD_AR if lang == "ar" else _FLOOD_EN).format(o=_outlet(v), p=_PLACES[v % len(_PLACES)])
    return lang, _FLOOD_TITLE[lang], body


def _flood_fill(engine: Any, size: int, now: datetime, pool: list[tuple[str, str, bytes, str]]) -> None:
    """One story of ``size`` members spread over the last 30 hours, features cycled from ``pool``."""
    from sqlalchemy import insert

    from storage.db import session
    from storage.tables import Feed, ItemRow, ItemSignature, MatchEntity, Story, StoryItem

    with session(engine) as s:
        for f in range(500):
            s.add(Feed(id=f"f{f}", url=f"https://f{f}.example/rss", configured_url="x", language="en"))
        s.flush()
        first = now - timedelta(hours=30)
        story = [{"id": 1, "created_at": first, "updated_at": now, "first_published": first, "last_published": now,
              "lead_item_id": 1, "member_count": size, "source_count": min(size, 500), "languages": "ar en",
              "score": 0.7, "topics": "entity-list"}        ]  # fmt: skip
        items, sigs, ents, links = [], [], [], []
        for i in range(1, size + 1):
            lang, title, blob, fp = pool[i % len(pool)]
            t = first + timedelta(seconds=30 * 3600 * (i - 1) / max(size, 1))
            items.append(
                {"id": i, "feed_id": f"f{i % 500}", "identity": f"i{i}", "url": f"https://s.example/{i}",
                 "canonical_url": f"https://s.example/{i}", "title": title, "summary": "", "content": "",
                 "language": lang, "published": t, "fetched": t, "content_hash": f"h{i}"}
            )  # fmt: skip
            sigs.append(
                {"item_id": i, "published": t, "signature": blob, "fingerprint": fp,
                 "entities": " ".join(sorted(_FLOOD_ENTITIES)), "informative": True, "authority": False}
            )  # fmt: skip
            ents += [{"item_id": i, "entity": e, "published": t} for e in _FLOOD_ENTITIES]
            links.append({"item_id": i, "story_id": 1, "joined_at": t, "reason": "bench"})
        for table, values in (
            (ItemRow, items),
            (Story, story),
            (StoryItem, links),
            (ItemSignature, sigs),
            (MatchEntity, ents),
        ):
            for start in range(0, len(values), 5000):
                s.execute(insert(table), values[start : start + 5000])
        s.commit()


class _StoryRun:
    """Rewrites, then identical bodies, assigned one at a time to a stored story of ``size`` members.

    ``limits``: an ``AssignLimits`` — or ``None`` for ``StoryIndex()`` as it is, which also runs against an
    older tree (``--before-tree``) whose ``StoryIndex`` has no limits and counts nothing. A run stays open
    between items, so the story sizes can take turns item by item (``run_story_sizes``): the machine's speed,
    which moves within minutes, then weighs on every size alike."""

    def __init__(self, size: int, limits: Any, pool: list[tuple[str, str, bytes, str]], n_new: int) -> None:
        import tempfile
        from contextlib import ExitStack

        from bot.stories.assign import Assigner, StoryIndex
        from storage.db import make_engine, session, upgrade

        self.size, self.n_new, self.now = size, n_new, datetime(2026, 11, 21, 12, tzinfo=UTC)
        self._stack = ExitStack()
        tmp = self._stack.enter_context(tempfile.TemporaryDirectory())
        self.engine = make_engine(f"sqlite:///{tmp}/bench.db")
        self._stack.callback(self.engine.dispose)
        upgrade(self.engine)
        _flood_fill(self.engine, size, self.now, pool)
        self.index = StoryIndex() if limits is None else StoryIndex(limits)  # type: ignore[call-arg]
        with session(self.engine) as s:
            self.index.sync(s, self.now)
        self.counted: Any = getattr(self.index, "counts", None)
        self.before = dict(self.counted or {})
        self.counts: dict[str, int] = {}
        self.spent, self.copy_spent, self.joined = 0.0, 0.0, 0
        self.verdict = _Verdict(tuple(_Hit(e) for e in _FLOOD_ENTITIES))
        self._stack.enter_context(self.index.lock)
        self.s = self._stack.enter_context(session(self.engine))
        self.assigner = Assigner(self.s, self.index, self.now)
        # as ``bot.ingest`` does once per batch: exact copies (hash, URL) are then looked up in memory
        self.assigner.prefetch_copies(
            [f"{p}{q}" for p in "nt" for q in range(n_new)],
            [f"https://{p}.example/{q}" for p in "nt" for q in range(n_new)],
        )

    def _assign(self, q: int, prefix: str, item_id: int, feed_id: str, variant: int, entities: bool) -> Any:
        from sqlalchemy import insert

        from bot.stories.signatures import signature
        from storage.tables import ItemRow, MatchEntity

        lang, title, body = _flood_text(variant)
        row = ItemRow(
            id=item_id, feed_id=feed_id, identity=f"{prefix}{q}", url=f"https://{prefix}.example/{q}",
            canonical_url=f"https://{prefix}.example/{q}", title=title, summary=body, content="",
            language=lang, published=self.now, fetched=self.now, content_hash=f"{prefix}{q}",
        )  # fmt: skip
        self.s.execute(insert(ItemRow), [row.model_dump()])
        if entities:
            values = [{"item_id": item_id, "entity": e, "published": self.now} for e in _FLOOD_ENTITIES]
            self.s.execute(insert(MatchEntity), values)
        sig, fp = signature(body), fingerprint(title, body)  # the parse workers' share
        t1 = time.process_time()  # CPU: the machine may be shared; SQLite runs in-process
        a = self.assigner.assign(row, self.verdict, authority=False, sig=sig, fp=fp)
        return a, time.process_time() - t1

    def rewrite(self, q: int) -> None:
        """Rewrite ``q``: a new variant (not in the pool), a new outlet's wording, never an identical body."""
        a, spent = self._assign(q, "n", self.size + 1 + q, f"f{q % 500}", 10_000 + q, entities=True)
        self.spent += spent
        self.joined += a.story_id == 1
        if q == self.n_new - 1:  # the rewrites' comparisons
            self.counts = {k: v - self.before.get(k, 0) for k, v in (self.counted or {}).items()}

    def identical(self, q: int) -> None:
        """An outlet republishing a stored variant under a new URL."""
        variant = q % min(self.size, 599) + 1
        _, spent = self._assign(q, "t", self.size + 1 + self.n_new + q, "f0", variant, entities=False)
        self.copy_spent += spent

    def close(self) -> dict[str, Any]:
        self.assigner.flush()
        self.s.commit()
        self._stack.close()
        n_new = self.n_new
        return {
            "size": self.size,
            "per_item_ms": self.spent / n_new * 1000,
            "copy_ms": self.copy_spent / n_new * 1000,
            "joined": self.joined,
            "n_new": n_new,
            "counted": self.counted is not None,
            **{k: self.counts.get(k, 0) / n_new for k in ("lsh_rows", "near_hits", "members", "pairs")},
            "twins": (self.counted or {}).get("twins", 0),
        }


def _measure_story(size: int, limits: Any, pool: list[tuple[str, str, bytes, str]], n_new: int) -> dict[str, Any]:
    """One ``_StoryRun`` on its own: ``n_new`` rewrites, then ``n_new`` identical bodies."""
    run = _StoryRun(size, limits, pool, n_new)
    for q in range(n_new):
        run.rewrite(q)
    for q in range(n_new):
        run.identical(q)
    return run.close()


def _flood_pool() -> list[tuple[str, str, bytes, str]]:
    """Features of 600 stored variants, computed once (fingerprinting 10,000 texts would dominate the run)."""
    from bot.stories.signatures import signature

    pool = []
    for v in range(600):
        lang, title, body = _flood_text(v)
        pool.append((lang, title, signature(body).to_bytes(), " ".join(sorted(fingerprint(title, body).tokens))))
    return pool


def _before_tree(tree: str, sizes: list[int], n_new: int) -> list[dict[str, Any]]:
    """``_measure_story`` with ``StoryIndex()`` of another source tree (``git archive COMMIT bot storage``):
    a child process imports that tree's ``bot`` and ``storage`` and this file's workload."""
    import json
    import subprocess
    import sys

    code = (
        "import importlib.util, json, sys\n"
        f"sys.path.insert(0, {tree!r})\n"
        f"spec = importlib.util.spec_from_file_location('bench_here', {__file__!r})\n"
        "m = importlib.util.module_from_spec(spec); sys.modules['bench_here'] = m; spec.loader.exec_module(m)\n"
        "import bot.stories.assign as a\n"
        f"assert a.__file__.startswith({tree!r}), a.__file__\n"
        "pool = m._flood_pool()\n"
        f"print(json.dumps([m._measure_story(n, None, pool, {n_new}) for n in {sizes!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tree)
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def run_story_sizes(sizes: list[int], n_new: int = 100, before_tree: str = "") -> list[dict[str, Any]]:
    """Per-item cost of assigning one more near-copy to a story of ``size`` members, bounded (the product)
    and ``UNBOUNDED`` (the limits off), same stores, same items, same process; with ``before_tree``, also the
    code of that tree (e.g. the commit before issue 14) in a child process."""
    from bot.stories.assign import UNBOUNDED, AssignLimits

    pool = _flood_pool()
    out: list[dict[str, Any]] = []
    if before_tree:
        out += [{**r, "mode": "commit before (tree)"} for r in _before_tree(before_tree, sizes, n_new)]
    from bot import runtime

    runtime.settle()  # as the service's writer runs: no full collection of a heap that grows with the story
    runs = [
        (name, _StoryRun(size, limits, pool, n_new))
        for size in sizes
        for name, limits in (("limits off (UNBOUNDED)", UNBOUNDED), ("bounded", AssignLimits()))
    ]
    # item by item, every story in turn: a slower minute of the machine weighs on every size alike
    for q in range(n_new):
        for _, run in runs:
            run.rewrite(q)
    for q in range(n_new):
        for _, run in runs:
            run.identical(q)
    for name, run in runs:
        size = run.size
        r = {**run.close(), "mode": name}
        out.append(r)
        print(
            f"story of {size:>6,} members, {name:<22}: {r['per_item_ms']:7.2f} ms per rewrite"
            f" ({r['joined']}/{n_new} joined), {r['copy_ms']:7.2f} ms per identical body ({r['twins']} by"
            f" signature); per item: LSH rows {r['lsh_rows']:,.0f}, hits {r['near_hits']:,.0f},"
            f" members {r['members']:,.0f}, pairs {r['pairs']:,.0f}",
            flush=True,
        )
    print(
        "\n| story members | code | ms per rewrite (decide) | ms per identical body |"
        " LSH rows verified per item | hits to decide | members to decide | pairs scored | joined |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in sorted(out, key=lambda r: r["size"]):
        counts = (
            f"{r['lsh_rows']:,.0f} | {r['near_hits']:,.0f} | {r['members']:,.0f} | {r['pairs']:,.0f}"
            if r["counted"]
            else "– | – | – | –"
        )
        print(
            f"| {r['size']:,} | {r['mode']} | {r['per_item_ms']:.2f} | {r['copy_ms']:.2f} | {counts} |"
            f" {r['joined']}/{r['n_new']} |"
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000", help="stored items ('' to skip this part)")
    ap.add_argument("--assign", default="", help="stored story counts for the storage-level benchmark, e.g. 1000,10000")
    ap.add_argument(
        "--story-sizes", default="", help="members of one near-copy story, bounded vs unbounded, e.g. 10,100,1000,10000"
    )
    ap.add_argument(
        "--before-tree", default="", help="with --story-sizes: also time the bot/ and storage/ of this directory"
    )
    args = ap.parse_args()
    if args.assign:
        run_assign([int(s) for s in args.assign.split(",")])
        return
    targets: list[dict[str, Any]] = []
    if args.sizes:
        rows = run([int(s) for s in args.sizes.split(",")])
        print(
            "\n| stored items | index + clustering, ms/item | naive loop, ms/item | numpy brute force, ms/item |"
            " rebuild from signatures | index memory | RSS growth |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(
                f"| {int(r['n']):,} | {r['per_item_ms']:.3f} | {r['naive_ms']:,.0f} | {r['brute_ms']:.1f} |"
                f" {r['rebuild_s']:.2f} s | {r['index_mb']:.0f} MiB | {r['rss_mb']:.0f} MiB |"
            )
        small, large = rows[0], rows[-1]
        targets += [
            target(
                f"cost per new item, {int(large['n']):,} / {int(small['n']):,} stored items",
                large["per_item_ms"] / small["per_item_ms"],
                "<=",
                1.5,
                "×",
            ),
            target(
                f"index vs naive loop at {int(large['n']):,} stored items",
                large["naive_ms"] / large["per_item_ms"],
                ">=",
                10,
                "×",
            ),
            target("edited copies found (every size)", min(r["recall_copies"] for r in rows), ">=", 1.0),
        ]
    if args.story_sizes:
        sizes = [int(s) for s in args.story_sizes.split(",")]
        done = [r for r in run_story_sizes(sizes, before_tree=args.before_tree) if r["mode"] == "bounded"]
        first, last = min(done, key=lambda r: r["size"]), max(done, key=lambda r: r["size"])
        targets.append(
            target(
                f"cost per rewrite, story of {last['size']:,} / {first['size']:,} members",
                last["per_item_ms"] / first["per_item_ms"],
                "<=",
                1.5,
                "×",
            )
        )
        if last["counted"] and first["counted"]:
            targets.append(
                target(
                    f"LSH rows verified per rewrite, story of {last['size']:,} / {first['size']:,} members",
                    last["lsh_rows"] / max(first["lsh_rows"], 1),
                    "<=",
                    2,
                    "×",
                )
            )
    if targets:
        emit("stories", targets)


if __name__ == "__main__":
    main()
