"""Normalize stage: ``RawEntry`` → our frozen ``Item``."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit

from bot.normalize.html_text import html_to_text, one_line
from bot.normalize.item import Item
from bot.parse import RawEntry
from bot.text.mojibake import Fixed, repair
from bot.text.urls import is_plain_absolute

__all__ = ["Item", "normalize_entries", "script_language"]

# Dates further in the future than this are clock errors or typos: we use the fetch time instead.
_FUTURE_SLACK = timedelta(days=1)
_EARLIEST = datetime(1995, 1, 1).astimezone()
# What one entry may store (issue 13.3): far above any real entry, far below what a hostile feed can send.
# A longer text is cut at a word with "…"; a longer link is no link (nothing that long is an article URL);
# a longer GUID or link inside an identity is kept as a prefix and a hash, so identities stay distinct.
URL_MAX = 8192  # = storage.tables.URL_MAX = bot.stories.urls._MAX_URL (a test holds them equal)
IDENTITY_MAX = 512  # = storage.tables.IDENTITY_MAX
TITLE_MAX = 1_000
SOURCE_NAME_MAX = 200
SUMMARY_MAX = 20_000
CONTENT_MAX = 100_000
GUID_MAX = 2_048
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Runs of letters, counted by length: a list of every letter cost more than the rest of an item's normalizing.
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]+")
_LATIN = re.compile(r"[A-Za-z]+")


def script_language(text: str, default: str) -> str:
    """'ar' or 'en' by the script most letters are written in; ``default`` when unclear."""
    ar = sum(map(len, _ARABIC.findall(text)))
    la = sum(map(len, _LATIN.findall(text)))
    if ar + la < 12:
        return default
    if ar >= 0.6 * (ar + la):
        return "ar"
    if la >= 0.8 * (ar + la):
        return "en"
    return default


def cap(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word when one is near, marked with "…"."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", max(0, limit - 200), limit)
    return text[: cut if cut > 0 else limit - 1].rstrip() + "…"


def _head(text: str, limit: int) -> str:
    """At least the first ``limit`` characters of ``text``, cut at a space: what ``cap`` will keep, bounded so
    that a hostile megabyte costs the mojibake check nothing, and never cut inside a word (a UTF-8 sequence)."""
    if len(text) <= 2 * limit:
        return text
    cut = text.rfind(" ", limit, 2 * limit)
    return text[: cut if cut > 0 else 2 * limit]


def _key(value: str, limit: int) -> str:
    """``value`` for an identity: itself when short, else a prefix and its SHA-256 (distinct, bounded, stable)."""
    if len(value) <= limit:
        return value
    return value[: limit - 65] + "#" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _absolute(link: str | None, base: str) -> str | None:
    if not link:
        return None
    link = link.strip()
    if len(link) > URL_MAX or _CONTROL.search(link):
        return None  # a data: blob or a broken value, not a link to an article
    if is_plain_absolute(link):  # what the join and the split below would give back
        return link
    try:
        absolute = urljoin(base, link) if base.startswith(("http://", "https://")) else link
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    absolute = urlunsplit(parts)
    return absolute if len(absolute) <= URL_MAX else None


def _hash(*texts: str) -> str:
    norm = unicodedata.normalize("NFKC", "\n".join(one_line(t).casefold() for t in texts))
    return hashlib.sha256(norm.encode("utf-8", "surrogatepass")).hexdigest()


def normalize_entries(
    entries: Iterable[RawEntry], *, feed_id: str, feed_url: str, language: str, fetched: datetime
) -> list[Item]:
    """Build Items; identity is guid, then guid+link on a collision in this feed, then link, then a hash.

    Two entries with the same identity inside one document are one item (the first wins).
    """
    items: list[Item] = []
    seen: set[str] = set()
    first_url_of_guid: dict[str, str | None] = {}
    for raw in entries:
        # Charset mix-ups are undone on the plain text, before anything is cut or hashed (bot.text.mojibake).
        fixes = [repair(_head(one_line(html_to_text(raw.title_html)), TITLE_MAX))]
        fixes.append(repair(_head(html_to_text(raw.summary_html), SUMMARY_MAX)))
        fixes.append(repair(_head(html_to_text(raw.content_html), CONTENT_MAX)))
        source = repair(_head(one_line(html_to_text(raw.source_title or "")), SOURCE_NAME_MAX))
        title, summary, content = (f.text for f in fixes)
        source_name = source.text or None
        if source_name and title.endswith(f" - {source_name}"):
            # Aggregators append the outlet to the headline ("… - Reuters"); it is the source, not news.
            title = title[: -len(source_name) - 3].rstrip()
        title = cap(title, TITLE_MAX)
        source_name = cap(source_name, SOURCE_NAME_MAX) if source_name else None
        summary = cap(summary, SUMMARY_MAX)
        content = cap(content, CONTENT_MAX)
        if content == summary:
            content = ""
        url = _absolute(raw.link, feed_url)
        content_hash = _hash(title, summary, content)
        if not (title or summary or content or url):
            continue  # nothing a person could read: not an item
        guid = _CONTROL.sub("", raw.guid).strip() if raw.guid else ""
        if guid:
            identity = "guid:" + _key(guid, 400)
            if guid in first_url_of_guid:
                if first_url_of_guid[guid] == url or not url:
                    continue  # the same entry repeated
                identity = f"guid:{_key(guid, 200)}|{_key(url, 200)}"
            else:
                first_url_of_guid[guid] = url
        elif url:
            identity = "url:" + _key(url, 500)
        else:
            identity = "hash:" + content_hash
        if identity in seen:
            continue
        seen.add(identity)
        published = raw.published
        if published is None or published > fetched + _FUTURE_SLACK or published < _EARLIEST:
            published = fetched
        lang = script_language(f"{title} {summary[:400]}", language)
        items.append(
            Item(
                feed_id=feed_id,
                identity=identity,
                guid=cap(guid, GUID_MAX) if guid else None,
                url=url,
                title=title,
                summary=summary,
                content=content,
                language=lang,
                published=published,
                fetched=fetched,
                content_hash=content_hash,
                source_url=_absolute(raw.source_href, feed_url),
                source_name=source_name,
                authors=raw.authors,
                repaired=next((f.repaired for f in (*fixes, source) if f.repaired), None),
                garbled=_garbled(fixes),
            )
        )
    return items


def _garbled(fixes: list[Fixed]) -> str | None:
    """Why the title, or the body the matcher reads (content, else summary), is still garbled."""
    title, summary, content = fixes
    body = content if content.text else summary
    if title.garbled:
        return f"title garbled ({title.garbled})"
    return f"text garbled ({body.garbled})" if body.garbled else None
