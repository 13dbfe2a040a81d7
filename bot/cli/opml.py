"""`raqib feeds import` and `raqib feeds export`: OPML, the RSS world's exchange format.

An import takes only the feeds not yet configured (by URL), refuses what the configuration would not poll
(local files, this host's network) and writes nothing unless the whole file still validates; an export carries
Raqib's own fields in the ``raqib:`` namespace so a file goes out and comes back unchanged.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

import yaml
from pydantic import ValidationError

from bot.config import ConfigError, Env, FeedConfig, FeedsFile, load_config, parse_config
from bot.normalize import script_language

RAQIB_NS = "urn:raqib:opml:1"  # the namespace of Raqib's own outline attributes (id, authority, tags, …)
_NS = f"{{{RAQIB_NS}}}"


def export_opml(config: FeedsFile, in_use: dict[str, str] | None = None) -> str:
    """The feeds as OPML 2.0, each ``xmlUrl`` being the URL in use.

    ``in_use`` maps a feed id to the URL the service polls now (its stored URL, moved by a permanent
    redirect). Where that differs from the feeds file, ``xmlUrl`` is the new URL — what another reader
    should subscribe to — and ``raqib:configuredUrl`` keeps the file's URL, so an import back into Raqib
    recognises the feed. Raqib's own fields travel in the ``raqib:`` namespace: ``id``, ``authority``,
    ``tags``, ``disabled``; other readers ignore them.
    """
    in_use = in_use or {}
    moved = [f for f in config.feeds if in_use.get(f.id, f.url) != f.url]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<opml version="2.0" xmlns:raqib="{RAQIB_NS}">',
        "  <head><title>Raqib feeds</title></head>",
    ]
    if moved:
        lines.append(
            f"  <!-- xmlUrl is the URL in use: {len(moved)} feed{'s' if len(moved) != 1 else ''} moved by a permanent"
            " redirect (raqib:configuredUrl is the URL in the feeds file; update the file to match) -->"
        )
    lines.append("  <body>")
    for f in config.feeds:
        title = quoteattr(f.title or f.id)
        url = in_use.get(f.id, f.url)
        attrs = [
            'type="rss"',
            f"text={title}",
            f"title={title}",
            f"xmlUrl={quoteattr(url)}",
            f"language={quoteattr(f.language)}",
        ]
        if f.tags:
            attrs.append(f"category={quoteattr(','.join(f.tags))}")
        attrs.append(f"raqib:id={quoteattr(f.id)}")
        if url != f.url:
            attrs.append(f"raqib:configuredUrl={quoteattr(f.url)}")
        if f.authority:
            attrs.append('raqib:authority="true"')
        if f.tags:
            attrs.append(f"raqib:tags={quoteattr(','.join(f.tags))}")
        if not f.enabled:
            attrs.append('raqib:disabled="true"')
        lines.append(f"    <outline {' '.join(attrs)}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


class FeedIds:
    """Unique feed ids from titles: one counter per base, so n outlines with one title cost O(n) probes.

    (Trying ``-2``, ``-3``, … from the start for each new copy made 20,000 outlines with one title cost
    200 million set lookups.) ``probes`` counts the lookups, for the test that pins the bound.
    """

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)
        self.next: dict[str, int] = {}
        self.probes = 0

    def claim(self, wanted: str | None) -> str | None:
        """``wanted`` (an id carried by the file) when it is a valid id nobody holds; None otherwise."""
        if not wanted or not _ID.fullmatch(wanted) or wanted in self.taken:
            return None
        self.taken.add(wanted)
        return wanted

    def new(self, text: str) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "feed"
        n = self.next.get(base, 1)
        slug = base if n == 1 else f"{base}-{n}"
        self.probes += 1
        while slug in self.taken:  # only ids taken by something else than this counter: each is passed once
            n += 1
            slug = f"{base}-{n}"
            self.probes += 1
        self.next[base] = n + 1
        self.taken.add(slug)
        return slug


_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")  # FeedConfig.id's pattern
_MAX_TAGS = 20


def _raqib_fields(outline: ET.Element) -> dict[str, object]:
    """authority, tags and disabled state from an outline's ``raqib:`` attributes (as ``feeds export`` writes)."""
    out: dict[str, object] = {}
    tags = [t.strip()[:64] for t in (outline.get(f"{_NS}tags") or "").split(",") if t.strip()]
    if tags:
        out["tags"] = list(dict.fromkeys(tags))[:_MAX_TAGS]
    if (outline.get(f"{_NS}authority") or "").strip().lower() == "true":
        out["authority"] = True
    if (outline.get(f"{_NS}disabled") or "").strip().lower() == "true":
        out["enabled"] = False
    return out


MAX_OPML_BYTES = 8 * 1024 * 1024  # a few thousand feeds take well under 1 MB
MAX_OUTLINES = 5000  # outlines of any kind (folders included) in one import
_TITLE_CHARS = 200


