"""What a successful fetch returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One usable answer: a body to parse, or "not modified" (which costs no parse at all).

    ``url`` is what was asked for, ``final_url`` where the body came from after redirects (resolve
    relative links in the feed against it). ``permanent_url`` is set only when at least one redirect
    was followed and every hop was permanent (301/308): the caller should store it as the feed's new
    URL. ``etag``/``last_modified`` are the validators to send next time: on a 304 that omits them,
    the ones we sent are echoed back so the caller never loses them. ``headers`` has lower-cased names.
    ``elapsed`` is seconds from the call to the return, including retries; ``attempts`` counts requests
    sequences made (1 when the first attempt succeeded).
    """

    url: str
    final_url: str
    permanent_url: str | None
    status: int
    not_modified: bool
    body: bytes
    headers: Mapping[str, str]
    etag: str | None
    last_modified: str | None
    elapsed: float
    attempts: int
