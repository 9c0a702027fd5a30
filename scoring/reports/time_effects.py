"""Time effects: weekdays against the weekend, public holidays against other days.

A dip in the last week of December is often the holidays, not the team. Each local day's
answers are put in a segment (weekday, weekend; a public holiday of the report's country,
from the `holidays` library, counts as a holiday whatever day it falls on) and each segment is
tested against the rest with the test that fits the score (see `significance`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import holidays

from scoring.reports.comparisons import Flag, against_rest, aggregate_of
from scoring.reports.figures import Score, score_of
from scoring.reports.formulas import Aggregate

SEGMENTS = ("weekday", "weekend", "holiday")
LANGUAGES = {"nl": "nl", "en": "en_US"}


def holiday_names(country: str, years: Sequence[int], lang: str = "en") -> dict[date, str]:
    """The country's public holidays in those years, named in `lang` where the library can."""
    try:
        found = holidays.country_holidays(country, years=list(years), language=LANGUAGES[lang])
    except NotImplementedError:
        raise ValueError(f"no holiday calendar for country {country!r}") from None
    return dict(found.items())


def segment_of(day: date, named: dict[date, str]) -> str:
    if day in named:
        return "holiday"
    return "weekend" if day.isoweekday() >= 6 else "weekday"


def _add(a: Aggregate | None, b: Aggregate, key: str) -> Aggregate:
    if a is None:
        return replace(b, key=key)
    return Aggregate(
        key, a.n + b.n, a.low + b.low, a.high + b.high, a.total + b.total, a.total_sq + b.total_sq
    )


@dataclass(frozen=True, slots=True)
class TimeEffects:
    metric: str
    country: str
    segments: list[Score]  # weekday, weekend, holiday (those with answers)
    holidays: list[tuple[str, list[str], Score]]  # (name, its dates, its figure)
    flags: dict[str | None, Flag]

    def as_dict(self) -> dict[str, Any]:
        def with_flag(s: Score) -> dict[str, Any]:
            flag = self.flags.get(s.key)
            return {**s.as_dict(), "comparison": flag.as_dict() if flag else None}

        return {
            "metric": self.metric,
            "country": self.country,
            "segments": [with_flag(s) for s in self.segments],
            "holidays": [
                {"name": name, "dates": days, **score.as_dict()}
                for name, days, score in self.holidays
            ],
        }


def time_effects(
    metric: str,
    days: Sequence[Score],
    overall: Score,
    *,
    country: str,
    min_n: int,
    lang: str = "en",
) -> TimeEffects:
    """Segments from per-day figures computed with no minimum n (the minimum applies here)."""
    per_day = [
        (date.fromisoformat(str(s.key)[:10]), s, a)
        for s in days
        if s.key is not None and (a := aggregate_of(s)) is not None
    ]
    named = holiday_names(country, sorted({d.year for d, _, _ in per_day}) or [2000], lang)
    sums: dict[str, Aggregate] = {}
    dists: dict[str, dict[int, int]] = {}
    by_name: dict[str, tuple[list[str], Aggregate | None, dict[int, int]]] = {}
    for day, score, agg in per_day:
        seg = segment_of(day, named)
        sums[seg] = _add(sums.get(seg), agg, seg)
        dist = dists.setdefault(seg, {})
        for g, c in score.distribution.items():
            dist[g] = dist.get(g, 0) + c
        if seg == "holiday":
            name = named[day]
            when, prev, hdist = by_name.get(name) or ([], None, {})
            for g, c in score.distribution.items():
                hdist[g] = hdist.get(g, 0) + c
            by_name[name] = ([*when, day.isoformat()], _add(prev, agg, name), hdist)
    segments = [score_of(metric, sums[s], dists[s], min_n) for s in SEGMENTS if s in sums]
    named_scores = [
        (name, when, score_of(metric, agg, dist, min_n))
        for name, (when, agg, dist) in sorted(by_name.items(), key=lambda item: item[1][0][0])
        if agg is not None
    ]
    # A hidden overall means too few answers for any comparison.
    flags = against_rest(metric, segments, overall) if not overall.hidden else {}
    return TimeEffects(metric, country, segments, named_scores, flags)
