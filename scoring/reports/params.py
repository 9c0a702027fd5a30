"""Report parameters as text (an API or dashboard query string, CLI options) parsed into a View.

The API, the dashboard and the CLI hand the same names (`from`, `to`, `flow`, `metric`, ...) to
`parse_view`, so a filter means the same everywhere and is refused with the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scoring.reports.filters import Attribution, Dimension, Filters, Rehearsals, ReportConfig
from scoring.scales import Metric

FIRST_YEAR, LAST_YEAR = 2000, 2100
METRICS = tuple(m.value for m in Metric)
# The filter parameters, in the order a link or an error lists them.
FILTER_PARAMS = (
    "from",
    "to",
    "flow",
    "channel",
    "agent",
    "team",
    "queue",
    "journey_stage",
    "locale",
    "tag",
    "test",
    "flow_version",
    "attribution",
)


class ParamError(ValueError):
    """A report parameter that cannot be read; `param` names it as the query string does."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def parse_moment(text: str | None, tz: ZoneInfo, *, end: bool, name: str) -> datetime | None:
    """A date is a whole local day (an end date is inclusive); a naive datetime is local."""
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            moment = datetime.combine(day, time(), tzinfo=tz)
        else:
            moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise ParamError(
            name, f"'{text}' is not a date (YYYY-MM-DD) or an ISO 8601 datetime"
        ) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        # Reports bucket by day in the report time zone; a span of centuries is no report.
        raise ParamError(name, f"dates must lie between {FIRST_YEAR} and {LAST_YEAR}")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


@dataclass(frozen=True, slots=True)
class View:
    """One request's filters, metric and grouping, validated against the loaded flows."""

    filters: Filters
    metric: str | None
    group_by: Dimension | None
    config: ReportConfig
    pool: bool = False  # count every flow of the metric in one figure (see `pooling`)

    def require_metric(self) -> str:
        if self.metric is None:
            raise ParamError("metric", "give a flow or a metric (nps, csat, ces)")
        return self.metric


def parse_view(params: Mapping[str, Any], flows: Mapping[str, str], config: ReportConfig) -> View:
    """The view that `params` ask for; `flows` maps each loaded flow id to its metric."""

    def many(name: str) -> tuple[str, ...]:
        values = params.get(name) or ()
        if isinstance(values, str):
            values = [values]
        return tuple(v for v in values if v)

    def one(name: str) -> str | None:
        value = params.get(name)
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        return str(value) if value else None

    chosen = many("flow")
    unknown = [f for f in chosen if f not in flows]
    if unknown:
        raise ParamError(
            "flow",
            f"unknown flow(s) {', '.join(unknown)}; known: {', '.join(sorted(flows))}",
        )
    metric = params.get("metric") or None
    if metric is None and chosen:
        metric = flows[chosen[0]]
    test = one("test") or Rehearsals.EXCLUDE.value
    if test not in set(Rehearsals):
        known = ", ".join(r.value for r in Rehearsals)
        raise ParamError("test", f"test must be one of {known}")
    attribution = one("attribution") or config.attribution.value
    if attribution not in set(Attribution):
        known = ", ".join(a.value for a in Attribution)
        raise ParamError("attribution", f"attribution must be one of {known}")
    start = parse_moment(one("from"), config.timezone, end=False, name="from")
    end = parse_moment(one("to"), config.timezone, end=True, name="to")
    filters = Filters(
        start=start,
        end=end,
        flows=chosen,
        channels=many("channel"),
        agents=many("agent"),
        teams=many("team"),
        queues=many("queue"),
        journey_stages=many("journey_stage"),
        locales=many("locale"),
        tags=many("tag"),
        test=Rehearsals(test),
        flow_versions=many("flow_version"),
        attribution=Attribution(attribution),
    )
    group_by = params.get("group_by") or None
    if metric is not None and str(metric) not in METRICS:
        raise ParamError("metric", f"metric must be one of {', '.join(METRICS)}")
    try:
        dimension = Dimension(group_by) if group_by else None
    except ValueError:
        known = ", ".join(d.value for d in Dimension)
        raise ParamError("group_by", f"group_by must be one of {known}") from None
    pool = (one("pool") or "false").lower()
    if pool not in {"true", "false", "1", "0", "yes", "no"}:
        raise ParamError("pool", "pool must be true or false")
    return View(
        filters,
        str(metric) if metric else None,
        dimension,
        config,
        pool=pool in {"true", "1", "yes"},
    )


def filters_json(filters: Filters) -> dict[str, Any]:
    """The filters under their parameter names, as a report echoes them back."""
    return {
        "from": filters.start.isoformat() if filters.start else None,
        "to": filters.end.isoformat() if filters.end else None,
        "flow": list(filters.flows),
        "channel": list(filters.channels),
        "agent": list(filters.agents),
        "team": list(filters.teams),
        "queue": list(filters.queues),
        "journey_stage": list(filters.journey_stages),
        "locale": list(filters.locales),
        "tag": list(filters.tags),
        "test": filters.test.value,
        "flow_version": list(filters.flow_versions),
        "attribution": filters.attribution.value,
    }
