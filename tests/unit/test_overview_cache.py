"""The overview's short memory: slow pages are kept for a minute, fast ones never."""

from __future__ import annotations

from collections.abc import Callable

from scoring.reports.overview_cache import SLOW, TTL, OverviewCache


def large(_page: int) -> bool:
    return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counting(clock: Clock, took: float) -> tuple[list[int], Callable[[], int]]:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        clock.now += took
        return len(calls)

    return calls, compute


def test_a_slow_page_is_shown_again_until_a_minute_has_passed() -> None:
    clock = Clock()
    cache = OverviewCache(clock)
    calls, compute = counting(clock, SLOW + 0.5)
    assert cache.get_or_compute("page", compute, large) == 1
    clock.now += TTL - 1
    assert cache.get_or_compute("page", compute, large) == 1
    clock.now += 2
    assert cache.get_or_compute("page", compute, large) == 2
    assert len(calls) == 2


def test_a_fast_page_always_shows_the_latest_answers() -> None:
    clock = Clock()
    cache = OverviewCache(clock)
    calls, compute = counting(clock, SLOW / 10)
    for _ in range(3):
        cache.get_or_compute("page", compute, large)
    assert len(calls) == 3


def test_other_filters_and_a_clear_compute_afresh() -> None:
    clock = Clock()
    cache = OverviewCache(clock)
    calls, compute = counting(clock, SLOW + 0.1)
    cache.get_or_compute(("nps", "agent"), compute, large)
    cache.get_or_compute(("nps", "team"), compute, large)
    cache.get_or_compute(("nps", "agent"), compute, large)
    assert len(calls) == 2
    cache.clear()
    cache.get_or_compute(("nps", "agent"), compute, large)
    assert len(calls) == 3


def test_a_small_database_slow_for_a_moment_is_never_kept() -> None:
    """A busy machine can make a tiny page slow: it must still show each new answer."""
    clock = Clock()
    cache = OverviewCache(clock)
    calls, compute = counting(clock, SLOW * 4)
    for _ in range(2):
        cache.get_or_compute("page", compute, lambda _page: False)
    assert len(calls) == 2
