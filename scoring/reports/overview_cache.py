"""A short-lived, in-process memory of slow overview pages.

On a large database the overview's dozen grouped scans take a second or more, and every
admin who opens the dashboard asks for the same page. A page that took at least `SLOW`
seconds to compute is kept for `TTL` seconds, per engine and per exact view, so the next
loads within that minute cost nothing; a fast page (a small database, every test) is never
kept, so it always shows the latest answer. Nothing here is state: a restart only loses the
memory.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import sqlalchemy as sa

SLOW = 0.25  # seconds: a page computed faster than this is not worth keeping
TTL = 60.0  # seconds a kept page is shown before it is computed again
ENTRIES = 64  # pages kept per engine (each view, metric and grouping is one)


class OverviewCache:
    """Pages by key, each until its expiry; thread-safe (reports run on a thread pool)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._pages: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        now = self._clock()
        with self._lock:
            kept = self._pages.get(key)
            if kept is not None and kept[0] > now:
                return kept[1]
        page = compute()
        took = self._clock() - now
        if took >= SLOW:
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
