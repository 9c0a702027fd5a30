"""What a report publishes: one group's score, and the response-rate funnel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scoring.reports.definitions import definition
from scoring.reports.formulas import (
    Aggregate,
    Interval,
    mean_interval,
    mean_margin,
    proportion_interval,
    proportion_margin,
)


@dataclass(frozen=True, slots=True)
class Score:
    """One group's figure. Below the minimum n only `key` and `n` are filled in."""

    key: str | None
    n: int
    hidden: bool = False
    score: float | None = None
    margin: float | None = None
    mean: float | None = None
    mean_margin: float | None = None
    top_box: float | None = None  # % promoters (NPS), top-two-box (CSAT), above midpoint (CES)
    top_box_margin: float | None = None
    categories: dict[str, int] = field(default_factory=dict)
    # The 95% intervals themselves: adjusted intervals are not centred on the raw score.
    interval: Interval | None = None
    mean_interval: Interval | None = None
    top_box_interval: Interval | None = None
    distribution: dict[int, int] = field(default_factory=dict)  # per score, lower-is-better flipped

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "n": self.n,
            "hidden": self.hidden,
            "score": _round(self.score),
            "margin": _round(self.margin),
            "mean": _round(self.mean, 3),
            "mean_margin": _round(self.mean_margin, 3),
            "top_box": _round(self.top_box),
            "top_box_margin": _round(self.top_box_margin),
            "interval": _pair(self.interval),
            "mean_interval": _pair(self.mean_interval, 3),
            "top_box_interval": _pair(self.top_box_interval),
            "categories": self.categories,
            "distribution": {str(k): v for k, v in sorted(self.distribution.items())},
        }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _pair(value: Interval | None, digits: int = 2) -> list[float] | None:
    return None if value is None else [round(value[0], digits), round(value[1], digits)]


def score_of(metric: str, agg: Aggregate, distribution: dict[int, int], min_n: int) -> Score:
    """Turn one group's aggregate into its published figure, hiding it below `min_n`."""
    if agg.n < max(min_n, 1):
        return Score(agg.key, agg.n, hidden=agg.n > 0)
    spec = definition(metric)
    score, margin = spec.score(agg)
    categories = dict(
        zip(spec.categories, (agg.low, agg.n - agg.low - agg.high, agg.high), strict=True)
    )
    return Score(
        agg.key,
        agg.n,
        score=score,
        margin=margin,
        mean=agg.total / agg.n,
        mean_margin=mean_margin(agg.total, agg.total_sq, agg.n),
        top_box=100.0 * agg.high / agg.n,
        top_box_margin=proportion_margin(agg.high, agg.n),
        categories=categories,
        interval=spec.interval(agg),
        mean_interval=mean_interval(agg.total, agg.total_sq, agg.n, *map(float, spec.scale)),
        top_box_interval=proportion_interval(agg.high, agg.n),
        distribution=distribution,
    )


FUNNEL_STEPS = ("invited", "sent", "delivered", "answered", "commented")


@dataclass(frozen=True, slots=True)
class Funnel:
    """Invitations at each step, all counted under the same filters as the invited total."""

    key: str | None
    invited: int
    sent: int
    delivered: int
    answered: int
    commented: int
    # Invitations never sent, by the status that stopped them (throttled, opted_out, ...).
    not_sent: dict[str, int] = field(default_factory=dict, kw_only=True)

    @property
    def response_rate(self) -> float | None:
        return None if self.sent == 0 else 100.0 * self.answered / self.sent

    def as_dict(self) -> dict[str, Any]:
        steps = {step: getattr(self, step) for step in FUNNEL_STEPS}
        rates = {
            step: None if self.invited == 0 else round(100.0 * count / self.invited, 2)
            for step, count in steps.items()
        }
        rate = self.response_rate
        return {
            "key": self.key,
            **steps,
            "pct_of_invited": rates,
            "response_rate": None if rate is None else round(rate, 2),
            "not_sent": dict(sorted(self.not_sent.items())),
            # Invitations count by the time they were created, scores by the time of the answer.
            "counted_by": "invitation_created_at",
        }
