"""Test answers (`surveybot try`): out of every report, export, metric and alert; purgeable."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from bots.admin import auth
from bots.console import run_console_survey
from bots.container import Container
from bots.dispatch import deliver
from flows.ports import Sender
from flows.service import Inbound, NewInvitation
from scoring.cases import AlertCase, AlertEvent
from scoring.channels import Channel
from scoring.db import make_engine
from scoring.migrate import upgrade
from scoring.reports import queries
from scoring.reports import responses as report_rows
from scoring.reports.filters import Dimension, Filters, Rehearsals, ReportConfig
from scoring.tables import Invitation, Response
from tests.conftest import (
    ADMIN_TOKEN,
    PG_ADMIN_URL,
    VIEWER_TOKEN,
    LiveServer,
    admin_headers,
    viewer_headers,
)
from tests.fakes import RecordingSender

PHONE = "+31612345678"
ANY_N = ReportConfig(min_n=1)


def _try(container: Container, answers: str, flow: str = "nps") -> None:
    """What `surveybot try` does: the console channel, through the real service."""
    out = io.StringIO()
    code = run_console_survey(
        container.service, flow, locale="nl", who="tester", inp=io.StringIO(answers), out=out
    )
    assert code == 0, out.getvalue()


def _real_answer(container: Container, text: str) -> None:
    invitation = container.service.create_invitation(
        NewInvitation(Channel.SMS, PHONE, flow_id="nps", agent="anna")
    )
    asyncio.run(deliver(container, invitation.public_id))
    container.service.receive(Inbound(Channel.SMS, PHONE, text))


@pytest.fixture
def senders() -> dict[str, Sender]:
    return {"sms": RecordingSender()}


@pytest.fixture
def mixed(container: Container) -> Container:
    """One real promoter by SMS, two test detractors with comments from the console."""
    _real_answer(container, "9")
    _try(container, "2\nNiets aan, test\n")
    _try(container, "1\nNog een test\n")
    return container


def test_test_answers_are_stored_marked_and_open_no_alert_case(mixed: Container) -> None:
    """Both console detractors are stored as test answers; neither opens a case or an alert."""
    with mixed.db.session() as session:
        flags = session.exec(sa.select(Response.channel, Response.is_test)).all()  # type: ignore[call-overload]
        cases = session.exec(sa.select(AlertCase)).all()  # type: ignore[call-overload]
        events = session.exec(sa.select(AlertEvent)).all()  # type: ignore[call-overload]
    assert sorted(tuple(f) for f in flags) == [("console", True), ("console", True), ("sms", False)]
    assert (cases, events) == ([], [])


def test_reports_funnel_comments_and_filter_lists_leave_test_answers_out(
    mixed: Container,
) -> None:
    """Scores, the funnel, the responses list, comments and filter options count only the SMS."""
    with mixed.db.engine.connect() as conn:
        [score] = queries.scores(conn, "nps", Filters(), None, ANY_N)
        [funnel] = queries.funnel(conn, Filters())
        total, _ = report_rows.responses(conn, Filters())
        comments = report_rows.latest_comments(conn, Filters())
        channels = queries.distinct_values(conn, Dimension.CHANNEL)
        [everything] = queries.scores(conn, "nps", Filters(test=Rehearsals.INCLUDE), None, ANY_N)
        only, rows = report_rows.responses(conn, Filters(test=Rehearsals.ONLY))
    assert (score.n, score.categories["promoters"]) == (1, 1)
    assert (funnel.invited, funnel.answered) == (1, 1)
    assert (total, comments, channels) == (1, [], ["sms"])
    assert (everything.n, everything.categories["detractors"]) == (3, 2)
    assert only == 2
    assert all(r.test and r.channel == "console" for r in rows)


def test_api_export_and_prometheus_leave_test_answers_out_unless_asked(
    live_server: LiveServer, mixed: Container
) -> None:
    """`test=include|only` shows them (marked in the CSV); the default and /metrics do not."""
    base, h = live_server.url, viewer_headers()

    def n(**params: str) -> int:
        reply = httpx.get(base + "/api/v1/metrics", params={"flow": "nps", **params}, headers=h)
        assert reply.status_code == 200, reply.text
        return int(reply.json()["overall"]["n"])

    assert (n(), n(test="include"), n(test="only")) == (1, 3, 2)
    assert httpx.get(base + "/api/v1/metrics?flow=nps&test=all", headers=h).status_code == 422
    funnel = httpx.get(base + "/api/v1/funnel", headers=h).json()["overall"]
    assert funnel["invited"] == 1

    def export(**params: str) -> list[dict[str, str]]:
        text = httpx.get(base + "/api/v1/export.csv", params=params, headers=h).content
        return list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))

    assert [r["channel"] for r in export()] == ["sms"]
    assert {(r["channel"], r["test"]) for r in export(test="only")} == {("console", "true")}
    assert httpx.get(base + "/api/v1/responses", headers=h).json()["total"] == 1
    assert httpx.get(base + "/api/v1/cases", headers=h).json() == []

    scraped = httpx.get(base + "/metrics").text
    answered = {
        s.labels["channel"]: s.value
        for family in text_string_to_metric_families(scraped)
        for s in family.samples
        if s.name == "surveybot_responses_total"
    }
    assert answered == {"sms": 1}


def test_dashboard_hides_test_answers_and_shows_them_with_the_filter(
    live_server: LiveServer, mixed: Container
) -> None:
    """The responses page counts 1 by default and 2 with `test=only`, each marked as a test."""
    with httpx.Client(base_url=live_server.url) as client:
        client.post("/admin/login", data={"token": VIEWER_TOKEN, "next": "/admin"})
        default = client.get("/admin/responses?lang=en")
        tests = client.get("/admin/responses?lang=en&test=only")
    assert 'data-testid="total">1<' in default.text
    assert 'data-testid="total">2<' in tests.text
    assert tests.text.count('data-testid="test-mark"') == 2


def test_admin_purges_test_answers_and_keeps_the_real_ones(
    live_server: LiveServer, mixed: Container
) -> None:
    """A viewer may not; an admin deletes both test surveys with their rows, the SMS stays."""
    base = live_server.url
    assert httpx.get(base + "/api/v1/test-answers", headers=viewer_headers()).json() == {
        "invitations": 2,
        "responses": 2,
    }
    assert httpx.delete(base + "/api/v1/test-answers", headers=viewer_headers()).status_code == 403
    deleted = httpx.delete(base + "/api/v1/test-answers", headers=admin_headers()).json()
    assert (deleted["invitation"], deleted["response"], deleted["comment"]) == (2, 2, 2)
    assert deleted["contact"] == 1  # the console's "tester"
    with mixed.db.session() as session:
        left = session.exec(sa.select(Invitation.channel)).scalars().all()  # type: ignore[call-overload, attr-defined]
    assert left == ["sms"]
    again = httpx.delete(base + "/api/v1/test-answers", headers=admin_headers()).json()
    assert sum(again.values()) == 0


def test_dashboard_purge_button_needs_an_admin_and_the_csrf_token(
    live_server: LiveServer, mixed: Container
) -> None:
    """The purge form needs an admin, the CSRF token and its confirm box ticked."""
    with httpx.Client(base_url=live_server.url) as client:
        client.post("/admin/login", data={"token": ADMIN_TOKEN, "next": "/admin"})
        assert client.post("/admin/test-answers/purge", data={}).status_code == 403
        csrf = auth.csrf_token(mixed.settings, client.cookies[auth.COOKIE])
        page = client.get("/admin/responses?test=only&lang=en")
        assert 'action="/admin/test-answers/purge"' in page.text
        unticked = client.post("/admin/test-answers/purge", data={"csrf": csrf})
        with mixed.db.engine.connect() as conn:
            assert report_rows.responses(conn, Filters(test=Rehearsals.ONLY))[0] == 2
        done = client.post("/admin/test-answers/purge", data={"csrf": csrf, "confirm": "yes"})
    assert (unticked.status_code, done.status_code) == (303, 303)
    with mixed.db.engine.connect() as conn:
        assert report_rows.responses(conn, Filters(test=Rehearsals.ONLY))[0] == 0
        assert report_rows.responses(conn, Filters())[0] == 1


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of either kind, for migrating step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips when PostgreSQL is not running
    name = f"surveybot_mig_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migration_marks_earlier_console_answers_as_tests_and_drops_their_cases(
    fresh_url: str,
) -> None:
    """A database from before the flag: its console surveys become test answers, cases go."""
    engine = make_engine(fresh_url)
    upgrade(engine, "0003")
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        for cid, channel in ((1, "console"), (2, "sms")):
            conn.execute(
                sa.text(
                    "INSERT INTO contact (id, channel, address, pseudonym, created_at) "
                    "VALUES (:id, :ch, :addr, :p, :now)"
                ),
                {"id": cid, "ch": channel, "addr": f"a{cid}", "p": f"p{cid}", "now": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO invitation (id, public_id, flow_id, channel, contact_id, locale, "
                    "tags, status, created_at) VALUES (:id, :pid, 'nps', :ch, :id, 'nl', '[]', "
                    "'completed', :now)"
                ),
                {"id": cid, "pid": str(uuid.uuid4()), "ch": channel, "now": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO response (id, invitation_id, flow_id, metric, value, scale_min, "
                    "scale_max, lower_is_better, raw_text, normaliser_version, channel, locale, "
                    "answered_at) VALUES (:id, :id, 'nps', 'nps', 2, 0, 10, false, '2', '1', "
                    ":ch, 'nl', :now)"
                ),
                {"id": cid, "ch": channel, "now": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO alert_case (id, response_id, flow_id, value, status, created_at, "
                    "due_at, updated_at) VALUES (:id, :id, 'nps', 2, 'open', :now, :now, :now)"
                ),
                {"id": cid, "now": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO alert_event (case_id, kind, created_at) "
                    "VALUES (:id, 'score', :now)"
                ),
                {"id": cid, "now": now},
            )
    upgrade(engine)
    with engine.connect() as conn:
        flags = conn.execute(sa.text("SELECT channel, is_test FROM response ORDER BY id")).all()
        cases = conn.execute(sa.text("SELECT response_id FROM alert_case")).scalars().all()
    engine.dispose()
    assert [(c, bool(t)) for c, t in flags] == [("console", True), ("sms", False)]
    assert cases == [2]
