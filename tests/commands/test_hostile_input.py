"""Issue 13, the chat side, at the command core: the real core on real SQLite and PostgreSQL, stories made by the
real ingestion path, and the outbox read to see who would be alerted.

* refused and read-only commands never subscribe a chat (a new subscription with no topic follows them all);
* a watch term alone follows only what it names;
* ``/unsubscribe TOPIC`` on an all-topics subscription keeps the rest, its terms and its settings;
* ``/latest hbm ²`` and NUL characters are input to clean, not internal errors;
* replies are capped in total size, with "…and N more".
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.commands.core import MAX_REPLY_CHARS, Core
from bot.commands.model import Invocation
from bot.text.messages import text
from storage import subscriptions as subs
from storage.db import session
from storage.feeds import MAX_FEED_TITLE, FeedSpec, list_feeds, sync_feeds
from storage.queries import story_view
from storage.tables import Delivery, Story, Subscription
from tests.fakes.store import NOW, add_wire_feed, ingest, mark_polled, wire_item

HBM_STORY = ("SK Hynix to double HBM output as AI demand soars", "High-bandwidth memory capacity will double.")
ENTITY_LIST_STORY = ("US adds 12 Chinese firms to Entity List over AI chips", "The Commerce Department's BIS said.")
NVIDIA_STORY = ("Nvidia wins approval to ship H20 chips to China", "Washington granted Nvidia licences for H20.")


def invocation(
    command: str, *args: str, chat: str = "100", chat_type: str = "private", admin: bool = True
) -> Invocation:
    async def is_admin() -> bool:
        return admin

    return Invocation("telegram", chat, chat_type, "7", command, args, user_language="en", is_admin=is_admin)


def core_for(engine: Engine) -> Core:
    return Core(engine, secret=b"hostile-input", clock=lambda: NOW)


def rows(engine: Engine) -> dict[str, Subscription]:
    with session(engine) as s:
        return {x.target: x for x in s.exec(select(Subscription)).all()}


def alerted(engine: Engine) -> set[tuple[str, int | None]]:
    """(chat, story) pairs the outbox holds: who would be alerted to what."""
    with session(engine) as s:
        stmt = select(Subscription.target, Delivery.story_id).join(
            Delivery, col(Delivery.subscription_id) == col(Subscription.id)
        )
        return {(target, story) for target, story in s.exec(stmt).all()}


def news(engine: Engine, n: int, story: tuple[str, str]) -> None:
    ingest(engine, wire_item(n, *story), first_poll=False)


async def test_refused_and_read_only_commands_never_subscribe_a_chat(engine: Engine) -> None:
    add_wire_feed(engine)
    core = core_for(engine)
    refused = [
        invocation("settings", "min_score", "5", chat="-1"),  # out of range
        invocation("settings", "timezone", "Mars/Olympus", chat="-2"),
        invocation("settings", "colour", "red", chat="-3"),
        invocation("watch", "x", chat="-4"),  # too short
        invocation("mute", "m" * 100, chat="-5"),  # too long
        invocation("subscribe", "hbmm-typo", chat="-6"),
        invocation("lang", "fr", chat="-7"),
        invocation("settings", "min_score", "0.5", chat="-8", chat_type="supergroup", admin=False),  # not an admin
    ]
    for inv in refused:
        reply = await core.handle(inv)
        assert reply.error, (inv.command, inv.args)
    read_only = [invocation("settings", chat="-9"), invocation("subscriptions", chat="-10")]
    for inv in read_only:
        assert not (await core.handle(inv)).error
    assert rows(engine) == {}, "a refused or read-only command wrote nothing"

    # Settings and a language are kept on the chat, which follows no topic.
    assert not (await core.handle(invocation("lang", "ar", chat="-11"))).error
    assert not (await core.handle(invocation("settings", "min_score", "0.2", chat="-12"))).error
    stored = rows(engine)
    assert stored["-11"].interface_language == "ar" and stored["-12"].min_score == 0.2
    assert all(not subs.follows_all(sub) and subs.topic_ids(sub) == [] for sub in stored.values())

    news(engine, 1, HBM_STORY)
    news(engine, 2, ENTITY_LIST_STORY)
    assert alerted(engine) == set(), "a chat that only chose a language or a setting gets no alert"


async def test_a_watch_term_alone_follows_only_what_it_names(engine: Engine) -> None:
    add_wire_feed(engine)
    core = core_for(engine)
    assert not (await core.handle(invocation("watch", "Nvidia", chat="-20"))).error
    shown = await core.handle(invocation("subscriptions", chat="-20"))
    assert text("en", "no_topics") in shown.text and "Nvidia" in shown.text
    news(engine, 1, HBM_STORY)
    news(engine, 2, NVIDIA_STORY)
    pairs = alerted(engine)
    assert [chat for chat, _ in pairs] == ["-20"] and len(pairs) == 1, "only the story naming Nvidia"
    with session(engine) as s:
        [story] = [st for _, st in pairs]
        assert story is not None and story_view(s, story) is not None
        assert "Nvidia" in story_view(s, story).lead.item.title  # type: ignore[union-attr]


async def test_unsubscribing_one_topic_of_all_keeps_the_others_terms_and_settings(engine: Engine) -> None:
    add_wire_feed(engine)
    core = core_for(engine)
    for command, args in [
        ("subscribe", ("all",)),
        ("watch", ("3A090",)),
        ("mute", ("rumour",)),
        ("settings", ("timezone", "Asia/Riyadh")),
        ("lang", ("ar",)),
    ]:
        assert not (await core.handle(invocation(command, *args, chat="-30"))).error
    reply = await core.handle(invocation("unsubscribe", "hbm", chat="-30"))
    assert not reply.error and "الذاكرة" in reply.text  # answered in the chat's language, naming the topic
    sub = rows(engine)["-30"]
    assert "hbm" not in subs.topic_ids(sub) and "entity-list" in subs.topic_ids(sub) and len(subs.topic_ids(sub)) > 5
    assert subs.terms(sub, "watch") == ["3A090"] and subs.terms(sub, "mute") == ["rumour"]
    assert (sub.timezone, sub.interface_language) == ("Asia/Riyadh", "ar")

    news(engine, 1, HBM_STORY)
    news(engine, 2, ENTITY_LIST_STORY)
    # A story arrives exactly when it has a topic the chat still follows (the HBM story may also be about AI
    # chips, which the chat still follows): the Entity List one does.
    with session(engine) as s:
        topics = {st.id: set(st.topics.split()) for st in s.exec(select(Story)).all()}
    remaining = set(subs.topic_ids(sub))
    assert {story for _, story in alerted(engine)} == {i for i, t in topics.items() if t & remaining}
    assert any("entity-list" in topics[story] for _, story in alerted(engine) if story is not None)

    # Unsubscribing from a topic the chat does not follow changes nothing and says so.
    again = await core.handle(invocation("unsubscribe", "hbm", chat="-30"))
    assert not again.error and rows(engine)["-30"].topics == sub.topics
    # Everything: no more alerts, but the chat's language and settings are still there.
    await core.handle(invocation("unsubscribe", chat="-30"))
    sub = rows(engine)["-30"]
    assert subs.topic_ids(sub) == [] and not subs.follows_all(sub) and subs.terms(sub, "watch") == []
    assert (sub.timezone, sub.interface_language) == ("Asia/Riyadh", "ar")
    before = alerted(engine)
    news(engine, 3, NVIDIA_STORY)  # a story the chat followed before (AI chips) and would have got
    assert alerted(engine) == before, "no more alerts"


async def test_latest_takes_only_plain_counts_and_survives_nul(engine: Engine) -> None:
    add_wire_feed(engine)
    ingest(engine, wire_item(1, *HBM_STORY), first_poll=True)
    core = core_for(engine)
    superscript = await core.handle(invocation("latest", "hbm", "²"))
    assert not superscript.error and superscript.text != text("en", "error")
    arabic_digit = await core.handle(invocation("latest", "hbm", "٣"))
    assert not arabic_digit.error and len(arabic_digit.alerts) == 1
    for args in [("h\x00bm",), ("\x00",), ("SK\x00", "Hynix"), ("hbm", "\x00")]:
        reply = await core.handle(invocation("latest", *args))
        assert reply.text != text("en", "error"), args
    assert [a.title for a in (await core.handle(invocation("latest", "h\x00bm"))).alerts] == [HBM_STORY[0]]
    # Stored input is cleaned too: a NUL in a watched term or a time zone never reaches the database.
    assert not (await core.handle(invocation("watch", "Nvi\x00dia"))).error
    assert (await core.handle(invocation("settings", "timezone", "Asia/Riyadh\x00"))).text != text("en", "error")
    assert subs.terms(rows(engine)["100"], "watch") == ["Nvidia"]


async def test_feed_strings_and_replies_are_capped(engine: Engine) -> None:
    with session(engine) as s:
        specs = [FeedSpec(f"feed-{i:03}", f"https://f{i}.example/rss", "en") for i in range(300)]
        sync_feeds(s, specs)
        for spec in specs:
            mark_polled(s, spec.id, now=NOW, interval=600, etag=None, last_modified=None, title="Chips " * 40_000)
    with session(engine) as s:
        titles = [f.title or "" for f in list_feeds(s)]
    assert max(len(t) for t in titles) <= MAX_FEED_TITLE
    core = Core(engine, secret=b"caps", clock=lambda: NOW + timedelta(minutes=5))
    reply = await core.handle(invocation("feeds", chat="-40", chat_type="group", admin=False))
    assert not reply.error and len(reply.text) <= MAX_REPLY_CHARS
    last = reply.text.splitlines()[-1]
    shown = len(reply.text.splitlines()) - 2  # the header and the "…and N more" line
    assert last == text("en", "and_more", count=300 - shown)


async def test_a_button_about_a_channel_acts_only_there_and_only_for_its_admins(engine: Engine) -> None:
    core = core_for(engine)

    def press(data: str, *, target: str | None, admin: bool) -> Invocation:
        async def is_admin() -> bool:
            return admin

        return Invocation(
            "telegram",
            "555",
            "private",
            "555",
            "callback",
            target_chat_id=target,
            is_admin=is_admin,
            callback_data=data,
        )

    menu = await core.handle(
        Invocation("telegram", "555", "private", "555", "subscribe", (), target_chat_id="-1001777", is_admin=None)
    )
    assert menu.error, "managing a channel needs the adapter's admin check"
    menu = await core.handle(
        Invocation("telegram", "555", "private", "555", "subscribe", (), target_chat_id="-1001777", is_admin=_yes)
    )
    data = next(b.data for row in menu.buttons for b in row if b.data.startswith("subscribe:hbm:"))
    assert data.startswith("subscribe:hbm:@-1001777|")
    # Pressed where it sits without the adapter routing it to the channel: not ours.
    assert (await core.handle(press(data, target=None, admin=True))).text == text("en", "forged")
    # Routed to the channel, by someone who does not administer it: refused.
    refused = await core.handle(press(data, target="-1001777", admin=False))
    assert refused.text == text("en", "channel_admin_required")
    assert rows(engine) == {}
    assert not (await core.handle(press(data, target="-1001777", admin=True))).error
    assert list(rows(engine)) == ["-1001777"] and rows(engine)["-1001777"].topics == "hbm"


async def _yes() -> bool:
    return True


async def test_commands_from_many_chats_at_once_all_succeed(engine: Engine) -> None:
    # Adapters handle chats concurrently, and a channel's Discord interactions run concurrently too: two commands
    # creating the same chat's row, or writing at the same moment, must both succeed.
    core = core_for(engine)
    commands = [("subscribe", ("hbm",)), ("watch", ("Nvidia",)), ("settings", ("min_score", "0.4")), ("lang", ("ar",))]
    invocations = [invocation(c, *a, chat=f"-7{i:02}") for i in range(12) for c, a in commands]
    replies = await asyncio.gather(*(core.handle(inv) for inv in invocations))
    assert [r.text for r in replies if r.error] == []
    stored = rows(engine)
    assert len(stored) == 12 and all(sub.topics == "hbm" and sub.interface_language == "ar" for sub in stored.values())
