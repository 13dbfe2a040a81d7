"""Invariants of the bundled demo feeds (bot/demo/feeds/) and of manifest.yaml beside them.

The offline demo serves these files and its runner trusts the manifest: which guids appear on the first
(quiet) poll and which arrive later as news, which items must alert and which are traps, and which items
form one story. These tests keep the files and the manifest honest with each other, so an edit to a feed
that breaks the demo's story fails here rather than in front of a newcomer.

Feeds are parsed the way the application parses them: feedparser on bytes, never on a path or URL.
"""

from __future__ import annotations

import base64
import html
import io
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
import pytest
import yaml

from bot.match import load_lexicon

FEEDS_DIR = Path(__file__).resolve().parents[2] / "bot" / "demo" / "feeds"
MANIFEST = FEEDS_DIR / "manifest.yaml"

# The topic ids the project's lexicon uses; the demo set must exercise every one of them.
TOPICS = set(load_lexicon().topics)
# The runner shifts dates so the news window ends "now"; alerting ignores items older than 48 h, so the
# window must be comfortably shorter than that.
MAX_NEWS_WINDOW = timedelta(hours=36)
ATOM = "{http://www.w3.org/2005/Atom}"
ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
DATE_ELEMENT = re.compile(r"<(pubDate|lastBuildDate|published|updated)>([^<]+)</\1>")


# ---------------------------------------------------------------- helpers


@cache
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def feeds() -> list[dict[str, Any]]:
    return manifest()["feeds"]


def feed_files() -> list[str]:
    return [f["file"] for f in feeds()]


def feed_by_file(name: str) -> dict[str, Any]:
    return next(f for f in feeds() if f["file"] == name)


@cache
def parsed(name: str) -> Any:
    return feedparser.parse(io.BytesIO((FEEDS_DIR / name).read_bytes()))


def raw_text(name: str) -> str:
    return (FEEDS_DIR / name).read_bytes().decode(feed_by_file(name)["encoding"])


def all_items() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(feed, item) pairs over the whole manifest."""
    return [(f, item) for f in feeds() for item in f["items"]]


def items_by_ref() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    return {item["ref"]: (f, item) for f, item in all_items()}


def entry_for(name: str, guid: str) -> Any:
    return next(e for e in parsed(name).entries if e.id == guid)


def plain(markup: str | None) -> str:
    """Markup stripped to text; good enough to compare bodies and count sentences."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", markup or ""))
    return re.sub(r"\s+", " ", text).strip()


def entry_time(entry: Any) -> datetime | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime(*stamp[:6], tzinfo=UTC) if stamp else None


