"""``file://`` feeds for offline use (the demo, local experiments). Off unless ``allow_file``."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from bot.fetch.errors import FileFetchError, PolicyError, ResponseError


@dataclass(frozen=True, slots=True)
class FileRead:
    body: bytes  # empty when not modified
    last_modified: str  # the file's mtime as an HTTP date, our stand-in for the HTTP validator
    not_modified: bool


def file_path(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise PolicyError(f"malformed file URL {url}: {exc}", url=url, code="invalid_url") from None
    if parts.netloc not in ("", "localhost"):
        # file://server/share would mean a network share; we only read local files.
        raise PolicyError(f"file URL with a remote host is not allowed: {url}", url=url, code="invalid_url")
    return url2pathname(unquote(parts.path))


def _read(url: str, path: str, max_bytes: int, last_modified: str | None) -> FileRead:
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            stamp = formatdate(stat.st_mtime, usegmt=True)
            if last_modified is not None and last_modified == stamp:
                return FileRead(b"", stamp, True)
            if stat.st_size > max_bytes:
                raise ResponseError(
                    f"{url} is {stat.st_size} bytes, over the {max_bytes}-byte cap", url=url, code="too_large"
                )
            # Read one byte past the cap: the size from stat can be stale (a file still being written).
            body = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise FileFetchError(f"no such file: {path} ({url})", url=url, code="not_found_file") from None
    except IsADirectoryError:
        raise FileFetchError(f"{path} is a directory ({url})", url=url, code="file_error") from None
    except OSError as exc:
        raise FileFetchError(f"cannot read {path} ({url}): {exc.strerror}", url=url, code="file_error") from None
    if len(body) > max_bytes:
        raise ResponseError(f"{url} is over the {max_bytes}-byte cap", url=url, code="too_large")
    if not body:
        raise ResponseError(f"{url} is an empty file", url=url, code="empty_body")
    return FileRead(body, stamp, False)


async def read_file_url(url: str, *, max_bytes: int, last_modified: str | None) -> FileRead:
    """Read a local file in a worker thread (disk I/O must not stall the event loop)."""
    path = file_path(url)
    return await asyncio.to_thread(_read, url, path, max_bytes, last_modified)
