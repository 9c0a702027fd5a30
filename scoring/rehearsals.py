"""Test answers: the surveys `surveybot try` (or an invitation marked test) ran.

They are stored like any survey, so a rehearsal exercises the real engine and storage, but
carry `is_test`: reports, exports, metrics and alerts leave them out (scoring.reports.filters
`Rehearsals`), and an admin can delete them all at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import scoring.cases  # noqa: F401  (registers the alert tables on SQLModel.metadata)

_T = SQLModel.metadata.tables


def count_test_answers(engine: Engine) -> dict[str, int]:
    """How many test invitations and test responses are stored."""
    invitation, response = _T["invitation"], _T["response"]
    with engine.connect() as conn:
        surveys = conn.execute(
            sa.select(sa.func.count()).where(invitation.c.is_test == sa.true())
        ).scalar_one()
        answers = conn.execute(
            sa.select(sa.func.count()).where(response.c.is_test == sa.true())
        ).scalar_one()
    return {"invitations": int(surveys), "responses": int(answers)}


def purge_test_answers(engine: Engine) -> dict[str, int]:
    """Delete every test survey with everything hanging off it, in one transaction.

    Contacts go too when no real invitation uses them (the console's made-up names).
    Returns the rows deleted per table.
    """
    t = _T
    invitation, response = t["invitation"], t["response"]
    tests = sa.select(invitation.c.id).where(invitation.c.is_test == sa.true())
    answers = sa.select(response.c.id).where(response.c.invitation_id.in_(tests))
    cases = sa.select(t["alert_case"].c.id).where(t["alert_case"].c.response_id.in_(answers))
    events = sa.select(t["alert_event"].c.id).where(t["alert_event"].c.case_id.in_(cases))
    with engine.begin() as conn:
        contacts = set(
            conn.execute(sa.select(invitation.c.contact_id).where(invitation.c.id.in_(tests)))
            .scalars()
            .all()
        )
        steps = [
            ("alert_delivery", t["alert_delivery"].c.event_id.in_(events)),
            ("alert_event", t["alert_event"].c.id.in_(events)),
            ("alert_case", t["alert_case"].c.id.in_(cases)),
            ("comment", t["comment"].c.response_id.in_(answers)),
            ("response", response.c.invitation_id.in_(tests)),
            ("lateanswer", t["lateanswer"].c.invitation_id.in_(tests)),
            ("inboundevent", t["inboundevent"].c.invitation_id.in_(tests)),
            ("outboundmessage", t["outboundmessage"].c.invitation_id.in_(tests)),
            ("sendjob", t["sendjob"].c.invitation_id.in_(tests)),
            ("conversationstate", t["conversationstate"].c.invitation_id.in_(tests)),
            ("invitation", invitation.c.is_test == sa.true()),
        ]
        deleted = {
            name: int(conn.execute(t[name].delete().where(where)).rowcount) for name, where in steps
        }
        contact = t["contact"]
        still_used = sa.select(invitation.c.contact_id).where(invitation.c.contact_id.in_(contacts))
        deleted["contact"] = (
            int(
                conn.execute(
                    contact.delete().where(
                        contact.c.id.in_(contacts), contact.c.id.not_in(still_used)
                    )
                ).rowcount
            )
            if contacts
            else 0
        )
    return deleted