def _outlines(opml: Path) -> list[ET.Element] | str:
    """The file's outlines, or why it is refused (too big, too many outlines, not XML)."""
    try:
        if opml.stat().st_size > MAX_OPML_BYTES:
            return f"larger than {MAX_OPML_BYTES // (1024 * 1024)} MiB; nothing imported (split the file)"
        found: list[ET.Element] = []
        # iterparse: counting stops at the cap instead of building the whole tree first.
        for _, element in ET.iterparse(opml, events=("end",)):  # noqa: S314 - expat refuses entity bombs (2.4.1+)
            if element.tag == "outline":
                found.append(element)
                if len(found) > MAX_OUTLINES:
                    return f"more than {MAX_OUTLINES:,} outlines; nothing imported (split the file)"
        return found
    except (OSError, ET.ParseError) as exc:
        return f"not a readable OPML file: {exc}"


def _refusal(url: str, *, allow_file: bool, allow_private: bool) -> str | None:
    """Why ``url`` is not imported, or None. The poll-time guard (``bot.fetch.guard``) still checks every
    fetch; here a list from elsewhere is kept from even naming local files or this host's network."""
    from bot.fetch.guard import is_forbidden_address

    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return "not a valid URL"
    if parts.scheme.lower() == "file":
        return None if allow_file else "file: URLs are not imported (allow_file_urls is off)"
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {parts.scheme or '(none)'!r}: only http and https feeds"
    if not host:
        return "no host"
    if allow_private:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return "a local address (allow_private_addresses is off)"
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        try:  # the shorthand forms a resolver accepts too: 2130706433, 0x7f.1, 127.1
            ip = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None  # a name: resolved, and refused if private, when it is polled
    if is_forbidden_address(ip):
        return f"a private or reserved address ({ip}; allow_private_addresses is off)"
    return None


_EMPTY_FEEDS = re.compile(r"^feeds:[ \t]*\[[ \t]*\]([ \t]*(?:#.*)?)$", re.MULTILINE)


def import_opml(opml: Path, config_file: Path, language: str | None, write: bool, *, env: Env) -> int:
    """Feeds of ``opml`` not yet configured (by URL) are printed as YAML, or appended with ``write``.

    Every outline that is not imported gets one line on stderr saying why; nothing is written unless
    every feed appended passes the configuration's validation.
    """
    outlines = _outlines(opml)
    if isinstance(outlines, str):
        print(f"raqib: {opml}: {outlines}", file=sys.stderr)
        return 2
    config = load_config(config_file) if config_file.exists() else FeedsFile()
    allow_private = config.settings.allow_private_addresses or env.raqib_allow_private_addresses
    known = {f.url for f in config.feeds}
    ids = FeedIds({f.id for f in config.feeds})
    new: list[dict[str, object]] = []
    for outline in outlines:
        url = (outline.get("xmlUrl") or "").strip()
        configured = (outline.get(f"{_NS}configuredUrl") or "").strip()
        if not url or url in known or (configured and configured in known):
            continue  # already configured, under its URL in use or (exported by Raqib) its configured one
        known.add(url)
        why = _refusal(url, allow_file=config.settings.allow_file_urls, allow_private=allow_private)
        if why is not None:
            print(f"raqib: refused {url[:200]}: {why}", file=sys.stderr)
            continue
        title = (outline.get("title") or outline.get("text") or url)[:_TITLE_CHARS]
        lang = outline.get("language", "")[:2].lower()
        if lang not in ("ar", "en"):
            lang = script_language(title * 3, language or "")
        if lang not in ("ar", "en"):
            print(f"raqib: skipped {url[:200]}: language unclear (use --language ar|en)", file=sys.stderr)
            continue
        entry: dict[str, object] = {
            "id": ids.claim(outline.get(f"{_NS}id")) or ids.new(title if title.isascii() else url.split("//")[-1]),
            "url": url,
            "language": lang,
            "title": title,
        }
        entry.update(_raqib_fields(outline))
        try:
            FeedConfig.model_validate(entry)
        except ValidationError as exc:
            print(f"raqib: refused {url[:200]}: {exc.errors()[0]['msg']}", file=sys.stderr)
            continue
        new.append(entry)
    snippet = yaml.safe_dump(new, allow_unicode=True, sort_keys=False)
    if not new:
        print("nothing to import: every feed is already configured")
        return 0
    if not write:
        print("# add under feeds: in your feeds file (or rerun with --write)")
        print(snippet, end="")
        return 0
    text = config_file.read_text(encoding="utf-8") if config_file.exists() else "feeds:\n"
    # An empty flow list (``feeds: []``, as a fresh file has it) becomes a block list to append to.
    text = _EMPTY_FEEDS.sub(r"feeds:\1", text)
    indented = "".join(f"  {line}\n" for line in snippet.splitlines())
    candidate = text.rstrip("\n") + "\n" + indented
    try:
        merged = parse_config(candidate, str(config_file))
        if len(merged.feeds) != len(config.feeds) + len(new):
            raise ConfigError("feeds: must be the last top-level key of the file to append to it")
    except ConfigError as exc:
        print(f"raqib: not written: {exc}", file=sys.stderr)
        return 2
    config_file.write_text(candidate, encoding="utf-8")
    print(f"added {len(new)} feeds to {config_file}")
    return 0
