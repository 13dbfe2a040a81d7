"""The common feed read with lxml, exactly as feedparser reads it: a fast path, with feedparser the fallback.

feedparser is a SAX parser with a Python call for every tag and text run, and most of a poll's parse time: ~0.3 ms
an item, against ~0.02 ms for lxml's C parser and a walk over the few elements we keep. Most feeds are one
simple shape: well-formed RSS 2.0 in UTF-8 whose items hold a title, link, description, GUID, date, categories,
authors, a ``content:encoded``, a ``<source>`` and media elements. ``read_simple`` reads that shape and returns
the ``ParsedFeed`` feedparser would give (the same text transforms, URL joins and date parser: feedparser's own
functions where they exist); for anything else — another format, a DOCTYPE, an encoding other than UTF-8, an
``xml:base`` or ``xml:lang``, an element or attribute outside the lists below, markup inside a text element, a
repeated text element — it returns None and the caller asks feedparser. The lists are closed on purpose: an
element feedparser knows by a name we do not list might change a field we read (``dc:title`` is a title,
``media:description`` a summary, an item's ``atom:link`` its link), so an unknown name is never skipped.

``tests/parse/test_fast_path.py`` holds the two readers equal on every corpus we have and on generated feeds.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from feedparser import urls as fp_urls
from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from lxml import etree

from bot.parse.charset import _CHARSET, _XML_ENCODING
from bot.text.urls import is_plain_absolute

_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_MEDIA = "{http://search.yahoo.com/mrss/}"
_SY = "{http://purl.org/rss/1.0/modules/syndication/}"
_ATOM = "{http://www.w3.org/2005/Atom}"

# Item children whose text we read, and those feedparser stores where we never look (tags, enclosures, media).
_ITEM_TEXT = {
    "title": "title",
    "link": "link",
    "description": "summary",
    "guid": "id",
    "pubDate": "published",
    f"{_DC}date": "updated",
    "author": "author",
    f"{_DC}creator": "author",
    f"{_CONTENT}encoded": "content",
    "source": "source",
}
_ITEM_IGNORED = {
    "category",
    "comments",
    "enclosure",
    f"{_MEDIA}content",
    f"{_MEDIA}thumbnail",
    f"{_DC}subject",
    "{http://wellformedweb.org/CommentAPI/}commentRss",
    "{http://purl.org/rss/1.0/modules/slash/}comments",
}
# Attributes a listed element may carry: feedparser reads these (or none) and nothing else changes.
_ITEM_ATTRS: dict[str, frozenset[str]] = {
    "guid": frozenset({"isPermaLink"}),
    "source": frozenset({"url"}),
    "category": frozenset({"domain"}),
    "enclosure": frozenset({"url", "length", "type"}),
}
_ANY_ATTRS = {f"{_MEDIA}content", f"{_MEDIA}thumbnail"}
_CHANNEL_TEXT = {"title": "title", "link": "link", "ttl": "ttl"}
_CHANNEL_TEXT |= {f"{_SY}updatePeriod": "sy_updateperiod", f"{_SY}updateFrequency": "sy_updatefrequency"}
_CHANNEL_IGNORED = {
    "description",
    "language",
    "copyright",
    "managingEditor",
    "webMaster",
    "pubDate",
    "lastBuildDate",
    "category",
    "generator",
    "docs",
    f"{_SY}updateBase",
}
_IMAGE = {"url", "title", "link", "width", "height", "description"}
_MEDIA_TYPES = ("application/rss+xml", "application/xml", "text/xml")
_LINK_REF = re.compile("&([A-Za-z0-9_]+);")


class _NotSimple(Exception):
    """The document is outside the shape read here: feedparser reads it."""


def read_simple(body: bytes, *, url: str, headers: Mapping[str, str], build: Callable[..., Any]) -> Any | None:
    """``build(feed, entries, encoding)`` of the document's feedparser-shaped dictionaries, or None when the
    document is not one this path reads exactly as feedparser does. ``headers`` have lowercase names."""
    encoding = _encoding(body, headers)
    if encoding is None or not url.startswith(("http://", "https://")) or "content-language" in headers:
        return None
    if b"<!DOCTYPE" in body[:4096] or b"<!ENTITY" in body or b"xml:lang" in body or b"xml:base" in body:
        return None
    parser = etree.XMLParser(
        encoding="utf-8", resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    # Namespace errors are not fatal to libxml2 but are to feedparser's expat; declarations below the root
    # change what feedparser stores for an element (its attributes), so both go to feedparser.
    if len(parser.error_log) or body.count(b"xmlns") != len(root.nsmap):
        return None
    try:
        feed, entries = _rss(root, url)
    except _NotSimple:
        return None
    return build(feed, entries, encoding)


def _encoding(body: bytes, headers: Mapping[str, str]) -> str | None:
    """The encoding feedparser would report for a UTF-8 body it reads without complaint; None otherwise."""
    content_type = headers.get("content-type", "application/xml")
    media = content_type.split(";", 1)[0].strip().lower()
    charset = _CHARSET.search(content_type)
    if media not in _MEDIA_TYPES or body.startswith(b"\xef\xbb\xbf"):
        return None
    if charset is not None:
        name = charset.group(1)
        return name if name.lower() == "utf-8" else None
    if media == "text/xml":  # no charset on text/xml: feedparser overrides it and flags the feed
        return None
    declared = _XML_ENCODING.match(body[:512])
    if declared is not None and declared.group(1).lower() != b"utf-8":
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "utf-8"


def _rss(root: Any, base: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if root.tag != "rss" or not root.get("version", "").startswith("2.") or set(root.attrib) != {"version"}:
        raise _NotSimple
    channels = _elements(root)
    if len(channels) != 1 or channels[0].tag != "channel" or channels[0].attrib:
        raise _NotSimple
    feed: dict[str, Any] = {}
    entries: list[dict[str, Any]] = []
    for el in _elements(channels[0]):
        tag = el.tag
        if tag == "item":
            entries.append(_item(el, base))
        elif tag in _CHANNEL_TEXT:
            key = _CHANNEL_TEXT[tag]
            if key in feed or el.attrib or len(el):
                raise _NotSimple
            value = _finish(el.text or "")
            feed[key] = _LINK_REF.sub(r"&\g<1>", fp_urls._urljoin(base, value)) if key == "link" and value else value
        elif tag == "image":
            if el.attrib or any(c.tag not in _IMAGE or len(c) or c.attrib for c in _elements(el)):
                raise _NotSimple
        elif tag == f"{_ATOM}link":
            # a self or hub link only: an alternate one (the default) would be the feed's link
            if len(el) or el.get("rel") in (None, "alternate"):
                raise _NotSimple
        elif tag not in _CHANNEL_IGNORED or len(el) or el.attrib:
            raise _NotSimple
    return feed, entries


def _item(item: Any, base: str) -> dict[str, Any]:
    if item.attrib:
        raise _NotSimple
    e: dict[str, Any] = {}
    authors: list[dict[str, str]] = []
    for el in _elements(item):
        tag = el.tag
        if len(el) or (el.attrib and tag not in _ANY_ATTRS and not set(el.attrib) <= _ITEM_ATTRS.get(tag, frozenset())):
            raise _NotSimple
        key = _ITEM_TEXT.get(tag)
        if key is None:
            if tag not in _ITEM_IGNORED:
                raise _NotSimple
            continue
        if key in e and key != "author":
            raise _NotSimple
        raw = el.text or ""
        if key == "author":
            if "@" in raw:  # feedparser splits "name (email)": only plain names are read here
                raise _NotSimple
            name = _finish(raw)
            e["author"] = name
            authors.append({"name": name} if name else {})
        elif key == "id":
            permalink = el.get("isPermaLink", "true") == "true"
            value = _finish(raw, base if permalink else None)
            e["id"] = value
            e["_permalink"] = permalink
        elif key == "link":
            value = _finish(raw, base)
            e["link"] = _LINK_REF.sub(r"&\g<1>", value.replace("&amp;", "&"))
        elif key in ("published", "updated"):
            e[key] = _parse_date(_finish(raw))
        elif key == "source":
            source: dict[str, str] = {}
            if el.get("url") is not None:
                source["href"] = el.get("url")
            title = _finish(raw)
            if title:
                source["title"] = title
            e["source"] = source
        else:  # title, summary, content
            e[key] = _finish(raw)
    return _entry_dict(e, authors)


def _entry_dict(e: dict[str, Any], authors: list[dict[str, str]]) -> dict[str, Any]:
    """The keys ``bot.parse._entry`` reads, as feedparser leaves them."""
    out: dict[str, Any] = {"title_detail": {"language": None}}
    if "id" in e:
        out["id"] = e["id"]
    if "link" in e:
        out["link"] = e["link"]
    elif e.get("_permalink"):  # a permalink GUID is the link of an item without one
        out["link"] = e["id"]
    if "title" in e:
        out["title"] = e["title"]
    if "content" in e:
        out["content"] = [{"value": e["content"]}]
    # a description is the summary; without one, the content is copied there
    if "summary" in e:
        out["summary"] = e["summary"]
    elif "content" in e:
        out["summary"] = e["content"]
    out["published_parsed"] = e.get("published")
    out["updated_parsed"] = e.get("updated")
    if "source" in e:
        out["source"] = e["source"]
    if authors:
        out["authors"] = authors
    return out


def _elements(parent: Any) -> list[Any]:
    """``parent``'s child elements. Comments and processing instructions between them are skipped, as feedparser
    skips them; inside a text element they would split its text, and ``len(el)`` refuses those."""
    out = []
    for node in parent:
        if isinstance(node.tag, str):
            out.append(node)
        elif node.tag is not etree.Comment and node.tag is not etree.PI:
            raise _NotSimple  # an entity reference, or anything else lxml can hold
    return out


def _finish(text: str, base: str | None = None) -> str:
    """What feedparser's ``pop`` makes of an element's text: stripped, joined to the base when it is a URI,
    UTF-8 read as latin-1 undone, and windows-1252's C1 characters mapped to theirs."""
    out = text.strip()
    if base is not None and out and not is_plain_absolute(out):  # a plain absolute URL joins to itself
        out = fp_urls._urljoin(base, out)
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        out = out.encode("iso-8859-1").decode("utf-8")
    return out.translate(_cp1252)
