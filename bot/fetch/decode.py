"""Content-Encoding decoding with a hard cap on the DECODED size; and the charset a body is really in.

httpx's own decoders inflate each network chunk in one call: a 64 KiB slice of a gzip bomb becomes
about 64 MiB in memory before anyone can count it, and fifty such feeds at once would take gigabytes.
Here zlib is asked for at most ``_STEP`` bytes at a time, so memory stays at the cap plus one step
whatever the compression ratio. We advertise only gzip and deflate, so nothing else should arrive.

Charsets (``body_charset``): servers and XML declarations often name the wrong one, and a parser that
believes them stores mojibake. The bytes settle it where they can: non-ASCII bytes that decode as strict
UTF-8 are UTF-8 (text in a single-byte charset practically never does); bytes that are not UTF-8 and, read
as latin-1, show the signature of windows-1256 Arabic are windows-1256 unless another single-byte
charset was named. Anything else keeps the declared charset.
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Callable, Mapping

from bot.normalize import mojibake

_STEP = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_XML_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([^;\"'\s]+)[\"']?", re.IGNORECASE)
# Charsets a windows-1256 body is mislabelled as (the defaults of servers, parsers and editors). A body
# declared in another single-byte charset (iso-8859-6, koi8-r…) keeps it.
_TAG = re.compile(r"<[^>]*>")
_WEAK = {None, "utf-8", "utf-8-sig", "ascii", "iso8859-1", "cp1252", "iso8859-15"}


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
            stage.flush(lambda out, i=index: self._through(i + 1, out))
        return b"".join(self._pieces)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset the header names, else the XML declaration's (as Python spells it), else None."""
    found = _CHARSET.search(content_type or "")
    if found:
        return _codec(found.group(1))
    found = _XML_ENCODING.match(body[:512])
    return _codec(found.group(1).decode("ascii")) if found else None


def body_charset(body: bytes, content_type: str | None) -> tuple[str, str] | None:
    """(charset, why) when the bytes show that the declared charset is wrong; None to keep the declared one."""
    if body.isascii():
        return None
    declared = declared_charset(body, content_type)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if declared in (None, "utf-8", "utf-8-sig"):
            return None  # declared, or XML's default
        return "utf-8", f"declared {declared or 'no charset'}, but the bytes are UTF-8"
    if declared not in _WEAK:
        return None
    # The markup's letters are ASCII whatever the charset: only the text between tags tells.
    text = _TAG.sub(" ", body.decode("latin-1"))
    if mojibake.signature(text) == mojibake.CP1256_AS_LATIN and mojibake.looks_arabic(
        text.encode("latin-1").decode("cp1256")
    ):
        return "windows-1256", f"declared {declared or 'no charset'}, but the bytes are windows-1256 Arabic"
    return None


def with_charset(headers: Mapping[str, str], charset: str) -> dict[str, str]:
    """``headers`` whose Content-Type names ``charset`` (a parser believes the header over the XML declaration)."""
    out = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "") or "application/xml"
    out["Content-Type"] = _CHARSET.sub("", content_type).strip().rstrip(";") + f"; charset={charset}"
    return out
