"""GET /metrics in the Prometheus text format: survey counts, the send queue, webhook latency.

Survey and queue figures are read from the database at scrape time (a few GROUP BY counts), not
counted in process memory: every instance then reports the same, correct, global numbers however
many instances send and receive, and nothing is lost on a restart. Aggregate them across
instances with max(), not sum(). Webhook latency is per instance (a histogram in memory): sum it.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bots.api.deps import ContainerDep
from bots.container import Container
from bots.throttle import Guard, too_many
from scoring.group_commit import GroupCommit
from scoring.tables import InvitationStatus, JobStatus

log = logging.getLogger(__name__)

WEBHOOK_PREFIX = "/webhooks/"
SEND_FAILED = ("failed", "undelivered")  # OutboundMessage statuses: ours and Twilio's callbacks
QUEUE_STATUSES = (JobStatus.QUEUED, JobStatus.SENDING)

_T = SQLModel.metadata.tables
invitation_t, response_t = _T["invitation"], _T["response"]
outbound_t, job_t = _T["outboundmessage"], _T["sendjob"]


class GroupCommitCollector:
    """SQLite's group commit in this process: commits made and the answers they carried."""

    def __init__(self, group: GroupCommit) -> None:
        self.group = group

    def collect(self) -> Iterable[Metric]:
        commits = CounterMetricFamily(
            "surveybot_sqlite_group_commits", "Answer transactions committed (SQLite, this process)"
        )
        commits.add_metric([], self.group.commits)
        answers = CounterMetricFamily(
            "surveybot_sqlite_group_commit_answers",
            "Answers those commits carried: divided by the commits, the answers per COMMIT",
        )
        answers.add_metric([], self.group.answers)
        return [commits, answers]


