"""Which subscriptions want a story or an item: topics, item languages, minimum score and severity, and the
chat's own watch and mute terms (``bot.deliver.terms``: the lexicon's normalizer and a literal Aho–Corasick
automaton, never user regexes). A muted term always wins over a watched one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.deliver.terms import contains_term, has_terms, matched_lists, matched_term
from bot.domain import Severity
from bot.match.normalizer import normalize_text
from storage.tables import Subscription

__all__ = [
    "StoryFacts",
    "WatchRoute",
    "below_minimum",
    "contains_term",
    "route",
    "route_why",
    "wants",
    "watch_route",
]


def below_minimum(sub: Subscription, severity: str | None) -> bool:
    """An alert of ``severity`` is below what the chat asked for (``/settings severity high``); None or an
    unknown value counts as normal on either side."""
    normal = Severity.NORMAL
    return Severity.parse(severity, normal) < Severity.parse(getattr(sub, "min_severity", None), normal)


@dataclass(frozen=True)
class StoryFacts:
    topics: frozenset[str]
    language: str
    score: float
    text: str  # title and body of the item, for watch and mute terms
    severity: str | None = None  # None: not known here (the dispatcher checks the story's severity when sending)


def _why(sub: Subscription, facts: StoryFacts, norm: str) -> tuple[bool, str | None]:
    """(wanted, the watched term that alone made it wanted)."""
    if sub.paused or facts.language not in sub.languages.split() or facts.score < sub.min_score:
        return False, None
    if facts.severity is not None and below_minimum(sub, facts.severity):
        return False, None
    if contains_term(sub.mute_terms, norm):
        return False, None
    topics = set(sub.topics.split())
    if not topics or topics & facts.topics:
        return True, None
    term = matched_term(sub.watch_terms, norm)
    return term is not None, term


def wants(sub: Subscription, facts: StoryFacts, normalized: str | None = None) -> bool:
    return _why(sub, facts, normalized if normalized is not None else normalize_text(facts.text))[0]


def route_why(subscriptions: Iterable[Subscription], facts: StoryFacts) -> list[tuple[int, str | None]]:
    """The chats that want a relevant story, each with the watched term when only that term brought it (the
    alert then says so)."""
    norm = normalize_text(facts.text)
    out = []
    for s in subscriptions:
        if s.id is not None:
            wanted, term = _why(s, facts, norm)
            if wanted:
                out.append((s.id, term))
    return out


def route(subscriptions: Iterable[Subscription], facts: StoryFacts) -> Sequence[int]:
    return [sid for sid, _ in route_why(subscriptions, facts)]


def watchers(subscriptions: Iterable[Subscription]) -> list[Subscription]:
    """The active chats with at least one watched term: the only ones an item the matcher judged off-topic
    may reach."""
    return [s for s in subscriptions if not s.paused and s.id is not None and has_terms([s.watch_terms])]


class WatchRoute:
    """Routes off-topic items to the chats that watch a term in them; built once per batch of items, it scans
    each item once for every watching chat's terms together (``bot.deliver.terms.matched_lists``)."""

    def __init__(self, subscriptions: Iterable[Subscription]) -> None:
        self.chats = watchers(subscriptions)
        self.lists = tuple(s.watch_terms for s in self.chats)

    def __bool__(self) -> bool:
        return bool(self.chats)

    def __call__(self, language: str, text: str) -> list[tuple[int, str]]:
        """(chat, watched term) for an off-topic item: chats that watch a term it contains, in a language they take
        and with none of their muted terms. Topics, minimum score and minimum severity do not apply — the chat
        named the term itself, and an off-topic item has neither topics nor a severity."""
        if not self.chats:
            return []
        norm = normalize_text(text)
        out = []
        for pos, term in sorted(matched_lists(self.lists, norm).items()):
            s = self.chats[pos]
            if s.id is not None and language in s.languages.split() and not contains_term(s.mute_terms, norm):
                out.append((s.id, term))
        return out


def watch_route(subscriptions: Iterable[Subscription], language: str, text: str) -> list[tuple[int, str]]:
    """``WatchRoute`` for one item."""
    return WatchRoute(subscriptions)(language, text)
