"""Telegram HTML as a sequence of atoms: measuring, splitting and truncating without breaking markup.

Telegram limits a message to 4096 and a caption to 1024 *UTF-16 code units* (an emoji outside the BMP
counts twice), so everything here measures with ``utf16_len``. We measure the HTML source, not the text
Telegram shows after parsing: that is an upper bound, so a piece that fits here always fits there.

The input is HTML we generated (escaped text plus ``<b>``, ``<i>``, ``<a href>`` ...). It is cut only
between atoms — a whole tag, a whole entity such as ``&amp;``, or one character together with the
combining marks that follow it (Arabic harakat, variation selectors, ZWJ) — and every piece closes the tags
still open at its end and reopens them at the start of the next one, so each piece is valid on its own.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.text.length import utf16_len

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024

_ATOM_RE = re.compile(
    r"<(?P<close>/?)(?P<name>[a-zA-Z][a-zA-Z0-9-]*)(?:\s[^<>]*)?>"  # a tag
    r"|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});"  # an entity
    r"|.[\u0300-\u036f\u064b-\u065f\u0670\u06d6-\u06ed\ufe00-\ufe0f\u200d\u20d0-\u20ff]{0,8}",  # char + up to 8 marks
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class _Atom:
    raw: str
    kind: str  # "open" | "close" | "text"
    name: str = ""
    size: int = 0  # utf16 length of raw


def _atoms(text: str) -> list[_Atom]:
    out: list[_Atom] = []
    for m in _ATOM_RE.finditer(text):
        raw = m.group(0)
        name = m.group("name")
        if name:
            kind = "close" if m.group("close") else "open"
            out.append(_Atom(raw, kind, name.lower(), utf16_len(raw)))
        else:
            out.append(_Atom(raw, "text", "", utf16_len(raw)))
    return out


def _push(stack: tuple[_Atom, ...], atom: _Atom) -> tuple[_Atom, ...]:
    if atom.kind == "open":
        return (*stack, atom)
    if atom.kind == "close":
        for i in range(len(stack) - 1, -1, -1):
            if stack[i].name == atom.name:
                return stack[:i] + stack[i + 1 :]
    return stack


def _closing(stack: tuple[_Atom, ...]) -> str:
    return "".join(f"</{a.name}>" for a in reversed(stack))


def _closing_len(stack: tuple[_Atom, ...]) -> int:
    return sum(len(a.name) + 3 for a in stack)


@dataclass(frozen=True, slots=True)
class _Cut:
    end: int  # atoms[start:end] go in this piece
    stack: tuple[_Atom, ...]  # tags open after atoms[end - 1]
    body: str  # prefix (reopened tags) + atoms, without closing tags


def _cut(atoms: list[_Atom], start: int, stack: tuple[_Atom, ...], limit: int) -> _Cut:
    """The longest run of atoms from ``start`` that fits ``limit`` with its tags reopened and closed,
    preferring to end at a line break, then at a space, in the second half of the run. A closing tag
    with nothing open to close (its opening was dropped) is skipped."""
    prefix = "".join(a.raw for a in stack)
    length = utf16_len(prefix)
    cur = stack
    out: list[str] = [prefix]
    Candidate = tuple[int, tuple[_Atom, ...], int]
    newline: Candidate | None = None
    space: Candidate | None = None
    last_text: Candidate | None = None
    j = start
    while j < len(atoms):
        atom = atoms[j]
        if atom.kind == "close" and all(a.name != atom.name for a in cur):
            j += 1
            continue
        nxt = _push(cur, atom)
        if length + atom.size + _closing_len(nxt) > limit:
            break
        cur, length, j = nxt, length + atom.size, j + 1
        out.append(atom.raw)
        if atom.kind == "text":
            last_text = (j, cur, len(out))
            if atom.raw == "\n":
                newline = last_text
            elif atom.raw.isspace():
                space = last_text
    if j == len(atoms):
        end: Candidate = (j, cur, len(out))
    else:
        half = start + (j - start) // 2
        end = next(
            (c for c in (newline, space) if c is not None and c[0] > half),
            last_text or (j, cur, len(out)),  # never end a piece on a tag we just opened
        )
    return _Cut(end[0], end[1], "".join(out[: end[2]]))


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split HTML into pieces, in order, each valid and at most ``limit`` UTF-16 units.

    Tags open at a cut are closed at the end of the piece and reopened at the start of the next one.
    Concatenating the pieces' *text* (tags removed, entities decoded) gives back the input's text.
    """
    if limit < 16:
        raise ValueError("limit too small to carry any markup")
    atoms = _atoms(text)
    pieces: list[str] = []
    i = 0
    stack: tuple[_Atom, ...] = ()
    while i < len(atoms):
        cut = _cut(atoms, i, stack, limit)
        if cut.end == i:
            # Reopening the open tags leaves no room (absurdly deep or long tags): continue unformatted.
            stack = ()
            cut = _cut(atoms, i, stack, limit)
            if cut.end == i:  # a single atom longer than the limit (a huge tag): drop it
                i += 1
                continue
        pieces.append(cut.body + _closing(cut.stack))
        i, stack = cut.end, cut.stack
    return [p for p in pieces if html_to_text(p).strip()] or ([pieces[0]] if pieces else [])


def truncate_html(text: str, limit: int = MESSAGE_LIMIT, ellipsis: str = "…") -> str:
    """``text`` if it fits, else its longest valid prefix that fits with ``ellipsis`` and closing tags."""
    if utf16_len(text) <= limit:
        return text
    atoms = _atoms(text)
    cut = _cut(atoms, 0, (), limit - utf16_len(ellipsis))
    return cut.body.rstrip() + ellipsis + _closing(cut.stack)


_TAG_RE = re.compile(r"<[^<>]*>")


def html_to_text(text: str) -> str:
    """The text a reader sees: tags dropped, entities decoded (for the plain-text fallback)."""
    return html.unescape(_TAG_RE.sub("", text))
