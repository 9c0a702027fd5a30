"""A short-lived, in-process memory of slow overview pages.

On a large database the overview's dozen grouped scans take a second or more, and every
admin who opens the dashboard asks for the same page. A page that took at least `SLOW`
seconds to compute over at least `LARGE` invitations is kept for `TTL` seconds, per engine
and per exact view, so the next loads within that minute cost nothing; a fast page or a small
database is never kept, so it always shows the latest answer. Nothing here is state: a
restart only loses the memory.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa

T = TypeVar("T")

SLOW = 0.25  # seconds: a page computed faster than this is not worth keeping
LARGE = 20_000  # invitations under the filters: fewer scan fast, and are never kept
TTL = 60.0  # seconds a kept page is shown before it is computed again
ENTRIES = 64  # pages kept per engine (each view, metric and grouping is one)


class OverviewCache:
    """Pages by key, each until its expiry; thread-safe (reports run on a thread pool)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._pages: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def get_or_compute(
        self, key: Hashable, compute: Callable[[], T], large: Callable[[T], bool]
    ) -> T:
        """The kept page for `key`, or a fresh one, kept when slow and `large(page)` holds.

        Both must hold: a small database that is slow for a moment (a busy machine) must still
        show each new answer at once.
        """
        now = self._clock()
        with self._lock:
            kept = self._pages.get(key)
            if kept is not None and kept[0] > now:
                found: T = kept[1]
                return found
        page = compute()
        took = self._clock() - now
        if took >= SLOW and large(page):
            with self._lock:
                self._pages[key] = (self._clock() + TTL, page)
                self._pages.move_to_end(key)
                while len(self._pages) > ENTRIES:
                    self._pages.popitem(last=False)
        return page

    def clear(self) -> None:
        """Forget every page (after the dashboard itself changed what they count)."""
        with self._lock:
            self._pages.clear()


_CACHES: weakref.WeakKeyDictionary[sa.Engine, OverviewCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_for(engine: sa.Engine) -> OverviewCache:
    """The one cache of this process for `engine` (a report service is built per request)."""
    with _CACHES_LOCK:
        found = _CACHES.get(engine)
        if found is None:
            found = _CACHES[engine] = OverviewCache()
        return found