def parse_feed_date(text: str) -> datetime:
    """RFC 822 (RSS) or RFC 3339 (Atom), as written in the files."""
    text = text.strip()
    if re.match(r"^\d{4}-", text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsedate_to_datetime(text)


def without_tracking(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.startswith("utm_")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ---------------------------------------------------------------- the files themselves


def test_manifest_lists_exactly_the_feed_files() -> None:
    on_disk = {p.name for p in FEEDS_DIR.glob("*.xml")}
    assert on_disk == set(feed_files())
    ids = [f["id"] for f in feeds()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"demo-[a-z0-9-]+", i) for i in ids)


@pytest.mark.parametrize("name", feed_files())
def test_feed_parses_cleanly_from_bytes(name: str) -> None:
    meta = feed_by_file(name)
    result = parsed(name)
    assert result.bozo == 0, result.get("bozo_exception")
    assert result.version == {"rss": "rss20", "atom": "atom10"}[meta["format"]]
    assert result.encoding.lower() == meta["encoding"]
    assert result.feed.title == meta["title"]
    assert meta["language"] in {"ar", "en"}
    assert meta["authority"] is (name == "gov_bis.xml")


@pytest.mark.parametrize("name", feed_files())
def test_manifest_guids_are_the_file_guids(name: str) -> None:
    entries = parsed(name).entries
    file_guids = [e.id for e in entries]
    assert len(file_guids) == len(set(file_guids)), "duplicate guid inside one feed"
    listed = {item["guid"]: item for item in feed_by_file(name)["items"]}
    assert set(file_guids) == set(listed)
    for entry in entries:
        assert entry.title == listed[entry.id]["title"]


def test_windows_1256_feed_keeps_its_arabic() -> None:
    data = (FEEDS_DIR / "ar_cp1256.xml").read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="windows-1256"?>')
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = parsed("ar_cp1256.xml")
    assert result.encoding == "windows-1256"
    titles = [e.title for e in result.entries]
    assert all(len(ARABIC_LETTER.findall(t)) >= 10 for t in titles)
    assert "أمريكا تضيف 17 شركة إلى قائمتها السوداء للتصدير بينها 12 شركة صينيـة" in titles
    assert any("انفيديا" in e.summary for e in result.entries)


@pytest.mark.parametrize("name", feed_files())
def test_every_date_falls_in_the_stated_week(name: str) -> None:
    week = manifest()["week"]
    start = datetime.combine(week["start"], datetime.min.time(), UTC)
    end = datetime.combine(week["end"] + timedelta(days=1), datetime.min.time(), UTC)
    stamps = DATE_ELEMENT.findall(raw_text(name))
    assert stamps, "feed without any date"
    for _, text in stamps:
        moment = parse_feed_date(text)
        assert moment.tzinfo is not None, text
        assert start <= moment < end, text
    for entry in parsed(name).entries:
        moment = entry_time(entry)
        assert moment is None or start <= moment < end, entry.id


def test_week_is_the_documented_one() -> None:
    assert manifest()["week"] == {"start": date(2026, 11, 16), "end": date(2026, 11, 22)}


# ---------------------------------------------------------------- phases: quiet first poll, then news


def test_backlog_precedes_the_news_window_and_news_fits_in_it() -> None:
    window = manifest()["news_window"]
    start, end = instant(window["start"]), instant(window["end"])
    assert timedelta(0) < end - start <= MAX_NEWS_WINDOW
    undated = []
    for f, item in all_items():
        assert item["phase"] in {"backlog", "news"}
        moment = entry_time(entry_for(f["file"], item["guid"]))
        if moment is None:
            undated.append(item["ref"])
            # An undated item gets the fetch time; only backlog may lack a date, or it would jump the queue.
            assert item["phase"] == "backlog"
        elif item["phase"] == "news":
            assert start <= moment <= end, item["ref"]
        else:
            assert moment < start, item["ref"]
    assert undated == ["ac-05"]


def test_both_phases_are_populated_in_both_languages() -> None:
    seen = {(f["language"], item["phase"]) for f, item in all_items()}
    assert seen == {("ar", "backlog"), ("ar", "news"), ("en", "backlog"), ("en", "news")}


# ---------------------------------------------------------------- what should alert, and as which story


def test_relevant_and_traps_in_both_languages() -> None:
    seen = defaultdict(set)
    for f, item in all_items():
        seen[item["expect"]].add(f["language"])
    assert dict(seen) == {"relevant": {"ar", "en"}, "trap": {"ar", "en"}}
    traps = [item for _, item in all_items() if item["expect"] == "trap"]
    # Traps are there to be seen not alerting, so they arrive with the news.
    assert len(traps) >= 8
    assert all(item["phase"] == "news" for item in traps)


def test_traps_carry_no_story_labels_and_relevant_items_name_known_topics() -> None:
    covered: set[str] = set()
    for _, item in all_items():
        if item["expect"] == "trap":
            assert "event" not in item and "topics" not in item, item["ref"]
        else:
            assert item["topics"] and set(item["topics"]) <= TOPICS, item["ref"]
            covered |= set(item["topics"])
    assert covered == TOPICS


def test_each_event_spans_three_feeds_and_both_languages() -> None:
    declared = manifest()["events"]
    members: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for f, item in all_items():
        if "event" in item:
            members[item["event"]].append((f, item))
    assert set(members) == set(declared)
    assert len(declared) >= 3
    for label, pairs in members.items():
        assert len({f["id"] for f, _ in pairs}) >= 3, label
        assert {f["language"] for f, _ in pairs} == {"ar", "en"}, label


def test_entity_list_story_includes_the_authority_document() -> None:
    authority = [(f, item) for f, item in all_items() if f["authority"]]
    rule = [item for _, item in authority if item.get("event") == "entity-list-rule"]
    assert len(rule) == 1
    text = plain(entry_for("gov_bis.xml", rule[0]["guid"]).summary)
    assert "91 FR 58123" in text
    assert "3A090" in text
    assert "interim final rule" in text


def test_exact_duplicates_are_the_same_article_with_tracking_parameters() -> None:
    index = items_by_ref()
    copies = [(f, item) for f, item in all_items() if "duplicate_of" in item]
    assert len(copies) >= 2
    for f, item in copies:
        source_feed, source = index[item["duplicate_of"]]
        assert source_feed["id"] != f["id"]
        copy_entry = entry_for(f["file"], item["guid"])
        source_entry = entry_for(source_feed["file"], source["guid"])
        assert copy_entry.title == source_entry.title
        assert plain(copy_entry.summary) == plain(source_entry.summary)
        assert "utm_source=rss" in copy_entry.link
        assert copy_entry.link != source_entry.link
        assert without_tracking(copy_entry.link) == source_entry.link
        assert (item.get("event"), item["expect"]) == (source.get("event"), source["expect"])


def test_syndicated_copies_are_light_edits_with_a_related_line() -> None:
    index = items_by_ref()
    copies = [(f, item) for f, item in all_items() if "syndicated_from" in item]
    assert len(copies) >= 2
    for f, item in copies:
        source_feed, source = index[item["syndicated_from"]]
        assert source_feed["id"] != f["id"]
        copy_entry = entry_for(f["file"], item["guid"])
        source_entry = entry_for(source_feed["file"], source["guid"])
        assert copy_entry.title != source_entry.title
        copy_text, source_text = plain(copy_entry.summary), plain(source_entry.summary)
        assert "Related:" in copy_text and "Related:" not in source_text
        source_words = source_text.split()
        kept = sum(1 for word in source_words if word in set(copy_text.split()))
        assert 0.9 <= kept / len(source_words) < 1.0, item["ref"]
        assert item.get("event") == source.get("event")


def test_aggregator_ids_carry_the_publisher_url() -> None:
    """Google-News-style links hide the publisher URL in a base64url protobuf (08 13 22 len url ...)."""
    for item in feed_by_file("google_news_ar.xml")["items"]:
        entry = entry_for("google_news_ar.xml", item["guid"])
        blob = base64.urlsafe_b64decode(item["guid"] + "=" * (-len(item["guid"]) % 4))
        assert blob[:3] == b"\x08\x13\x22"
        url = blob[4 : 4 + blob[3]].decode()
        assert url == item["publisher_url"]
        assert urlsplit(entry.source.href).netloc == urlsplit(url).netloc
        assert entry.title.endswith(" - " + entry.source.title)
        assert "summary" not in entry  # title-only, like the real aggregator search feeds


# ---------------------------------------------------------------- the awkward inputs the demo exercises


def test_required_oddities_are_present() -> None:
    entries = [(name, e) for name in feed_files() for e in parsed(name).entries]
    assert [e.id for _, e in entries if entry_time(e) is None] == [
        "https://www.sawtalaamal.example/News/Details.aspx?id=55102"
    ]
    assert [e.id for _, e in entries if not e.get("link")] == ["urn:meridianwire:brief:20261120-markets-close"]

    root = ET.fromstring((FEEDS_DIR / "ar_world.xml").read_bytes())
    content_only = [
        entry
        for entry in root.iter(f"{ATOM}entry")
        if entry.find(f"{ATOM}summary") is None and entry.find(f"{ATOM}content") is not None
    ]
    assert len(content_only) == 1
    assert content_only[0].find(f"{ATOM}content").get("type") == "html"
    # A relative alternate link, resolved against xml:base.
    assert "https://www.almarsad.example/world/2026/11/20/us-entity-list-17-firms" in {
        e.link for e in parsed("ar_world.xml").entries
    }

    summaries = [e.get("summary", "") for _, e in entries]
    assert any(re.search(r'<a href="/[^"]+"', s) for s in summaries), "a relative link inside a body"
    assert any("&amp;" in s for s in summaries), "an HTML entity inside a body"
    assert sum("<p>" in s for s in summaries) >= 8


def test_arabic_spelling_variety_is_exercised() -> None:
    arabic = "\n".join(raw_text(f["file"]) for f in feeds() if f["language"] == "ar")
    for variant in (
        "ترامب",
        "ترمب",
        "بينغ",
        "بينج",
        "إنفيديا",
        "انفيديا",
        "لـ«إنفيديا»",
        'بـ"قائمة الكيانات"',
        "«إتش 20»",
        "H20",
        "أميركا",
        "أمريكا",
    ):
        assert variant in arabic, variant
    assert re.search(r"\w\u0640{2,}\w", arabic), "tatweel inside a word"
    assert re.search(r"[\u0660-\u0669]", arabic), "Arabic-Indic digits"
    assert "\u0651" in arabic, "a shadda"


@pytest.mark.parametrize("name", feed_files())
def test_bodies_are_short(name: str) -> None:
    for entry in parsed(name).entries:
        text = plain(entry.get("summary"))
        if name == "google_news_ar.xml":
            assert text == ""
            continue
        sentences = re.findall(r"[.!?؟][\"”»']?(?=\s|$)", text)
        assert 1 <= len(sentences) <= 4, (entry.id, text)


def test_set_size() -> None:
    per_language = defaultdict(int)
    for f, _ in all_items():
        per_language[f["language"]] += 1
    assert 35 <= sum(per_language.values()) <= 50
    assert per_language["ar"] >= 15 and per_language["en"] >= 15
