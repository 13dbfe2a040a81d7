"""The compiled lexicon on disk (bot.match.cache): built once, then loaded; keyed by content; a bad file is
rebuilt; what is loaded matches exactly like what is built. Builds are counted (``lexicon.build_count()``), never
timed. Every test works in a cache directory of its own (``RAQIB_CACHE_DIR``), real files throughout."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.match import cache, classify, lexicon, load_lexicon
from bot.match.lexicon import build_lexicon, clear_memory_cache, lexicon_cache_key

EVAL = Path(__file__).resolve().parents[2] / "eval" / "match"

ACME = {
    "entities": [
        {
            "id": "acme-foundry",
            "kind": "company",
            "weight": 3.0,
            "topics": ["ai-chips"],
            "name": {"ar": "أكمي فاوندري", "en": "Acme Foundry"},
            "aliases": {"ar": ["أكمي فاوندري"], "en": ["Acme Foundry"]},
        }
    ],
    "aliases": {"nvidia": {"en": ["Team Green"]}},
}


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    d = tmp_path / "cache"
    monkeypatch.setenv("RAQIB_CACHE_DIR", str(d))
    clear_memory_cache()  # the next load goes to this directory, not to what the process already holds
    yield d
    clear_memory_cache()  # later tests load from their own cache, not from this temporary one


def cache_files(d: Path) -> list[Path]:
    return sorted(d.glob("lexicon-*.pickle"))


def loads_without_building(extra: dict | None = None, *, with_variants: bool = True) -> lexicon.Lexicon:
    clear_memory_cache()
    before = lexicon.build_count()
    lex = load_lexicon(extra, with_variants=with_variants)
    assert lexicon.build_count() == before, "loaded from the disk cache, not built"
    return lex


def test_built_once_then_loaded_by_the_next_process(cache_dir: Path) -> None:
    before = lexicon.build_count()
    built = load_lexicon()
    assert lexicon.build_count() == before + 1
    [file] = cache_files(cache_dir)
    assert not [p for p in cache_dir.iterdir() if p.name.endswith(".tmp")], "no temporary file left behind"
    assert file.stat().st_mode & 0o077 == 0, "a pickle others could read or replace: private to the user"

    loaded = loads_without_building()
    assert loaded is not built and loaded.cache_key == built.cache_key == lexicon_cache_key()
    assert loaded.pattern_count == built.pattern_count and loaded.automaton_keys == built.automaton_keys
    assert load_lexicon() is loaded, "within a process the lexicon is shared, not reloaded"


def test_loaded_lexicon_classifies_exactly_like_a_fresh_build(cache_dir: Path) -> None:
    load_lexicon()  # writes the cache
    loaded = loads_without_building()
    fresh = build_lexicon(
        lexicon._read_yaml("entities.yaml"), lexicon._read_yaml("topics.yaml"), lexicon._read_yaml("negatives.yaml")
    )
    assert loaded.patterns == fresh.patterns
    assert set(loaded.automaton.keys()) == set(fresh.automaton.keys())
    rows = [json.loads(line) for name in ("dev.jsonl", "holdout.jsonl") for line in (EVAL / name).open()]
    rows += [
        {"title": "واشنطن تمنح تراخيص لـ«إنفيديا» لبيع رقائق H20", "text": "", "lang": "ar"},
        {"title": "Intel and a micron of intel", "text": "BIS adds 12 Chinese firms to the Entity List", "lang": "en"},
        {"title": "أسعار رقائق البطاطس", "text": "", "lang": "ar"},
    ]
    assert len(rows) > 400
    relevant = 0
    for r in rows:
        a = classify(r["title"], r.get("text", ""), r.get("lang"), lexicon=loaded)
        b = classify(r["title"], r.get("text", ""), r.get("lang"), lexicon=fresh)
        assert a == b, r["title"]
        relevant += a.relevant
    assert 0 < relevant < len(rows), "the sample holds both relevant and irrelevant texts"


def test_every_module_a_build_runs_is_part_of_the_key() -> None:
    """The key hashes the source of the modules a build runs (``_BUILDER_SOURCES``): every ``bot.match`` module
    the builder and the loader import, directly or through another, must be listed, or a changed rule in it
    would be served an automaton built by the old one. ``cache`` stores and loads; it builds nothing."""
    here = Path(lexicon.__file__).resolve().parent
    seen: set[str] = set()
    todo = ["lexicon", "builder"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in ast.walk(ast.parse((here / f"{name}.py").read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "bot.match":
                todo += [a.name for a in node.names if (here / f"{a.name}.py").exists()]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.match."):
                todo.append((node.module or "").rsplit(".", 1)[1])
    assert {"builder", "model", "terms", "variants", "normalizer"} <= seen, "the walk follows the imports"
    assert {f"{m}.py" for m in seen - {"cache"}} <= set(lexicon._BUILDER_SOURCES)


def test_key_follows_the_content_not_the_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = lexicon_cache_key()
    with_acme = lexicon_cache_key(ACME)
    assert with_acme != base
    reordered = {"aliases": ACME["aliases"], "entities": [dict(reversed(ACME["entities"][0].items()))]}
    assert lexicon_cache_key(reordered) == with_acme, "key order in feeds.yaml does not matter"
    changed = json.loads(json.dumps(ACME))
    changed["aliases"]["nvidia"]["en"] = ["Team Green", "Jensen's company"]
    assert lexicon_cache_key(changed) != with_acme, "one more alias is another lexicon"
    assert lexicon_cache_key(with_variants=False) != base

    shipped = tmp_path / "lexicon"
    shutil.copytree(lexicon.LEXICON_DIR, shipped)
    monkeypatch.setattr(lexicon, "LEXICON_DIR", shipped)
    assert lexicon_cache_key() == base, "same files, same key"
    with (shipped / "negatives.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")
    assert lexicon_cache_key() != base, "an edited shipped file is another lexicon"


def test_a_changed_extension_gets_its_own_cache(cache_dir: Path) -> None:
    other = {"entities": [{**ACME["entities"][0], "aliases": {"en": ["Acme Fabs"]}}]}
    before = lexicon.build_count()
    acme = load_lexicon(ACME)
    fabs = load_lexicon(other)
    assert lexicon.build_count() == before + 2
    assert len(cache_files(cache_dir)) == 2 and acme.cache_key != fabs.cache_key
    text = "Acme Foundry and Acme Fabs win export licences for AI chips"
    assert "acme-foundry" in {e.id for e in classify(text, lexicon=acme).entities}
    assert "nvidia" in {e.id for e in classify("Team Green ships H20", lexicon=acme).entities}
    assert "nvidia" not in {e.id for e in classify("Team Green ships H20", lexicon=fabs).entities}

    again = loads_without_building(json.loads(json.dumps(ACME)))  # an equal mapping, read again from feeds.yaml
    assert again.cache_key == acme.cache_key
    assert classify(text, lexicon=again) == classify(text, lexicon=acme)


def _flip_payload_byte(p: Path) -> None:
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x01
    p.write_bytes(bytes(data))


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 3])


def _not_a_cache(p: Path) -> None:
    p.write_bytes(b"\x80\x05garbage" * 100)


def _empty(p: Path) -> None:
    p.write_bytes(b"")


@pytest.mark.parametrize("damage", [_flip_payload_byte, _truncate, _not_a_cache, _empty])
def test_a_damaged_file_is_never_loaded(tmp_path: Path, damage: object) -> None:
    p = tmp_path / "lexicon-x.pickle"
    assert cache.write(p, {"automaton": list(range(1000))})
    assert cache.read(p) == {"automaton": list(range(1000))}
    damage(p)  # type: ignore[operator]
    assert cache.read(p) is None


def test_a_file_others_may_write_is_not_trusted(tmp_path: Path) -> None:
    p = tmp_path / "lexicon-x.pickle"
    assert cache.write(p, [1, 2, 3])
    os.chmod(p, 0o666)
    assert cache.read(p) is None  # a pickle runs code when loaded


def test_a_corrupt_cache_file_is_rebuilt_and_replaced(cache_dir: Path) -> None:
    load_lexicon(with_variants=False)
    [file] = cache_files(cache_dir)
    _flip_payload_byte(file)
    clear_memory_cache()
    before = lexicon.build_count()
    rebuilt = load_lexicon(with_variants=False)
    assert lexicon.build_count() == before + 1, "the corrupt file was not trusted"
    assert rebuilt.automaton_keys > 1000
    assert loads_without_building(with_variants=False).cache_key == rebuilt.cache_key, "and the file is good again"


def test_a_file_holding_another_lexicon_is_rebuilt(cache_dir: Path) -> None:
    """A file name is a prefix of the key: the lexicon inside must carry the whole key it is looked up by."""
    small = load_lexicon(with_variants=False)
    clear_memory_cache()
    wrong = build_lexicon({"entities": []}, {"topics": [], "terms": []}, {})
    wrong.cache_key = "not " + small.cache_key
    assert cache.write(cache.path_for(small.cache_key), wrong)
    before = lexicon.build_count()
    assert load_lexicon(with_variants=False).automaton_keys == small.automaton_keys
    assert lexicon.build_count() == before + 1, "the file for this key held another lexicon: rebuilt"


def test_no_usable_cache_directory_still_gives_a_lexicon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("RAQIB_CACHE_DIR", str(blocker / "cache"))
    clear_memory_cache()
    try:
        assert load_lexicon(with_variants=False).automaton_keys > 1000
    finally:
        clear_memory_cache()


def test_old_cache_files_are_pruned(tmp_path: Path) -> None:
    for n in range(cache.KEEP + 3):
        p = tmp_path / f"lexicon-{n:032d}.pickle"
        assert cache.write(p, n)
        os.utime(p, (n, n))  # oldest first
    kept = sorted(tmp_path.glob("lexicon-*.pickle"))
    assert len(kept) == cache.KEEP
    assert (tmp_path / f"lexicon-{cache.KEEP + 2:032d}.pickle") in kept, "the newest survive"
    assert (tmp_path / f"lexicon-{0:032d}.pickle") not in kept


def test_threads_loading_at_once_build_once(cache_dir: Path) -> None:
    """A poll matches its feeds in several threads: the first item of each must not load the lexicon again."""
    barrier = threading.Barrier(4)
    got: list[lexicon.Lexicon] = []

    def load() -> None:
        barrier.wait()
        got.append(load_lexicon(with_variants=False))

    before = lexicon.build_count()
    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert before + 1 == lexicon.build_count(), "one builds, the others wait for its file (the build lock)"
    assert len(got) == 4 and all(lex is got[0] for lex in got), "and nobody reads the file again (one object)"


def test_leftovers_of_killed_writers_are_removed_once_stale(tmp_path: Path) -> None:
    """A writer killed mid-write leaves a ~30 MB temporary file; an hour later nobody owns it."""
    old_tmp = tmp_path / ".lexicon-0.pickle.abc.tmp"
    fresh_tmp = tmp_path / ".lexicon-1.pickle.def.tmp"
    orphan_lock = tmp_path / "lexicon-2.lock"
    owned_lock = tmp_path / "lexicon-3.lock"
    for p in (old_tmp, fresh_tmp, orphan_lock, owned_lock):
        p.write_bytes(b"x")
    for p in (old_tmp, orphan_lock, owned_lock):
        os.utime(p, (1, 1))
    assert cache.write(tmp_path / "lexicon-3.pickle", 3)
    left = {p.name for p in tmp_path.iterdir()}
    assert old_tmp.name not in left and orphan_lock.name not in left
    assert fresh_tmp.name in left, "a write in progress is never touched"
    assert owned_lock.name in left, "the lock of a cache file that exists stays with it"


COLD_LOAD = """
import json, sys
import wordfreq
from bot.match import builder, lexicon, load_lexicon
lex = load_lexicon(with_variants=True)
print(json.dumps({
    "keys": lex.automaton_keys,
    "built_here": builder._builds,
    "built_for_us": lexicon.build_count(),
    "word_lists_held": wordfreq.get_frequency_dict.cache_info().currsize,
}))
"""


def test_a_cold_cache_is_built_by_a_process_that_exits(tmp_path: Path) -> None:
    """What a build leaves behind (the word lists, pyahocorasick's leaked dump) must not stay in a service
    process for its life: the loading process only reads the file the build process wrote."""
    env = {**os.environ, "RAQIB_CACHE_DIR": str(tmp_path / "cache")}
    run = subprocess.run(
        [sys.executable, "-c", COLD_LOAD], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["keys"] > 1000 and len(cache_files(tmp_path / "cache")) == 1
    assert got["built_here"] == 0 and got["built_for_us"] == 1, "built once, in the build process"
    assert got["word_lists_held"] == 0, "no word list loaded in the service's process"
    assert "build process failed" not in run.stderr


def test_a_failed_build_process_falls_back_to_building_here(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(cache, "_BUILD_MAIN", "import sys; sys.exit(3)")
    before = lexicon.build_count()
    assert load_lexicon(with_variants=False).automaton_keys > 1000
    assert lexicon.build_count() == before + 1
    assert "lexicon build process failed (exit 3" in caplog.text
    assert len(cache_files(cache_dir)) == 1, "and the file is written for the next process"


def test_a_process_loading_the_cached_lexicon_never_reads_yaml(cache_dir: Path) -> None:
    """The cache key hashes the lexicon files' bytes; only a build parses them. A process that finds the
    compiled lexicon cached (``raqib match``, every parse worker) has no use for the YAML library (~20 ms)."""
    load_lexicon()  # writes the cache
    code = (
        "import json, sys\n"
        "from bot.match import load_lexicon\n"
        "from bot.match import lexicon\n"
        "lex = load_lexicon()\n"
        "got = {'yaml': 'yaml' in sys.modules, 'built': lexicon.build_count(), 'keys': lex.automaton_keys}\n"
        "print(json.dumps(got))\n"
    )
    env = {**os.environ, "RAQIB_CACHE_DIR": str(cache_dir)}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True)
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["built"] == 0 and got["keys"] > 1000
    assert got["yaml"] is False
