"""Small groups kept from viewers: no drill-down or export of fewer than `min_group_n` answers.

A hidden score can still be worked out from a drill-down (its responses) or from a total
minus the visible groups. With `SURVEYBOT_SMALL_GROUPS_STRICT` a viewer gets no list or export
of responses whose filters leave fewer than the minimum; admins still see everything.
"""

from __future__ import annotations

from fastapi import HTTPException, status

from bots.api.deps import Role
from bots.container import Container
from bots.reporting import report_service
from scoring.reports.params import View


def withheld(container: Container, role: Role, v: View) -> bool:
    """True when this viewer may not see the individual responses under `v` (blocking read)."""
    settings = container.settings
    if not settings.small_groups_strict or role is Role.ADMIN:
        return False
    total = report_service(container).responses(v, limit=0).total
    return 0 < total < settings.min_group_n


def refusal(container: Container) -> HTTPException:
    n = container.settings.min_group_n
    return HTTPException(
        status.HTTP_403_FORBIDDEN,
        f"fewer than {n} answers under these filters: their responses are hidden from viewers "
        "(SURVEYBOT_SMALL_GROUPS_STRICT)",
    )


async def guard(container: Container, role: Role, v: View) -> None:
    """Raise the viewer's 403 when the responses under `v` form a hidden small group."""
    if await container.db.report(withheld, container, role, v):
        raise refusal(container)
