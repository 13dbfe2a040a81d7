"""The compiled lexicon on disk: built once, loaded by every process in a fraction of the build time.

Building the lexicon (YAML, spelling variants, ~110k automaton keys) takes seconds; the main process and
every parse worker need it. The built :class:`~bot.match.lexicon.Lexicon` (automaton included:
pyahocorasick automata pickle) is written once to a file named by a hash of everything the build depends
on — the shipped YAML, the user's ``lexicon:`` extension, the builder's own source, the pyahocorasick and
Python versions — so a changed input can never be served a stale automaton: it simply names another file.

A cache file is never trusted blindly. It starts with a magic line and the SHA-256 of the pickle; a file
that is truncated, corrupt, of another format, not ours (owner) or writable by others is ignored and
rebuilt. Writes go to a temporary file in the same directory and are renamed into place, so concurrent
processes (a service's workers starting together) see either no file or a whole one. The build itself runs in
a short-lived process (``load_or_build``), so its leftovers never stay in a long-lived one.

Directory: ``$RAQIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/raqib``, else ``~/.cache/raqib``. When no
directory is writable the lexicon is built in memory as before: a cache is an optimization, never a
requirement.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("raqib.match.cache")

MAGIC = b"RAQIB-LEXICON-CACHE 1\n"
_DIGEST = 32  # bytes of SHA-256 after the magic line
KEEP = 6  # cache files kept in the directory (one per distinct lexicon: shipped + users' extensions)
PREFIX = "lexicon-"
SUFFIX = ".pickle"
LEFTOVER_AGE = 3600.0  # seconds after which a temporary or lock file with no cache file is removed


def cache_dir() -> Path:
    """Where compiled lexicons live (read at every call: tests and deployments set the variable late)."""
    explicit = os.environ.get("RAQIB_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "raqib"
    try:
        return Path.home() / ".cache" / "raqib"
    except (RuntimeError, KeyError):  # no HOME and no passwd entry (some containers): a private temp dir
        uid = os.getuid() if hasattr(os, "getuid") else 0
        return Path(tempfile.gettempdir()) / f"raqib-cache-{uid}"


def content_key(parts: Iterable[bytes]) -> str:
    """SHA-256 over length-prefixed parts (so two parts can never run together into the same bytes)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def runtime_parts() -> list[bytes]:
    """What a pickle of the automaton depends on besides the data: the Python version and the pyahocorasick
    build. That package has no ``__version__``; its extension module's name, size and modification time stand
    for it (another build or version is another file), where reading the installed metadata cost ~50 ms of
    every process's start."""
    import ahocorasick

    version = getattr(ahocorasick, "__version__", "")
    built = getattr(ahocorasick, "__file__", None)
    if not version and built:
        try:
            st = os.stat(built)
            version = f"{Path(built).name} {st.st_size} {st.st_mtime_ns}"
        except OSError:
            pass
    version = version or package_version("pyahocorasick")
    return [f"python {sys.version_info[0]}.{sys.version_info[1]}".encode(), f"pyahocorasick {version}".encode()]


def package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def path_for(key: str, directory: Path | None = None) -> Path:
    return (directory or cache_dir()) / f"{PREFIX}{key[:32]}{SUFFIX}"


def read(path: Path) -> Any | None:
    """The object stored at ``path``, or None when the file is missing, corrupt or not to be trusted."""
    try:
        with path.open("rb") as fh:
            st = os.fstat(fh.fileno())
            # A pickle runs code when loaded: only a file of ours that nobody else can have written.
            if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
                log.warning("lexicon cache %s is not private to this user: ignored", path)
                return None
            data = fh.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.debug("lexicon cache %s unreadable: %s", path, exc)
        return None
    head = len(MAGIC) + _DIGEST
    if len(data) <= head or not data.startswith(MAGIC):
        log.warning("lexicon cache %s is not a cache file (truncated or another format): rebuilding", path)
        return None
    payload = memoryview(data)[head:]
    if hashlib.sha256(payload).digest() != data[len(MAGIC) : head]:
        log.warning("lexicon cache %s is corrupt (checksum): rebuilding", path)
        return None
    try:
        return pickle.loads(payload)  # noqa: S301 - our own file, checksummed, private to this user
    except Exception as exc:  # a class renamed since the file was written, and the like
        log.warning("lexicon cache %s does not load (%s): rebuilding", path, type(exc).__name__)
        return None


