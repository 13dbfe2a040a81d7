"""Content-Encoding decoding with a hard cap on the DECODED size.

httpx's own decoders inflate each network chunk in one call: a 64 KiB slice of a gzip bomb becomes
about 64 MiB in memory before anyone can count it, and fifty such feeds at once would take gigabytes.
Here zlib is asked for at most ``_STEP`` bytes at a time, so memory stays at the cap plus one step
whatever the compression ratio. We advertise only gzip and deflate, so nothing else should arrive.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from functools import partial

_STEP = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class UnsupportedEncoding(Exception):
    """The server used a Content-Encoding we did not ask for."""


class TooLarge(Exception):
    """The decoded body went past the cap."""


class _Inflater:
    """One zlib stream; ``kind`` is "gzip" or "deflate" (zlib-wrapped, or raw as some servers send)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._raw_deflate_tried = False
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if kind == "gzip" else zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes, emit: Callable[[bytes], None]) -> None:
        while True:
            try:
                out = self._obj.decompress(data, _STEP)
            except zlib.error:
                # "deflate" is meant to be zlib-wrapped, but old servers send raw deflate: switch once.
                if self.kind == "deflate" and not self._started and not self._raw_deflate_tried:
                    self._raw_deflate_tried = True
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise
            self._started = True
            if out:
                emit(out)
            data = self._obj.unconsumed_tail
            if self._obj.eof:
                rest = self._obj.unused_data
                # Concatenated gzip members are legal (and what `cat a.gz b.gz` makes); trailing junk is
                # ignored, as browsers do.
                if self.kind == "gzip" and rest.startswith(_GZIP_MAGIC):
                    self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)
                    data = rest
                    continue
                return
            # A full step may leave output buffered inside zlib even with no input left: drain it.
            if not data and len(out) < _STEP:
                return

    def flush(self, emit: Callable[[bytes], None]) -> None:
        if not self._obj.eof:
            # A stream cut short: keep what inflated cleanly, feedparser copes with a truncated feed.
            self.feed(b"", emit)


class BoundedDecoder:
    """Decode a body chunk by chunk into a list of pieces, raising ``TooLarge`` past ``max_bytes``."""

    def __init__(self, content_encoding: str | None, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._pieces: list[bytes] = []
        self._stages: list[_Inflater] = []
        encodings = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
        # Encodings are listed in the order they were applied; undo them last-first.
        for encoding in reversed(encodings):
            if encoding in ("identity", "none"):
                continue
            if encoding in ("gzip", "x-gzip"):
                self._stages.append(_Inflater("gzip"))
            elif encoding == "deflate":
                self._stages.append(_Inflater("deflate"))
            else:
                raise UnsupportedEncoding(encoding)

    def _keep(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.size > self.max_bytes:
            raise TooLarge
        self._pieces.append(piece)

    def _through(self, index: int, data: bytes) -> None:
        if index == len(self._stages):
            self._keep(data)
        else:
            self._stages[index].feed(data, lambda out: self._through(index + 1, out))

    def feed(self, data: bytes) -> None:
        if data:
            self._through(0, data)

    def finish(self) -> bytes:
        for index, stage in enumerate(self._stages):
            stage.flush(partial(self._through, index + 1))
        return b"".join(self._pieces)
