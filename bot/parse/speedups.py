"""feedparser's URL joins, memoized.

feedparser joins the base URI with itself at every start tag (``mixin.unknown_starttag``: the element's
``xml:base``, or else the current base, through ``make_safe_absolute_uri`` → ``urllib.parse.urljoin``), and
again for each link and GUID: ~8 joins an item, 18 % of a feed's parse time, almost all of them the same
pair of strings. Both functions depend only on their string arguments (and feedparser's fixed scheme list), so
a bounded LRU cache returns exactly what they would. Applied once at import; a feedparser without these
names is left as it is.
"""

from __future__ import annotations

import functools
from typing import Any

from feedparser import mixin, urls

_SIZE = 4096  # distinct (base, reference) pairs kept: a feed's own few, across the feeds of a cycle


def _memoize() -> bool:
    join: Any = getattr(urls, "_urljoin", None)
    safe: Any = getattr(urls, "make_safe_absolute_uri", None)
    if join is None or safe is None or not hasattr(mixin, "_urljoin") or hasattr(join, "cache_info"):
        return False
    cached_join = functools.lru_cache(maxsize=_SIZE)(join)
    urls._urljoin = mixin._urljoin = cached_join  # make_safe_absolute_uri calls urls._urljoin
    mixin.make_safe_absolute_uri = functools.lru_cache(maxsize=_SIZE)(safe)
    return True


MEMOIZED = _memoize()
