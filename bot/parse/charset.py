"""The charset a feed's bytes are really in, when the declared one is wrong.

Servers and XML declarations often name the wrong charset, and a parser that believes them stores mojibake.
The bytes settle it where they can: non-ASCII bytes that decode as strict UTF-8 are UTF-8 (text in a
single-byte charset practically never does); bytes that are not UTF-8 and, read as latin-1, show the signature
of windows-1256 Arabic (``bot.text.mojibake``) are windows-1256, unless another single-byte charset was
named. Anything else keeps the declared charset. The parse stage then tells feedparser through the
Content-Type, which it believes over the XML declaration.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

from bot.text import mojibake

_XML_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([^;\"'\s]+)[\"']?", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
# Charsets a windows-1256 body is mislabelled as (the defaults of servers, parsers and editors). A body
# declared in another single-byte charset (iso-8859-6, koi8-r…) keeps it.
_WEAK = {None, "utf-8", "utf-8-sig", "ascii", "iso8859-1", "cp1252", "iso8859-15"}


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
    declared = _XML_ENCODING.match(body[:512])
    return _codec(declared.group(1).decode("ascii")) if declared else None


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
