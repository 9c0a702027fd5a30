"""Hand-made invitations and answers written straight into the tables, for report tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from scoring.answer_facts import fill_answer_facts
from scoring.tables import Contact, Invitation, Response

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "ces-effort": (1, 7), "resolved": (1, 2)}
METRIC = {"nps": "nps", "csat": "csat", "ces": "ces", "ces-effort": "ces", "resolved": "fcr"}
LOWER_IS_BETTER = {"ces-effort", "resolved"}


@dataclass
class Row:
    """One invitation; `value` None: never answered; `status` not sent when `sent` is False."""

    value: int | None
    flow: str = "nps"
    at: datetime = T0
    agent: str | None = None
    team: str | None = None
    channel: str = "sms"
    sent: bool = True
    status: str | None = None
    answer_delay: timedelta = timedelta(minutes=5)
    flow_version: str | None = None
    tags: list[str] = field(default_factory=list)
    # The contact's chain and effort, as the contact centre sent them.
    agents: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    transfers: int | None = None
    channel_switches: int | None = None


_ids = itertools.count(1)


def contact(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Contact.__table__),  # type: ignore[attr-defined]
            {"id": 1, "channel": "sms", "pseudonym": "p", "created_at": T0},
        )


def insert(engine: Engine, rows: list[Row]) -> None:
    """All rows in one transaction: invitations, and a response for each answered one."""
    invitations, responses = [], []
    for row in rows:
        iid = next(_ids)
        answered = row.at + row.answer_delay if row.value is not None else None
        invitations.append(
            {
                "id": iid,
                "public_id": f"inv-{iid}",
                "flow_id": row.flow,
                "channel": row.channel,
                "contact_id": 1,
                "locale": "nl",
                "agent": row.agent,
                "team": row.team,
                "queue": None,
                "journey_stage": None,
                "tags": row.tags,
                "status": row.status or ("completed" if row.value is not None else "open"),
                "created_at": row.at,
                "sent_at": row.at if row.sent else None,
                "delivery_status": "delivered" if row.sent else None,
                "answered_at": answered,
                "agents": row.agents,
                "teams": row.teams,
                "transfers": row.transfers,
                "channel_switches": row.channel_switches,
            }
        )
        if row.value is None:
            continue
        lo, hi = SCALES[row.flow]
        responses.append(
            {
                "id": iid,
                "invitation_id": iid,
                "flow_id": row.flow,
                "metric": METRIC[row.flow],
                "value": row.value,
                "scale_min": lo,
                "scale_max": hi,
                "lower_is_better": row.flow in LOWER_IS_BETTER,
                "raw_text": str(row.value),
                "normaliser_version": "t",
                "flow_version": row.flow_version,
                "channel": row.channel,
                "locale": "nl",
                "agent": row.agent,
                "team": row.team,
                "queue": None,
                "journey_stage": None,
                "answered_at": answered,
            }
        )
    with engine.begin() as conn:
        conn.execute(sa.insert(Invitation.__table__), invitations)  # type: ignore[attr-defined]
        if responses:
            conn.execute(sa.insert(Response.__table__), responses)  # type: ignore[attr-defined]
            fill_answer_facts(conn)  # as the answer's own INSERT stores it
