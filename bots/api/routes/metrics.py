"""Scores and the response-rate funnel, filtered and grouped: the numbers behind the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query

from bots.api.deps import UNAUTHORIZED, ContainerDep, ViewerDep, invalid
from bots.container import Container
from bots.settings import Settings
from scoring import metrics
from scoring.metrics import Dimension, Filters, Rehearsals, ReportConfig
from scoring.scales import Metric

router = APIRouter(prefix="/api/v1", tags=["metrics"], responses=UNAUTHORIZED)

Many = Annotated[list[str] | None, Query()]
FIRST_YEAR, LAST_YEAR = 2000, 2100
METRICS = tuple(m.value for m in Metric)


def report_config(settings: Settings) -> ReportConfig:
    return ReportConfig(timezone=ZoneInfo(settings.report_timezone), min_n=settings.min_group_n)


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
        raise invalid(
            ("query", name), f"'{text}' is not a date (YYYY-MM-DD) or an ISO 8601 datetime"
        ) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        # Reports bucket by day in the report time zone; a span of centuries is no report.
        raise invalid(("query", name), f"dates must lie between {FIRST_YEAR} and {LAST_YEAR}")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


@dataclass(frozen=True, slots=True)
class View:
    """One request's filters, metric and grouping, validated against the loaded flows."""

    filters: Filters
    metric: str | None
    group_by: Dimension | None
    config: ReportConfig

    def require_metric(self) -> str:
        if self.metric is None:
            raise invalid(("query", "metric"), "give a flow or a metric (nps, csat, ces)")
        return self.metric


def view(  # noqa: PLR0917  (FastAPI reads each query parameter from the signature)
    container: ContainerDep,
    from_: Annotated[
        str | None,
        Query(alias="from", description="start: YYYY-MM-DD (local day) or ISO datetime"),
    ] = None,
    to: Annotated[str | None, Query(description="end, inclusive when a date")] = None,
    flow: Many = None,
    metric: Annotated[Metric | None, Query(description="default: the flow's metric")] = None,
    channel: Many = None,
    agent: Many = None,
    team: Many = None,
    queue: Many = None,
    journey_stage: Many = None,
    locale: Many = None,
    tag: Annotated[list[str] | None, Query(description="responses carrying all of these")] = None,
    group_by: Dimension | None = None,
    test: Annotated[
        Rehearsals,
        Query(description="test answers (`surveybot try`): left out unless include or only"),
    ] = Rehearsals.EXCLUDE,
) -> View:
    return build_view(
        container,
        {
            "from": from_,
            "to": to,
            "flow": flow,
            "metric": metric,
            "channel": channel,
            "agent": agent,
            "team": team,
            "queue": queue,
            "journey_stage": journey_stage,
            "locale": locale,
            "tag": tag,
            "group_by": group_by,
            "test": test,
        },
    )


def build_view(container: Container, params: dict[str, Any]) -> View:
    """The same parsing for the API and the dashboard's query strings."""
    config = report_config(container.settings)

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

    flows = many("flow")
    unknown = [f for f in flows if f not in container.flows]
    if unknown:
        raise invalid(
            ("query", "flow"),
            f"unknown flow(s) {', '.join(unknown)}; known: {', '.join(sorted(container.flows))}",
        )
    metric = params.get("metric") or None
    if metric is None and flows:
        metric = container.flows[flows[0]].metric.value
    test = one("test") or Rehearsals.EXCLUDE.value
    if test not in set(Rehearsals):
        known = ", ".join(r.value for r in Rehearsals)
        raise invalid(("query", "test"), f"test must be one of {known}")
    start = parse_moment(one("from"), config.timezone, end=False, name="from")
    end = parse_moment(one("to"), config.timezone, end=True, name="to")
    filters = Filters(
        start=start,
        end=end,
        flows=flows,
        channels=many("channel"),
        agents=many("agent"),
        teams=many("team"),
        queues=many("queue"),
        journey_stages=many("journey_stage"),
        locales=many("locale"),
        tags=many("tag"),
        test=Rehearsals(test),
    )
    group_by = params.get("group_by") or None
    if metric is not None and str(metric) not in METRICS:
        raise invalid(("query", "metric"), f"metric must be one of {', '.join(METRICS)}")
    try:
        dimension = Dimension(group_by) if group_by else None
    except ValueError:
        known = ", ".join(d.value for d in Dimension)
        raise invalid(("query", "group_by"), f"group_by must be one of {known}") from None
    return View(filters, str(metric) if metric else None, dimension, config)


ViewDep = Annotated[View, Depends(view)]


def filters_json(filters: Filters) -> dict[str, Any]:
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
    }


def compute_metrics(container: Container, v: View) -> dict[str, Any]:
    """The overall figure plus one per group, in one read transaction."""
    metric = v.require_metric()
    with container.db.engine.connect() as conn:
        overall = metrics.scores(conn, metric, v.filters, None, v.config)[0]
        groups = metrics.scores(conn, metric, v.filters, v.group_by, v.config) if v.group_by else []
    return {
        "metric": metric,
        "group_by": v.group_by.value if v.group_by else None,
        "timezone": v.config.timezone.key,
        "min_n": v.config.min_n,
        "filters": filters_json(v.filters),
        "overall": overall.as_dict(),
        "groups": [g.as_dict() for g in groups],
    }


def compute_funnel(container: Container, v: View) -> dict[str, Any]:
    with container.db.engine.connect() as conn:
        overall = metrics.funnel(conn, v.filters, None, v.config)[0]
        groups = metrics.funnel(conn, v.filters, v.group_by, v.config) if v.group_by else []
    return {
        "group_by": v.group_by.value if v.group_by else None,
        "filters": filters_json(v.filters),
        "overall": overall.as_dict(),
        "groups": [g.as_dict() for g in groups],
    }


@router.get("/metrics")
async def get_metrics(_role: ViewerDep, container: ContainerDep, v: ViewDep) -> dict[str, Any]:
    """Score, n, 95% margin, distribution and category counts, overall and per group."""
    return await container.db.report(compute_metrics, container, v)


@router.get("/funnel")
async def get_funnel(_role: ViewerDep, container: ContainerDep, v: ViewDep) -> dict[str, Any]:
    """Invited, sent, delivered, answered and commented counts under the same filters."""
    return await container.db.report(compute_funnel, container, v)
