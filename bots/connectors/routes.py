"""The connectors' webhooks: one route per platform, each off until its secret is set."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request

from bots.api.deps import ErrorOut
from bots.connectors import chatwoot, flex, generic, zendesk
from bots.connectors.core import ConnectorAnswer, Event, take
from bots.container import Container
from bots.settings import Settings
from flows.contact_mapping import FieldMap, load_mappings

Reader = Callable[[Request, Settings, FieldMap], Awaitable[Event]]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorOut, "description": "the platform's signature does not match"},
    404: {"model": ErrorOut, "description": "this connector is off (its secret is not set)"},
    413: {"model": ErrorOut, "description": "body too large"},
}


def connectors_router(container: Container) -> APIRouter:
    """The four webhooks, with the field mappings read once (a broken file fails start-up)."""
    mappings = load_mappings(container.settings.connectors_file)
    router = APIRouter(prefix="/webhooks", tags=["connectors"], responses=ERRORS)

    def route(path: str, name: str, reader: Reader, summary: str) -> None:
        mapping = mappings[name]

        async def receive(request: Request) -> ConnectorAnswer:
            event = await reader(request, container.settings, mapping)
            return await take(container, event)

        router.add_api_route(
            path,
            receive,
            methods=["POST"],
            response_model=ConnectorAnswer,
            summary=summary,
            name=f"connector_{name}",
        )

    route("/connectors/generic", generic.NAME, generic.read, "Any CRM: a contact ended")
    route("/zendesk", zendesk.NAME, zendesk.read, "Zendesk trigger: a ticket was solved")
    route("/chatwoot", chatwoot.NAME, chatwoot.read, "Chatwoot: a conversation was resolved")
    route("/flex/taskrouter", flex.NAME, flex.read, "Twilio TaskRouter event callback")
    return router
