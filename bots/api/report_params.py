"""The report filters as FastAPI query parameters, for the API's report routes.

The parsing itself is `scoring.reports.params`, shared with the dashboard and the CLI; this
module only declares the parameters (for OpenAPI) and turns a refusal into a 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError

from bots.api.deps import ContainerDep, invalid
from bots.container import Container
from bots.reporting import report_service
from scoring.reports.filters import Attribution, Dimension, Rehearsals
from scoring.reports.params import ParamError, View
from scoring.scales import Metric

Many = Annotated[list[str] | None, Query()]


def unprocessable(error: ParamError) -> RequestValidationError:
    """A refused report parameter as the API's 422."""
    return invalid(("query", error.param), error.message)


def parse_view(container: Container, params: Mapping[str, Any]) -> View:
    """The view a query string asks for, or a 422 naming the parameter at fault."""
    try:
        return report_service(container).view(params)
    except ParamError as exc:
        raise unprocessable(exc) from None


def require_metric(v: View) -> str:
    """The view's metric, or a 422 asking for one."""
    try:
        return v.require_metric()
    except ParamError as exc:
        raise unprocessable(exc) from None


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
    flow_version: Annotated[
        list[str] | None, Query(description="only answers to this version of the question")
    ] = None,
    pool: Annotated[
        bool,
        Query(description="count every flow of the metric in one figure (default: one flow)"),
    ] = False,
    test: Annotated[
        Rehearsals,
        Query(description="test answers (`surveybot try`): left out unless include or only"),
    ] = Rehearsals.EXCLUDE,
    attribution: Annotated[
        Attribution | None,
        Query(description="by agent or team: the chain's last (default), first, or every member"),
    ] = None,
) -> View:
    return parse_view(
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
            "flow_version": flow_version,
            "pool": "true" if pool else None,
            "attribution": attribution,
        },
    )


ViewDep = Annotated[View, Depends(view)]
