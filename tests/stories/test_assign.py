"""``assign_story`` against a real SQLite file: candidates from the in-process cache, incremental summary
columns equal to a full recompute, exact copies, another process's writes, rollbacks and late backlog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.stories.assign import Assignment, StoryIndex, refresh_story
from storage.db import session
from storage.tables import Feed, ItemRow, MatchEntity, Story, StoryItem
from tests.fakes.store import assign_story

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
_ids = count(1)


@dataclass(frozen=True)
class Hit:
    id: str


@dataclass(frozen=True)
class Verdict:
    entities: tuple[Hit, ...]
    score: float = 0.7
    severity: str | None = "high"
    topics: tuple[str, ...] = ("entity-list",)


BODY_EN = (
    "The Commerce Department added 23 companies to the Entity List on Thursday, citing the diversion of "
    "advanced accelerators through trading houses in three countries. The rule takes effect at once and "
    "requires a licence for every export to the listed firms, officials said in a statement."
)
BODY_AR = (
    "أضافت وزارة التجارة الأمريكية يوم الخميس 23 شركة إلى قائمة الكيانات بسبب تحويل مسرعات متقدمة عبر "
    "شركات تجارية في ثلاث دول. وتسري القاعدة فورا وتشترط ترخيصا لكل صادرات إلى الشركات المدرجة بحسب بيان رسمي."
)


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    with session(sqlite_engine) as s:
        for fid, lang, auth in (("wire", "en", False), ("ar", "ar", False), ("gnews", "ar", False), ("fr", "en", True)):
            s.add(Feed(id=fid, url=f"https://{fid}.example/rss", configured_url="x", language=lang, authority=auth))
        s.commit()
    return sqlite_engine


def add_item(
    s: Session,
    feed: str,
    title: str,
    body: str = "",
    *,
    hours: float = 0.0,
    lang: str = "en",
    url: str | None = None,
    ents: tuple[str, ...] = ("entity-list", "united-states", "china"),
) -> tuple[ItemRow, Verdict]:
    n = next(_ids)
    t = NOW - timedelta(hours=hours)
    row = ItemRow(
        id=n, feed_id=feed, identity=f"i{n}", url=url, canonical_url=url or f"https://{feed}.example/{n}",
        title=title, summary=body, content="", language=lang, published=t, fetched=t, content_hash=f"h{n}",
    )  # fmt: skip
    s.execute(insert(ItemRow), [row.model_dump()])
    s.execute(insert(MatchEntity), [{"item_id": n, "entity": e, "published": t} for e in ents])
    return row, Verdict(tuple(Hit(e) for e in ents))


def assign(s: Session, index: StoryIndex, row: ItemRow, v: Verdict, *, authority: bool = False) -> Assignment:
    return assign_story(s, row, v, authority=authority, index=index, now=NOW)


def summary(s: Session, story_id: int) -> tuple:
    st = s.get(Story, story_id)
    assert st is not None
    s.refresh(st)
    return (
        st.lead_item_id, st.authority_item_id, st.member_count, st.source_count, st.languages,
        st.first_published, st.last_published, st.score, st.severity, st.topics,
    )  # fmt: skip


def test_story_grows_across_feeds_languages_and_a_title_only_item(engine: Engine) -> None:
    index = StoryIndex()
    with index.lock, session(engine) as s:
        en, v = add_item(s, "wire", "Commerce adds 23 firms to Entity List over chip diversion", BODY_EN, hours=5)
        first = assign(s, index, en, v)
        assert first.new_story
        ar, v = add_item(s, "ar", "أمريكا تضيف 23 شركة إلى قائمة الكيانات", BODY_AR, hours=4, lang="ar")
        assert assign(s, index, ar, v).story_id == first.story_id
        # a Google News entry: title only, the outlet stripped by the normalizer
        gn, v = add_item(s, "gnews", "واشنطن تدرج 23 شركة على قائمة الكيانات", hours=3, lang="ar")
        joined = assign(s, index, gn, v)
        assert joined.story_id == first.story_id and not joined.new_story, joined.reason
        # the authority's document becomes the lead even though it came later
        fr, v = add_item(s, "fr", "Additions to the Entity List", BODY_EN + " 23 entities.", hours=1)
        assert assign(s, index, fr, v, authority=True).story_id == first.story_id
        s.commit()
        incremental = summary(s, first.story_id)
        assert incremental[0] == fr.id and incremental[1] == fr.id
        assert incremental[2:5] == (4, 4, "ar en")
        refresh_story(s, first.story_id, NOW)
        assert summary(s, first.story_id) == incremental


def test_sources_are_counted_once_per_feed_across_transactions(engine: Engine) -> None:
    """A grown story's count of sources is counted in the database at the flush (not read per story): a feed
    already in the story adds none, a new one adds one, whichever transaction brought them."""
    index = StoryIndex()
    with index.lock, session(engine) as s:
        first, v = add_item(s, "wire", "Commerce adds 23 firms to Entity List over chip diversion", BODY_EN, hours=5)
        story = assign(s, index, first, v).story_id
        again, v = add_item(s, "wire", "Commerce adds 23 firms to the Entity List", BODY_EN + " Updated.", hours=4)
        assert assign(s, index, again, v).story_id == story
        s.commit()
        assert summary(s, story)[2:4] == (2, 1)
    with index.lock, session(engine) as s:
        third, v = add_item(s, "wire", "23 firms added to the Entity List", BODY_EN + " More.", hours=3)
        assert assign(s, index, third, v).story_id == story
        s.commit()
        assert summary(s, story)[2:4] == (3, 1)
    with index.lock, session(engine) as s:
        ar, v = add_item(s, "ar", "أمريكا تضيف 23 شركة إلى قائمة الكيانات", BODY_AR, hours=2, lang="ar")
        assert assign(s, index, ar, v).story_id == story
        s.commit()
        counted = summary(s, story)
        assert counted[2:4] == (4, 2)
        refresh_story(s, story, NOW)
        assert summary(s, story) == counted


def test_bare_titles_with_one_common_word_stay_apart(engine: Engine) -> None:
    index = StoryIndex()
    with index.lock, session(engine) as s:
        a, v = add_item(s, "wire", "Nvidia: what to watch this week", ents=("nvidia",))
        b, w = add_item(s, "gnews", "Nvidia shares slip in late trading", hours=1, ents=("nvidia",))
        assert assign(s, index, a, v).new_story
        assert assign(s, index, b, w).new_story
        s.commit()


def test_exact_copy_by_canonical_url_and_another_process_sees_it(engine: Engine) -> None:
    url = "https://www.alkhabar.example/economy/entity-list-23"
    one, other = StoryIndex(), StoryIndex()  # two processes, each with its own cache
    with one.lock, session(engine) as s:
        row, v = add_item(s, "ar", "أمريكا تضيف 23 شركة إلى قائمة الكيانات", BODY_AR, lang="ar", url=url)
        story = assign(s, one, row, v).story_id
        s.commit()
    with other.lock, session(engine) as s:
        copy, v = add_item(s, "gnews", "أمريكا تضيف 23 شركة", lang="ar", url=url, ents=("entity-list",))
        got = assign(s, other, copy, v)
        assert got.story_id == story and got.reason.startswith("exact copy")
        # the other process learnt the first item from the database
        assert other.item_story[row.id] == story  # type: ignore[index]
        s.commit()


def test_rollback_makes_the_cache_reload(engine: Engine) -> None:
    index = StoryIndex()
    with index.lock, session(engine) as s:
        row, v = add_item(s, "wire", "Commerce adds 23 firms to Entity List", BODY_EN)
        assign(s, index, row, v)
        s.rollback()
    with index.lock, session(engine) as s:
        row, v = add_item(s, "wire", "Commerce adds 23 firms to Entity List", BODY_EN)
        got = assign(s, index, row, v)
        # a stale cache would offer the rolled-back story (a near-duplicate) that was never stored
        assert got.new_story, got.reason
        s.commit()
        assert len(s.exec(select(StoryItem).where(StoryItem.story_id == got.story_id)).all()) == 1
        assert summary(s, got.story_id)[2] == 1


def test_late_backlog_older_than_the_cache_uses_the_database(engine: Engine) -> None:
    index = StoryIndex()
    with index.lock, session(engine) as s:
        old, v = add_item(s, "wire", "Commerce adds 23 firms to Entity List", BODY_EN, hours=24 * 6)
        story = assign(s, index, old, v).story_id
        s.commit()
    fresh = StoryIndex()
    with fresh.lock, session(engine) as s:
        assert not fresh.covers(NOW - timedelta(hours=24 * 6), NOW, timedelta(hours=72))
        late, v = add_item(s, "ar", "أمريكا تضيف 23 شركة إلى قائمة الكيانات", BODY_AR, hours=24 * 6 - 1, lang="ar")
        assert assign(s, fresh, late, v).story_id == story
        s.commit()
