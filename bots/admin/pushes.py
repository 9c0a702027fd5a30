"""The dashboard's *Pushes* page: responses that did not reach their platform (dead letters)
and those still being retried, with a button to try a dead one again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from bots.admin import auth
from bots.admin.routes import signed_in, to_login
from bots.api.deps import ContainerDep, Role, existing_id
from scoring import response_push
from scoring.connector_tables import PushStatus

router = APIRouter(prefix="/admin", include_in_schema=False)

TEXTS = {
    "en": {
        "title": "Pushes to platforms",
        "intro": "Scores that could not be delivered to the webhook, Zendesk or Chatwoot. "
        "Dead letters are tried again only when you ask.",
        "dead": "Dead letters",
        "retrying": "Being retried",
        "target": "Target",
        "response": "Response",
        "attempts": "Attempts",
        "error": "Last error",
        "next": "Next try",
        "retry": "Try again",
        "none": "Nothing here: every score reached its platform.",
        "retried": "Queued again.",
    },
    "nl": {
        "title": "Doorgestuurde scores",
        "intro": "Scores die niet bij de webhook, Zendesk of Chatwoot aankwamen. Een onbestelbare "
        "wordt pas opnieuw geprobeerd als je daarom vraagt.",
        "dead": "Onbestelbaar",
        "retrying": "Wordt opnieuw geprobeerd",
        "target": "Bestemming",
        "response": "Antwoord",
        "attempts": "Pogingen",
        "error": "Laatste fout",
        "next": "Volgende poging",
        "retry": "Opnieuw proberen",
        "none": "Niets hier: elke score is aangekomen.",
        "retried": "Opnieuw in de wachtrij.",
    },
}


@router.get("/pushes")
async def push_list(request: Request, container: ContainerDep) -> Response:
    """Dead letters and retrying pushes, newest first."""
    page = await signed_in(request, container)
    if page is None:
        return to_login(request)
    engine = container.db.engine
    dead = await container.db.report(response_push.listed, engine, (PushStatus.DEAD.value,))
    retrying = await container.db.report(
        response_push.listed, engine, (PushStatus.QUEUED.value, PushStatus.SENDING.value)
    )
    return page.render(
        "pushes.html",
        dead=dead,
        retrying=[row for row in retrying if row.attempts > 0],
        tp=TEXTS.get(page.lang, TEXTS["en"]),
        retried=request.query_params.get("retried") == "1",
    )


@router.post("/pushes/{push_id}/retry")
async def retry_push(
    request: Request,
    container: ContainerDep,
    push_id: int,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Queue a dead letter again (admin session and CSRF token required)."""
    page = await signed_in(request, container)
    if page is None:
        return to_login(request)
    if not auth.csrf_ok(container.settings, request.cookies.get(auth.COOKIE), csrf):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid CSRF token")
    if page.role is not Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin role")
    existing_id(push_id, "push")
    engine = container.db.engine
    if not await container.db.run(response_push.retry_dead, engine, push_id, datetime.now(UTC)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such dead letter")
    return RedirectResponse("/admin/pushes?retried=1", status.HTTP_303_SEE_OTHER)