class DatabaseCollector:
    """Survey and queue metrics as COUNT queries, run on every scrape."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "surveybot_metrics_database_up", "1 when the survey metrics could be read"
        )
        try:
            with self.engine.connect() as conn:
                metrics = list(self._read(conn))
        except sa.exc.SQLAlchemyError:
            # A scrape must not fail as a whole: the latency histogram is still worth having.
            log.exception("reading survey metrics failed")
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [*metrics, up]

    def _read(self, conn: Connection) -> Iterable[Metric]:
        by_status = GaugeMetricFamily(
            "surveybot_invitations", "Invitations by current status", labels=["status"]
        )
        real = invitation_t.c.is_test == sa.false()  # test answers are no customer's
        counts = dict(_grouped(conn, invitation_t.c.status, real))
        for state in InvitationStatus:
            by_status.add_metric([state.value], counts.pop(state.value, 0))
        for other, n in counts.items():  # a status added later still shows up
            by_status.add_metric([str(other)], n)
        yield by_status

        sent = CounterMetricFamily(
            "surveybot_invitations_sent", "Invitations whose question was sent", labels=["channel"]
        )
        for channel, n in _grouped(
            conn, invitation_t.c.channel, invitation_t.c.sent_at.is_not(None), real
        ):
            sent.add_metric([channel], n)
        yield sent

        answered = CounterMetricFamily(
            "surveybot_responses", "Scores received", labels=["flow", "channel"]
        )
        for (flow, channel), n in _grouped2(
            conn, response_t.c.flow_id, response_t.c.channel, response_t.c.is_test == sa.false()
        ):
            answered.add_metric([flow, channel], n)
        yield answered

        # A score nobody can be credited with: an integration that stopped sending the agent
        # shows up here long before anyone notices a thin league table.
        orphaned = CounterMetricFamily(
            "surveybot_responses_without_agent",
            "Scores whose invitation named no agent",
            labels=["flow", "channel"],
        )
        for (flow, channel), n in _grouped2(
            conn,
            response_t.c.flow_id,
            response_t.c.channel,
            response_t.c.is_test == sa.false(),
            response_t.c.agent.is_(None),
        ):
            orphaned.add_metric([flow, channel], n)
        yield orphaned

        failed = CounterMetricFamily(
            "surveybot_send_failures",
            "Outbound messages that failed or were not delivered",
            labels=["channel"],
        )
        for channel, n in _grouped(
            conn, outbound_t.c.channel, outbound_t.c.status.in_(SEND_FAILED)
        ):
            failed.add_metric([channel], n)
        yield failed

        yield from self._queue(conn)

    def _queue(self, conn: Connection) -> Iterable[Metric]:
        depth = GaugeMetricFamily(
            "surveybot_send_queue_depth", "Send jobs waiting or in flight", labels=["status"]
        )
        counts = dict(_grouped(conn, job_t.c.status, job_t.c.status.in_(QUEUE_STATUSES)))
        for state in QUEUE_STATUSES:
            depth.add_metric([state.value], counts.get(state.value, 0))
        yield depth

        now = self.clock()
        oldest = conn.execute(
            sa.select(sa.func.min(job_t.c.due_at)).where(
                job_t.c.status == JobStatus.QUEUED, job_t.c.due_at <= now
            )
        ).scalar()
        lag = GaugeMetricFamily(
            "surveybot_send_queue_lag_seconds",
            "How long the oldest due send job has waited (0: the workers keep up)",
        )
        lag.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield lag


def _grouped(
    conn: Connection, column: sa.ColumnElement[Any], *where: sa.ColumnElement[bool]
) -> list[tuple[str, int]]:
    query = sa.select(column, sa.func.count()).where(*where).group_by(column)
    return [(str(key), int(n)) for key, n in conn.execute(query)]


def _grouped2(
    conn: Connection,
    first: sa.ColumnElement[Any],
    second: sa.ColumnElement[Any],
    *where: sa.ColumnElement[bool],
) -> list[tuple[tuple[str, str], int]]:
    query = sa.select(first, second, sa.func.count()).where(*where).group_by(first, second)
    return [((str(a), str(b)), int(n)) for a, b, n in conn.execute(query)]


class WebhookTimer:
    """ASGI middleware: time requests under /webhooks/ by route template and status code."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(WEBHOOK_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        code = 500  # what the client sees when the app raises before answering

        async def send_and_note(message: Message) -> None:
            nonlocal code
            if message["type"] == "http.response.start":
                code = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            # The router stores the matched route in the scope; the template, never the raw
            # path, is the label, so random paths cannot blow up the number of series.
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.histogram.labels(route=route, status=str(code)).observe(
                time.perf_counter() - started
            )


_bearer = HTTPBearer(auto_error=False, description="SURVEYBOT_METRICS_TOKEN, when set")


async def _scrape_allowed(
    request: Request,
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Open unless SURVEYBOT_METRICS_TOKEN is set: Prometheus scrapers often carry no token."""
    token = container.settings.metrics_token
    expected = token.get_secret_value() if token else ""
    if not expected:
        return
    guard = Guard(container, request)
    if wait := await guard.blocked():
        raise too_many(wait)
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        if given:
            await guard.failed()
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


def _metrics_router(registry: CollectorRegistry) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", include_in_schema=False, dependencies=[Depends(_scrape_allowed)])
    async def metrics(container: ContainerDep) -> Response:
        # The collector queries the database: run it where database work runs, off the loop.
        body = await container.db.report(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router


def install_observability(app: FastAPI, container: Container) -> None:
    """Mount /metrics and the webhook timer, with a registry of this app's own."""
    # A registry per app, not prometheus_client's global one: tests and embedders build several
    # apps in one process, and the global registry refuses a second metric of the same name.
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(container.db.engine, container.service.clock))
    if container.db.group is not None:
        registry.register(GroupCommitCollector(container.db.group))
    histogram = Histogram(
        "surveybot_webhook_request_duration_seconds",
        "Time to answer a provider webhook, by route template and status code",
        labelnames=["route", "status"],
        registry=registry,
    )
    app.add_middleware(WebhookTimer, histogram=histogram)
    app.include_router(_metrics_router(registry))
