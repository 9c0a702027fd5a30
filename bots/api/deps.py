"""Request dependencies: the container, the service and the bearer-token roles."""

from __future__ import annotations

import hmac
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from bots.container import Container
from bots.throttle import Guard, too_many

_bearer = HTTPBearer(
    auto_error=False, description="SURVEYBOT_ADMIN_TOKEN or SURVEYBOT_VIEWER_TOKEN"
)


# Ids are INTEGER columns: PostgreSQL's int4 holds no more, SQLite's int8 overflows further on.
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000


class ErrorOut(BaseModel):
    """What every hand-raised 4xx answers (a 422 has FastAPI's own field-error list)."""

    detail: str


_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds until the client may try again",
        "schema": {"type": "integer"},
    }
}
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no bearer token, or not a valid one"},
    429: {
        "model": ErrorOut,
        "description": "too many failed attempts from this client",
        "headers": _RETRY_AFTER,
    },
}
FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorOut, "description": "a viewer token: this needs the admin role"}
}


def not_found(what: str) -> dict[int | str, dict[str, Any]]:
    return {404: {"model": ErrorOut, "description": f"no such {what}"}}


def invalid(where: tuple[str, ...], message: str) -> RequestValidationError:
    """A hand-raised 422 in the documented shape of FastAPI's own (HTTPValidationError)."""
    return RequestValidationError([{"type": "value_error", "loc": where, "msg": message}])


def no_such(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no such {what}")


def existing_id(value: int, what: str) -> int:
    """`value`, or the 404 an id no row can have gets (never a database overflow)."""
    if not 1 <= value <= MAX_ID:
        raise no_such(what)
    return value


class Role(StrEnum):
    ADMIN = "admin"
    VIEWER = "viewer"


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def _matches(given: str, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


async def current_role(
    request: Request,
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Role:
    """401 without a valid token, 429 after too many wrong ones; the token's role otherwise."""
    guard = Guard(container, request)
    if wait := await guard.blocked():
        raise too_many(wait)
    settings = container.settings
    if credentials is not None and credentials.scheme.lower() == "bearer":
        token = credentials.credentials
        if _matches(token, settings.role_token(Role.ADMIN)):
            return Role.ADMIN
        if _matches(token, settings.role_token(Role.VIEWER)):
            return Role.VIEWER
        # Only a wrong token counts: a request without one is a client that was not set up.
        await guard.failed()
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "a valid bearer token is required",
        headers={"WWW-Authenticate": "Bearer"},
    )


def require_admin(role: Annotated[Role, Depends(current_role)]) -> Role:
    if role is not Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin role")
    return role


AdminDep = Annotated[Role, Depends(require_admin)]
ViewerDep = Annotated[Role, Depends(current_role)]
