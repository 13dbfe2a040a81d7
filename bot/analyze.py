"""The CPU-bound middle of a refresh — parse → normalize → match — as one picklable function.

The service runs it in a process pool so that parsing hundreds of feeds uses every core and never blocks
the event loop; tests and small runs call it in a thread. It knows nothing of HTTP or the database.
A ``lexicon:`` extension in feeds.yaml travels to the workers as a string (``lexicon_key``), never as a
classifier object: whatever the feeds file says, parse and match stay in the pool.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from bot.normalize import Item, normalize_entries
from bot.parse import BrokenFeedError, ParsedFeed, ParseError, parse_feed
from bot.parse.charset import body_charset, with_charset
from bot.text.mojibake import repair

Features = dict[str, tuple[Any, Any]]  # identity → (near-duplicate signature, fact fingerprint) of the body


@dataclass(frozen=True)
class Analysis:
    """One feed document, analysed: what the writer stores (``bot.ingest.job.StoreJob`` takes ``items``,
    ``verdicts``, ``features`` and ``canonical`` as they are) and what the pipeline reports.

    This is the one place an item's verdict, story features and canonical URL are computed: the writer
    computes none of them again (a thin item read again from its page is judged again here, ``judge``)."""

    title: str | None
    bozo_reason: str | None
    entries: int
    items: list[Item]
    verdicts: dict[str, Any]  # identity → bot.match.Classification
    # Story features of every relevant item, computed here rather than in the single writer thread.
    features: Features
    canonical: dict[str, str | None]  # identity → canonical URL (``bot.stories.urls.publisher_url``)
    ask: tuple[float, str] | None = None  # the pace the document asks for (``bot.parse.pacing``)
    charset: str | None = None  # why the body was read in another charset than the one declared
    repaired: int = 0  # items whose text was mojibake, repaired
    garbled: int = 0  # items whose text is still garbled: stored, judged not relevant
    garbled_reason: str | None = None  # the first of them's


@lru_cache(maxsize=4)
def classifier_for(lexicon_key: str | None) -> Callable[..., Any]:
    import json
    from functools import partial

    from bot.match import classify, load_lexicon

    if lexicon_key is None:
        return classify
    return partial(classify, lexicon=load_lexicon(json.loads(lexicon_key)))


def lexicon_key(extra: Mapping[str, Any] | None) -> str | None:
    import json

    return json.dumps(extra, sort_keys=True, ensure_ascii=False) if extra else None


def analyze(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str],
    feed_id: str,
    language: str,
    fetched: datetime,
    lexicon: str | None = None,
    classifier: Callable[..., Any] | None = None,
) -> Analysis:
    """Raises a ``bot.parse.ParseError`` (``code`` says which) and nothing else: whatever goes wrong on
    one feed's content is that feed's failure, recorded on its row, never an exception in the service.

    A wrong charset declaration is overruled by the bytes (``bot.parse.charset.body_charset``); text that is
    still garbled after repair (``bot.text.mojibake``) is judged not relevant without being matched."""
    try:
        parsed, charset = parse_body(body, url=url, headers=headers)
    except ParseError:
        raise
    except Exception as exc:
        raise BrokenFeedError.of("parsing", exc) from exc
    try:
        items = normalize_entries(parsed.entries, feed_id=feed_id, feed_url=url, language=language, fetched=fetched)
        verdicts, features = judge(items, lexicon, classifier)
        canonical = canonical_urls(items)
    except Exception as exc:
        raise BrokenFeedError.of("normalizing and matching", exc, "normalize_error") from exc
    garbled = [i.garbled for i in items if i.garbled]
    return Analysis(
        repair(parsed.title).text if parsed.title else None,
        parsed.bozo_reason if parsed.bozo else None,
        len(parsed.entries),
        items,
        verdicts,
        features,
        canonical,
        parsed.ask,
        charset=charset,
        repaired=sum(bool(i.repaired) for i in items),
        garbled=len(garbled),
        garbled_reason=garbled[0] if garbled else None,
    )


def judge(
    items: Sequence[Item], lexicon: str | None = None, classifier: Callable[..., Any] | None = None
) -> tuple[dict[str, Any], Features]:
    """Each item's verdict, and the story features of the relevant ones.

    A text already judged in this process is not judged again: when a story breaks, outlets carry the wire
    copy word for word, and a poll cycle can hold the same text hundreds of times (issue 14's workload: 125
    copies of each). The memo is keyed by the classifier's inputs (lexicon, language, title, body), so a
    copy gets exactly the verdict and features its text would get afresh."""
    classify = classifier or classifier_for(lexicon)
    memo = _memo if classifier is None else None
    verdicts: dict[str, Any] = {}
    features: Features = {}
    fresh: list[tuple[Item, bytes | None]] = []
    for i in items:
        if i.garbled:
            verdicts[i.identity] = withheld(i.garbled)
            continue
        key = _content_key(i, lexicon) if memo is not None else None
        known = memo.get(key) if memo is not None and key is not None else None
        if known is not None:
            verdicts[i.identity] = known[0]
            if known[1] is not None:
                features[i.identity] = known[1]
            continue
        verdicts[i.identity] = classify(i.title, i.content or i.summary, i.language)
        fresh.append((i, key))
    computed = story_features([i for i, _ in fresh if verdicts[i.identity].relevant])
    features.update(computed)
    if memo is not None:
        for i, key in fresh:
            if key is not None:
                memo.put(key, (verdicts[i.identity], computed.get(i.identity)))
    return verdicts, features


def _content_key(item: Item, lexicon: str | None) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for part in (lexicon or "", item.language or "", item.title or "", item.content or item.summary or ""):
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.digest()


class _Memo:
    """A small LRU of judged texts (content key → (verdict, features or None)), shared by a process's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[bytes, tuple[Any, tuple[Any, Any] | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> tuple[Any, tuple[Any, Any] | None] | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: bytes, value: tuple[Any, tuple[Any, Any] | None]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


