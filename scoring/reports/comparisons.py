"""Flags for a difference beyond chance: a period against the one before, a group against the rest.

Built on the published figures (a group's category counts and its distribution), so a flag
always describes the numbers beside it. Hidden groups (below the minimum n) are never tested:
a flag would say something about a score that is not shown.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scoring.reports.definitions import definition
from scoring.reports.figures import Score
from scoring.reports.filters import Dimension
from scoring.reports.formulas import Aggregate
from scoring.reports.significance import Difference, difference

PERIODS = (Dimension.DAY, Dimension.WEEK, Dimension.MONTH)


def aggregate_of(score: Score) -> Aggregate | None:
    """The counts and sums behind a shown figure; None for a hidden or empty group."""
    if score.hidden or not score.n or not score.categories:
        return None
    low, _middle, high = score.categories.values()
    total = sum(g * c for g, c in score.distribution.items())
    total_sq = sum(g * g * c for g, c in score.distribution.items())
    return Aggregate(score.key, score.n, low, high, float(total), float(total_sq))


def minus(whole: Aggregate, part: Aggregate) -> Aggregate:
    """The rest: every answer in `whole` that is not in `part`."""
    return Aggregate(
        None,
        whole.n - part.n,
        whole.low - part.low,
        whole.high - part.high,
        whole.total - part.total,
        whole.total_sq - part.total_sq,
    )


@dataclass(frozen=True, slots=True)
class Flag:
    """A group's comparison: against the previous period or against the rest."""

    key: str | None
    against: str  # "previous" (the period before) or "rest" (every other answer)
    other: str | None  # the previous period's key; None for the rest
    result: Difference

    def as_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "against": self.against,
            "other": self.other,
            "test": r.test,
            "difference": round(r.difference, 3),
            "statistic": round(r.statistic, 3),
            "df": None if r.df is None else round(r.df, 1),
            "p": round(r.p, 4),
            "significant": r.significant,
            "direction": r.direction,
        }


def against_previous(metric: str, periods: Sequence[Score]) -> dict[str | None, Flag]:
    """Each shown period against the one before it (both shown), in key order."""
    headline = definition(metric).headline
    flags: dict[str | None, Flag] = {}
    ordered = sorted((p for p in periods if p.key is not None), key=lambda p: str(p.key))
    for before, now in itertools.pairwise(ordered):
        a, b = aggregate_of(now), aggregate_of(before)
        if a is None or b is None:
            continue
        result = difference(headline, a, b)
        if result is not None:
            flags[now.key] = Flag(now.key, "previous", before.key, result)
    return flags


def against_rest(metric: str, groups: Sequence[Score], overall: Score) -> dict[str | None, Flag]:
    """Each shown group against every other answer under the same filters.

    Only for groups that partition the answers (not tags: one answer can carry several).
    """
    whole = aggregate_of(overall)
    if whole is None:
        return {}
    headline = definition(metric).headline
    flags: dict[str | None, Flag] = {}
    for group in groups:
        part = aggregate_of(group)
        if part is None:
            continue
        rest = minus(whole, part)
        result = difference(headline, part, rest)
        if result is not None:
            flags[group.key] = Flag(group.key, "rest", None, result)
    return flags


def flags_for(
    metric: str, by: Dimension | None, groups: Sequence[Score], overall: Score
) -> dict[str | None, Flag]:
    """Periods against the previous one, other groupings against the rest; none for tags."""
    if by is None or by is Dimension.TAG:
        return {}
    if by in PERIODS:
        return against_previous(metric, groups)
    return against_rest(metric, groups, overall)
