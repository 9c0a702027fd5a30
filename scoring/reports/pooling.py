"""Which flows a metric's report counts: one question at a time unless pooling is asked for.

"CES" is asked two ways: "made it easy" (higher is better) and "how much effort" (lower is
better, flipped in reports). Those are different questions; their means are not one series.
So a report of a metric counts one flow: the one the view names, else the flow named like the
metric (`ces` for CES), else the first of that metric. The others are listed as `separate`.
Pooling (`pool=true`, or naming several flows) is an explicit choice and the report says what
it pooled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from scoring.reports.filters import Dimension, Filters


@dataclass(frozen=True, slots=True)
class Pooling:
    """What a report of one metric counted."""

    flows: tuple[str, ...]  # the flows counted; empty: every flow of the metric (none loaded)
    pooled: bool  # more than one question in one figure
    separate: tuple[str, ...] = ()  # flows of the same metric reported on their own

    def as_dict(self) -> dict[str, Any]:
        return {"flows": list(self.flows), "pooled": self.pooled, "separate": list(self.separate)}


def resolve(
    filters: Filters,
    metric: str,
    flows: Mapping[str, str],
    *,
    pool: bool = False,
    group_by: Dimension | None = None,
) -> tuple[Filters, Pooling]:
    """Filters counting one flow of `metric` (unless pooling is asked), and what they count."""
    same = sorted(fid for fid, m in flows.items() if m == metric)
    if filters.flows:
        counted = tuple(f for f in filters.flows if flows.get(f, metric) == metric)
        return filters, Pooling(counted, len(counted) > 1)
    if pool or group_by is Dimension.FLOW or not same:
        # Split by flow, or pooled on purpose: every flow of the metric, said so.
        return filters, Pooling(tuple(same), len(same) > 1)
    chosen = metric if metric in same else same[0]
    return replace(filters, flows=(chosen,)), Pooling(
        (chosen,), False, tuple(f for f in same if f != chosen)
    )