# Texts, not items: copies of one story arrive within a cycle or two. ~3 KB each (a verdict, a 128-value
# signature, a fingerprint): ~3 MB per process at most.
MEMO_SIZE = 1024
_memo = _Memo(MEMO_SIZE)


def parse_body(body: bytes, *, url: str, headers: Mapping[str, str]) -> tuple[ParsedFeed, str | None]:
    """``parse_feed`` in the charset the bytes are really in; the second value says why, when that is not
    the declared one (``bot.parse.charset.body_charset``)."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    charset = body_charset(body, content_type)
    parsed = parse_feed(body, url=url, headers=with_charset(headers, charset[0]) if charset else dict(headers))
    return parsed, charset[1] if charset else None


def withheld(reason: str) -> Any:
    """The verdict on an item whose text is garbled: not relevant, with the reason. The matcher never sees
    it: mojibake can hold any word by chance, and nothing a reader cannot read is alerted."""
    from bot.match import Classification

    return Classification(False, 0.0, None, (), (), (f"not relevant: {reason}",), 0.0)


def story_features(items: Sequence[Item]) -> Features:
    """identity → (signature, fingerprint) of each item's body, as ``bot.stories.assign`` computes them.
    ``judge`` gives them for the relevant items; a caller that has its verdicts already (tests, benchmarks,
    the real-world eval) passes the relevant items here."""
    from bot.stories.fingerprint import fingerprint
    from bot.stories.signatures import signature

    if not items:
        return {}
    out: Features = {}
    # One feed at a time: the first call reads the term map and compiles its patterns (~0.13 s of CPU), and
    # feeds analysed in threads at once would each do it (a 5-feed first poll did it five times). Threads
    # lose no parallelism (this is Python under the GIL); each pool worker has a lock of its own.
    with _features_lock:
        for i in items:
            body = i.content or i.summary
            out[i.identity] = (signature(body), fingerprint(i.title, body))
    return out


_features_lock = threading.Lock()


def canonical_urls(items: Sequence[Item]) -> dict[str, str | None]:
    """identity → the URL copies of one article share (an aggregator's link → the publisher's page): the
    stored ``canonical_url``, the exact-copy lookup's key and an off-topic alert's outbox key."""
    from bot.stories.urls import publisher_url

    return {i.identity: publisher_url(i.url, i.source_url) for i in items}


def warm_up(lexicon: str | None = None) -> None:
    """Process-pool initializer: load the lexicon once per worker, not on the first feed.

    ``lexicon`` is the feeds file's ``lexicon:`` extension (``lexicon_key``), so a worker matches with
    the same lexicon as the main process. The compiled lexicon comes from the disk cache
    (``bot.match.cache``, keyed by content, extension included): a worker builds nothing the main
    process or an earlier worker already built. A job for another extension (after a reload) loads that
    one by its key in the same way."""
    classifier_for(lexicon)("warm up", "")


def worker_stats() -> dict[str, int]:
    """This process's pid and the lexicons it built (rather than loaded from the cache): tests and
    benchmarks submit it to the pool to see that the workers start cheaply."""
    import os

    from bot.match import lexicon

    return {"pid": os.getpid(), "lexicon_builds": lexicon.build_count()}
