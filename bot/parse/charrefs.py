"""Numeric character references that XML forbids, repaired in the bytes before feedparser sees them.

``&#xD83D;&#xDE80;`` (an emoji escaped as a UTF-16 pair, common in real feeds), a lone ``&#xD800;``,
``&#x110000;`` or ``&#99999999999999999999;`` make expat give up; feedparser's loose fallback parser then
calls ``chr()`` on them or encodes a lone surrogate, and raises: the whole feed would be lost for one
character. Here a UTF-16 pair becomes the one character it spells, C0 controls are dropped (they carry
nothing a reader could see), and every other reference to a character XML does not allow becomes U+FFFD.
Valid references are left exactly as they are.
"""

from __future__ import annotations

import codecs
import re

# One or more digits: a value with hundreds of digits is still one reference (and still invalid).
_REF = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_REPLACEMENT = b"&#xFFFD;"
# Wide encodings, told by a byte-order mark or, without one, by how "<" of the XML declaration is spelled.
_WIDE = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)


def _value(m: re.Match[bytes]) -> int:
    hex_digits, dec_digits = m.group(1), m.group(2)
    digits = (hex_digits or dec_digits).lstrip(b"0") or b"0"
    if len(digits) > 8:  # beyond U+10FFFF whatever the digits are; int() of a huge number is wasted work
        return 0x110000
    return int(digits, 16 if hex_digits else 10)


def _allowed(cp: int) -> bool:
    """XML 1.0 ``Char``: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."""
    return cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or 0x10000 <= cp <= 0x10FFFF


def _repair(body: bytes) -> bytes:
    out: list[bytes] = []
    last = 0
    pending: re.Match[bytes] | None = None  # a high surrogate waiting for its low half, right after it
    for m in _REF.finditer(body):
        cp = _value(m)
        if _allowed(cp):
            if pending is not None:
                out += [body[last : pending.start()], _REPLACEMENT]
                last, pending = pending.end(), None
            continue
        if pending is not None:
            out.append(body[last : pending.start()])
            if 0xDC00 <= cp <= 0xDFFF and pending.end() == m.start():
                high = _value(pending)
                joined = 0x10000 + ((high - 0xD800) << 10) + (cp - 0xDC00)
                out.append(b"&#x%X;" % joined)
                last, pending = m.end(), None
                continue
            out.append(_REPLACEMENT)
            last, pending = pending.end(), None
        if 0xD800 <= cp <= 0xDBFF:
            pending = m
            continue
        out.append(body[last : m.start()])
        if not cp < 0x20:  # C0 controls (and NUL) are dropped; the rest is a visible "something was here"
            out.append(_REPLACEMENT)
        last = m.end()
    if pending is not None:
        out += [body[last : pending.start()], _REPLACEMENT]
        last = pending.end()
    if not out:
        return body
    out.append(body[last:])
    return b"".join(out)


def repair_char_refs(body: bytes) -> bytes:
    """``body`` with its forbidden character references repaired (see the module docstring).

    Works on the bytes of any ASCII-compatible encoding (UTF-8, windows-1256, ISO-8859-x); a UTF-16 or
    UTF-32 document (told by its byte-order mark or its XML declaration) is decoded, repaired and encoded again.
    """
    for start, encoding in _WIDE:
        if body.startswith(start):
            try:
                text = body.decode(encoding)
            except UnicodeDecodeError:
                return body  # feedparser reports the broken encoding itself
            repaired = _repair(text.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")
            return repaired.encode(encoding)
    return _repair(body) if b"&#" in body else body
