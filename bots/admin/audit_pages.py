"""Dashboard pages for the why-lookup and the offer audit (the same data as their API routes)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from bots.admin.routes import _view, signed_in, to_login
from bots.api.deps import ContainerDep
from bots.reporting import report_service
from bots.why import OUTCOMES, RULES, explain_interaction, label

router = APIRouter(prefix="/admin", include_in_schema=False)
MAX_INTERACTION = 128


@router.get("/why")
async def why_page(request: Request, container: ContainerDep) -> Response:
    """Look an interaction up: each invitation, and every rule that applied with its time."""
    page = await signed_in(request, container)
    if page is None:
        return to_login(request)
    asked = (request.query_params.get("interaction") or "").strip()[:MAX_INTERACTION]
    found = (
        await container.db.report(explain_interaction, container.db, container.service, asked)
        if asked
        else []
    )
    return page.render(
        "why.html",
        asked=asked,
        found=found,
        rule=lambda key: label(RULES, key, page.lang),
        outcome=lambda key: label(OUTCOMES, key, page.lang),
    )


@router.get("/offers")
async def offers_page(request: Request, container: ContainerDep) -> Response:
    """The offer audit per team and agent, with the cherry-picking flags."""
    page = await signed_in(request, container)
    if page is None:
        return to_login(request)
    v = _view(page)  # a bad filter is the API's 422
    teams, agents = await container.db.report(report_service(container).offers, v)
    return page.render("offers.html", teams=teams, agents=agents, v=v)