def write(path: Path, obj: Any) -> bool:
    """Store ``obj`` at ``path`` atomically (temporary file + rename); False when the directory is unusable."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mode 0600
    except OSError as exc:
        log.info("lexicon cache directory %s not writable (%s): the lexicon is built at each start", path.parent, exc)
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            # After the directory check: pickling an automaton leaks its dump (pyahocorasick #219), so
            # never for a file that cannot be written.
            payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
            fh.write(MAGIC)
            fh.write(hashlib.sha256(payload).digest())
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        log.info("lexicon cache %s not written: %s", path, exc)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False
    prune(path.parent, keep=path)
    return True


def prune(directory: Path, *, keep: Path) -> None:
    """Keep the KEEP most recently written cache files: every lexicon edit names a new file of ~30 MB."""
    try:
        files = sorted(directory.glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in files[KEEP:]:
        if old != keep:
            with contextlib.suppress(OSError):
                old.unlink()  # a process opening it now gets FileNotFoundError and builds: harmless
            with contextlib.suppress(OSError):
                old.with_suffix(".lock").unlink()
    # A process killed while writing leaves its ~30 MB temporary file, and a build that never finished its
    # lock; a build takes seconds, so what is an hour old belongs to nobody.
    stale = time.time() - LEFTOVER_AGE
    leftovers = [*directory.glob(f".{PREFIX}*.tmp"), *directory.glob(f"{PREFIX}*.lock")]
    for leftover in leftovers:
        with contextlib.suppress(OSError):
            orphan = leftover.suffix == ".tmp" or not leftover.with_suffix(SUFFIX).exists()
            if orphan and leftover.stat().st_mtime < stale:
                leftover.unlink()


def load_or_build(
    key: str, build: Callable[..., Any], args: tuple[Any, ...] = (), *, accept: Callable[[Any], bool]
) -> Any:
    """The cached object for ``key`` when a trustworthy file holds one ``accept`` takes, else ``build(*args)``
    (stored for the next process).

    Processes that start together on a cold cache (a service and its parse workers) would each spend
    seconds building the same lexicon: a lock file lets the first build while the others wait and then
    read its file. The build runs in a short-lived process of its own (``build`` must be a module-level
    function, ``args`` picklable): what building leaves behind dies with it instead of staying in a
    service process for its life — the word lists the variants are checked against, and the native dump
    pyahocorasick leaks at each pickling of an automaton (~45 MB; its issue #219). In this process only
    when no directory is usable or the build process fails."""
    path = path_for(key)
    obj = _accepted(path, accept)
    if obj is not None:
        return obj
    with _build_lock(path) as usable:
        obj = _accepted(path, accept)  # built by the process we waited for
        if obj is not None:
            return obj
        if usable and _build_apart(path, build, args):
            obj = _accepted(path, accept)
            if obj is not None:
                return obj
        obj = build(*args)
        write(path, obj)
    return obj


def built_apart() -> int:
    """Objects this process had built by a build process (tests count builds)."""
    return _built_apart


_built_apart = 0
APART_TIMEOUT = 300.0  # seconds; a build takes 1-3 s, a loaded machine's many times that


# The build process reads the parent's import path first, so it runs the same code (never the main module
# again, as a multiprocessing spawn would: a script that loads the lexicon unguarded would wait on itself).
_BUILD_MAIN = (
    "import pickle, sys; sys.path[:0] = pickle.load(sys.stdin.buffer); "
    "from bot.match.cache import _build_and_write; _build_and_write(*pickle.load(sys.stdin.buffer))"
)


def _build_apart(path: Path, build: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    global _built_apart
    job = pickle.dumps([p for p in sys.path if p]) + pickle.dumps((path, build, args))
    try:
        done = subprocess.run(  # noqa: S603 - this interpreter, our own bootstrap
            [sys.executable, "-c", _BUILD_MAIN], input=job, capture_output=True, timeout=APART_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:  # no process to be had, or a stuck one (killed)
        log.warning("lexicon build process failed (%s): building in this process", type(exc).__name__)
        return False
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        log.warning("lexicon build process failed (exit %s: %s): building in this process", done.returncode, tail[0])
        return False
    _built_apart += 1
    return True


def _build_and_write(path: Path, build: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The build process: exit status 0 when the file is written."""
    if not write(path, build(*args)):
        raise SystemExit(1)


def _accepted(path: Path, accept: Callable[[Any], bool]) -> Any | None:
    obj = read(path)
    if obj is not None and not accept(obj):
        log.warning("lexicon cache %s holds another lexicon: rebuilding", path)
        return None
    return obj


@contextlib.contextmanager
def _build_lock(path: Path) -> Iterator[bool]:
    """An exclusive ``flock`` on ``<cache file>.lock`` (released by the kernel if the holder dies); no lock
    where there is no flock or no writable directory: then concurrent builders just each build.

    Yields whether the directory takes files (no lock file: the build stays in this process)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield False
        return
    try:
        import fcntl
    except ImportError:  # no flock (Windows): a lock file could be made, so files can
        os.close(fd)
        yield True
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock
