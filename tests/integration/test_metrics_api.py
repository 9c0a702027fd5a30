"""The admin API, CSV export, dashboard sign-in and detractor alerts over real HTTP."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from bots.admin import auth
from bots.alerts import SIGNATURE_HEADER, TIMESTAMP_HEADER, AlertDeliverer
from bots.cli.admin import seed_demo
from bots.container import Container, build
from bots.dispatch import deliver
from bots.settings import Settings
from flows.ports import Sender
from flows.service import Inbound, NewInvitation
from scoring.cases import AlertCase, AlertDelivery, AlertEvent
from scoring.channels import Channel
from scoring.reports import queries
from scoring.reports import responses as report_rows
from scoring.reports.filters import Dimension, Filters
from tests.conftest import (
    ADMIN_TOKEN,
    VIEWER_TOKEN,
    LiveServer,
    admin_headers,
    make_settings,
    viewer_headers,
)
from tests.fakes import RecordingSender

PHONE = "+31612345678"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def seeded(container: Container) -> Container:
    seed_demo(container.db.engine, responses=400, days=60, seed=3, now=NOW)
    return container


@pytest.mark.parametrize(
    "path", ["/api/v1/metrics?flow=nps", "/api/v1/responses", "/api/v1/export.csv", "/api/v1/cases"]
)
def test_admin_api_needs_a_valid_bearer_token(live_server: LiveServer, path: str) -> None:
    """No token and a wrong token are both 401 with a Bearer challenge."""
    assert httpx.get(live_server.url + path).status_code == 401
    wrong = httpx.get(live_server.url + path, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_viewer_reads_but_cannot_change_a_case(live_server: LiveServer, seeded: Container) -> None:
    """GET works for a viewer; PATCH on a case is 403 for a viewer and 200 for an admin."""
    base = live_server.url
    listed = httpx.get(base + "/api/v1/cases", headers=viewer_headers())
    assert listed.status_code == 200
    case_id = listed.json()[0]["id"]
    body = {"status": "contacted"}
    denied = httpx.patch(f"{base}/api/v1/cases/{case_id}", json=body, headers=viewer_headers())
    assert denied.status_code == 403
    done = httpx.patch(f"{base}/api/v1/cases/{case_id}", json=body, headers=admin_headers())
    assert (done.status_code, done.json()["status"]) == (200, "contacted")


def test_metrics_endpoint_returns_the_sql_figures_per_group(
    live_server: LiveServer, seeded: Container
) -> None:
    """Every group's score, n and margin equal the report queries on the same filters."""
    reply = httpx.get(
        live_server.url + "/api/v1/metrics",
        params={"flow": "nps", "group_by": "team", "from": "2026-10-01", "to": "2026-11-20"},
        headers=viewer_headers(),
    )
    assert reply.status_code == 200
    data = reply.json()
    filters = Filters(
        start=datetime(2026, 9, 30, 22, 0, tzinfo=UTC),
        end=datetime(2026, 11, 20, 23, 0, tzinfo=UTC),
        flows=("nps",),
    )
    with seeded.db.engine.connect() as conn:
        expected = queries.scores(conn, "nps", filters, Dimension.TEAM)
    assert [g["key"] for g in data["groups"]] == [s.key for s in expected]
    assert [g["n"] for g in data["groups"]] == [s.n for s in expected]
    assert [g["score"] for g in data["groups"]] == [round(s.score or 0, 2) for s in expected]
    assert sum(g["n"] for g in data["groups"]) == data["overall"]["n"] > 0
    assert set(data["groups"][0]["categories"]) == {"detractors", "passives", "promoters"}


def test_unknown_flow_and_missing_metric_are_422(live_server: LiveServer) -> None:
    """A typo in a flow id is reported, not silently an empty report."""
    base, h = live_server.url, viewer_headers()
    assert httpx.get(base + "/api/v1/metrics?flow=npss", headers=h).status_code == 422
    assert httpx.get(base + "/api/v1/metrics", headers=h).status_code == 422


def test_responses_are_paginated_and_filtered(live_server: LiveServer, seeded: Container) -> None:
    """page_size rows per page, total under the filter, only the agent asked for."""
    reply = httpx.get(
        live_server.url + "/api/v1/responses",
        params={"agent": "Bram", "page": 2, "page_size": 5},
        headers=viewer_headers(),
    ).json()
    assert reply["page"] == 2
    assert len(reply["items"]) == 5
    assert {item["agent"] for item in reply["items"]} == {"Bram"}
    assert reply["total"] > 5


def test_csv_export_streams_every_filtered_response(
    live_server: LiveServer, seeded: Container
) -> None:
    """One CSV row per response under the filter, with the API's header."""
    reply = httpx.get(
        live_server.url + "/api/v1/export.csv", params={"flow": "csat"}, headers=viewer_headers()
    )
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
    with seeded.db.engine.connect() as conn:
        total, _ = report_rows.responses(conn, Filters(flows=("csat",)), limit=0)
    assert len(rows) == total > 0
    assert {r["flow"] for r in rows} == {"csat"}


def test_csv_export_of_metrics_and_funnel_views(live_server: LiveServer, seeded: Container) -> None:
    """view=metrics gives one row per group; view=funnel the five steps."""
    base, h = live_server.url, viewer_headers()
    by_team = httpx.get(
        base + "/api/v1/export.csv?view=metrics&flow=nps&group_by=team", headers=h
    ).content.decode("utf-8-sig")
    teams = [row["group"] for row in csv.DictReader(io.StringIO(by_team))]
    assert teams == ["Team Noord", "Team Online", "Team Zuid"]
    funnel = list(
        csv.DictReader(
            io.StringIO(
                httpx.get(base + "/api/v1/export.csv?view=funnel", headers=h).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert int(funnel[0]["invited"]) >= int(funnel[0]["answered"]) > 0


# -- detractor alerts -------------------------------------------------------------------------


def _answer(container: Container, text: str) -> None:
    container.service.receive(Inbound(Channel.SMS, PHONE, text))


@pytest.fixture
def senders() -> dict[str, Sender]:
    return {"sms": RecordingSender()}


async def _open_nps(container: Container) -> None:
    invitation = container.service.create_invitation(
        NewInvitation(Channel.SMS, PHONE, flow_id="nps", agent="anna", team="blue")
    )
    await deliver(container, invitation.public_id)


def _alert_settings(database_url: str) -> Settings:
    return make_settings(
        database_url,
        alert_webhook_url="http://hooks.test/alerts",
        alert_webhook_secret="hook-secret",
        public_url="https://surveys.example",
    )


def test_detractor_opens_a_case_and_a_signed_webhook_is_retried_until_it_lands(
    database_url: str,
) -> None:
    """Score 3: case + outbox in the answer's transaction; a 500 is retried, then delivered."""
    container = build(_alert_settings(database_url), senders={"sms": RecordingSender()})
    calls: list[httpx.Request] = []

    def hook(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500 if len(calls) == 1 else 204)

    async def scenario() -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(hook))
        deliverer = AlertDeliverer(container, client=client)
        await _open_nps(container)
        _answer(container, "3")
        assert await deliverer.run_once() == 0  # the webhook answered 500
        with container.db.session() as session:
            delivery = session.exec(sa.select(AlertDelivery)).scalars().one()  # type: ignore[call-overload]
            assert (delivery.status, delivery.attempts) == ("retrying", 1)
            delivery.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
            session.add(delivery)
            session.commit()
        assert await deliverer.run_once() == 1
        assert await deliverer.run_once() == 0  # nothing left: not sent twice
        await client.aclose()

    try:
        asyncio.run(scenario())
        with container.db.session() as session:
            [case] = session.exec(sa.select(AlertCase)).scalars().all()  # type: ignore[call-overload]
    finally:
        container.close()
    assert (case.status, case.value, case.agent, case.team) == ("open", 3, "anna", "blue")
    assert case.due_at - case.created_at == timedelta(hours=48)
    body = calls[-1].content
    stamp = calls[-1].headers[TIMESTAMP_HEADER]
    mac = hmac.new(b"hook-secret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert calls[-1].headers[SIGNATURE_HEADER] == f"sha256={mac}"
    sent = json.loads(body)
    assert sent["response"]["score"] == 3
    assert sent["response"]["agent"] == "anna"
    assert sent["response"]["url"].startswith("https://surveys.example/admin/responses/")


def test_follow_up_comment_sends_a_second_alert_carrying_it(database_url: str) -> None:
    """The comment arrives after the score: a 'comment' alert follows with the text."""
    container = build(_alert_settings(database_url), senders={"sms": RecordingSender()})
    bodies: list[dict[str, object]] = []

    def hook(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200)

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(hook)) as client:
            deliverer = AlertDeliverer(container, client=client)
            await _open_nps(container)
            _answer(container, "2")
            await deliverer.run_once()
            _answer(container, "Nobody called me back")
            await deliverer.run_once()

    try:
        asyncio.run(scenario())
    finally:
        container.close()
    assert [b["kind"] for b in bodies] == ["score", "comment"]
    assert bodies[1]["response"]["comment"] == "Nobody called me back"  # type: ignore[index]


def test_promoter_opens_no_case(container: Container) -> None:
    """A 9 is outside the NPS alert band 0-6: no case, no alert."""
    asyncio.run(_open_nps(container))
    _answer(container, "9")
    with container.db.session() as session:
        assert session.exec(sa.select(AlertEvent)).scalars().all() == []  # type: ignore[call-overload]


# -- dashboard sign-in ------------------------------------------------------------------------


@contextmanager
def _sign_in(base: str, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base) as client:
        reply = client.post("/admin/login", data={"token": token, "next": "/admin"})
        assert reply.status_code == 303
        yield client


def test_dashboard_sign_in_sets_a_strict_httponly_cookie(live_server: LiveServer) -> None:
    """A good token redirects with the cookie; a bad one is 401 and sets nothing."""
    base = live_server.url
    bad = httpx.post(base + "/admin/login", data={"token": "wrong"})
    assert (bad.status_code, bad.headers.get("set-cookie")) == (401, None)
    good = httpx.post(base + "/admin/login", data={"token": ADMIN_TOKEN, "next": "//evil.test"})
    cookie = good.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert good.headers["location"] == "/admin"  # no open redirect
    assert httpx.get(base + "/admin").status_code == 303  # signed out: to the login page


def test_case_status_form_needs_csrf_token_and_admin_role(
    live_server: LiveServer, seeded: Container
) -> None:
    """Without the CSRF token 403; a viewer 403; an admin with the token moves the case."""
    with seeded.db.session() as session:
        case_id = session.exec(sa.select(AlertCase.id)).scalars().first()  # type: ignore[call-overload, attr-defined]
    form = {"status": "closed"}
    with _sign_in(live_server.url, VIEWER_TOKEN) as viewer:
        viewer_csrf = auth.csrf_token(seeded.settings, viewer.cookies[auth.COOKIE])
        refused = viewer.post(f"/admin/cases/{case_id}", data={**form, "csrf": viewer_csrf})
    assert refused.status_code == 403
    with _sign_in(live_server.url, ADMIN_TOKEN) as admin:
        assert admin.post(f"/admin/cases/{case_id}", data=form).status_code == 403
        csrf = auth.csrf_token(seeded.settings, admin.cookies[auth.COOKIE])
        moved = admin.post(f"/admin/cases/{case_id}", data={**form, "csrf": csrf})
    assert moved.status_code == 303
    with seeded.db.session() as session:
        case = session.get(AlertCase, case_id)
        assert case is not None
        assert (case.status, case.closed_at is not None) == ("closed", True)


def test_dashboard_pages_render_in_both_languages(
    live_server: LiveServer, seeded: Container
) -> None:
    """Overview, responses, cases and a response page answer 200 in nl and en."""
    with _sign_in(live_server.url, VIEWER_TOKEN) as client:
        dutch = client.get("/admin?lang=nl")
        english = client.get("/admin?lang=en&metric=csat&bucket=month&by=channel")
        pages = [
            client.get(path).status_code
            for path in ("/admin/responses?agent=Bram", "/admin/cases", "/admin/responses/1")
        ]
        exported = client.get("/admin/export.csv?view=metrics&metric=nps&group_by=agent&lang=en")
    assert "Respons-trechter" in dutch.text
    assert "Response-rate funnel" in english.text
    assert pages == [200, 200, 200]
    assert exported.content.decode("utf-8-sig").startswith('"group","n","hidden","score"')


def test_csv_export_has_a_bom_local_times_and_a_semicolon_variant(
    live_server: LiveServer, seeded: Container
) -> None:
    """UTF-8 BOM, answered_at in Europe/Amsterdam with its offset, `;` and decimal commas."""
    base, h = live_server.url, viewer_headers()
    plain = httpx.get(base + "/api/v1/export.csv?flow=nps", headers=h)
    assert plain.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(plain.content.decode("utf-8-sig"))))
    moment = datetime.fromisoformat(rows[0]["answered_at"])
    assert moment.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    with seeded.db.engine.connect() as conn:
        [first] = report_rows.responses_after(conn, Filters(flows=("nps",)), limit=1)
    assert moment == first.answered_at
    dutch = httpx.get(
        base + "/api/v1/export.csv?view=metrics&flow=nps&group_by=team&sep=semicolon", headers=h
    ).content.decode("utf-8-sig")
    teams = list(csv.DictReader(io.StringIO(dutch), delimiter=";"))
    assert [t["group"] for t in teams] == ["Team Noord", "Team Online", "Team Zuid"]
    assert all("," in t["margin"] and "." not in t["margin"] for t in teams)
    raw = httpx.get(base + "/api/v1/export.csv?view=funnel&bom=false", headers=h).content
    assert raw.startswith(b'"group","invited"')


def test_dutch_dashboard_csv_links_give_the_semicolon_variant(
    live_server: LiveServer, seeded: Container
) -> None:
    """The nl dashboard's CSV opens as columns in Dutch Excel; `sep=comma` overrides it."""
    with _sign_in(live_server.url, VIEWER_TOKEN) as client:
        dutch = client.get("/admin/export.csv?view=metrics&metric=nps&group_by=team&lang=nl")
        chosen = client.get("/admin/export.csv?view=funnel&lang=nl&sep=comma")
    assert dutch.content.decode("utf-8-sig").startswith('"group";"n";"hidden";"score"')
    assert chosen.content.decode("utf-8-sig").startswith('"group","invited"')
