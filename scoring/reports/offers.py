"""The offer audit: per team and agent, how many eligible contacts were offered the survey.

Counted by invitation time over invitations (the contact centre reports every contact, with
`no_survey` when the agent skips one), by the agent and team that closed the contact (the
last of the chain), who decide whether the survey is offered. An agent whose offer rate lies
below the rest of their team beyond chance (a two-proportion z-test, 95 %, one-sided) is
flagged: that is what cherry-picking the happy customers looks like.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from scoring.reports.filters import Filters, ReportConfig
from scoring.reports.sql import INVITATION, conditions
from scoring.skip_reasons import NO_SURVEY_BY_AGENT
from scoring.tables import InvitationStatus

Z_95_ONE_SIDED = 1.6449  # the normal quantile a flag needs: below the team, 95 % sure


@dataclass(frozen=True, slots=True)
class OfferRow:
    """One team (agent None) or one agent within a team."""

    team: str | None
    agent: str | None
    contacts: int  # every invitation the contact centre posted
    eligible: int  # minus those an eligibility rule excluded
    skipped_by_hand: int  # eligible, and the agent's desktop said no_survey
    sent: int  # the question went out
    voice_eligible: int
    voice_transferred: int  # voice contacts whose caller was moved into the survey
    flag: str | None = None  # "skips" or "voice": far below the rest of the team
    z: float | None = None  # the z of the flagged comparison (negative: below the team)

    @property
    def skipped_share(self) -> float | None:
        return _share(self.skipped_by_hand, self.eligible)

    @property
    def voice_share(self) -> float | None:
        return _share(self.voice_transferred, self.voice_eligible)

    def as_dict(self) -> dict[str, Any]:
        skipped, voice = self.skipped_share, self.voice_share
        return {
            "team": self.team,
            "agent": self.agent,
            "contacts": self.contacts,
            "eligible": self.eligible,
            "skipped_by_hand": self.skipped_by_hand,
            "sent": self.sent,
            "skipped_pct": None if skipped is None else round(100 * skipped, 2),
            "voice_eligible": self.voice_eligible,
            "voice_transferred": self.voice_transferred,
            "voice_transferred_pct": None if voice is None else round(100 * voice, 2),
            "flag": self.flag,
            "z": None if self.z is None else round(self.z, 3),
        }


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def below_rest(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """z of proportion x1/n1 against x2/n2 with the pooled standard error; None if undefined."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    return (x1 / n1 - x2 / n2) / se


def offer_audit(
    conn: sa.Connection, filters: Filters = Filters(), config: ReportConfig = ReportConfig()
) -> tuple[list[OfferRow], list[OfferRow]]:
    """The teams' rows and the agents' rows (team, then agent, in name order; none last)."""
    inv = INVITATION.c
    where = conditions(INVITATION, "created_at", filters, conn.dialect.name)
    eligible = inv.status != InvitationStatus.INELIGIBLE.value
    voice = sa.and_(eligible, inv.channel == "voice")

    def count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    counted = conn.execute(
        sa.select(
            inv.team,
            inv.agent,
            sa.func.count(),
            count(eligible),
            count(sa.and_(eligible, inv.status_reason == NO_SURVEY_BY_AGENT)),
            count(inv.sent_at.is_not(None)),
            count(voice),
            count(sa.and_(voice, inv.sent_at.is_not(None))),
        )
        .where(*where)
        .group_by(inv.team, inv.agent)
    ).all()
    by_team: dict[str | None, list[OfferRow]] = {}
    for team, agent, *numbers in counted:
        values: dict[str, Any] = dict(zip(_COUNTS, map(int, numbers), strict=True))
        row = OfferRow(team, agent, **values)
        by_team.setdefault(team, []).append(row)
    teams: list[OfferRow] = []
    agents_out: list[OfferRow] = []
    for team in sorted(by_team, key=lambda t: (t is None, t or "")):
        agents = sorted(by_team[team], key=lambda r: (r.agent is None, r.agent or ""))
        sums: dict[str, Any] = {f: sum(getattr(r, f) for r in agents) for f in _COUNTS}
        total = OfferRow(team, None, **sums)
        teams.append(total)
        agents_out.extend(_flagged(row, total, config.min_n) for row in agents)
    return teams, agents_out


_COUNTS = (
    "contacts",
    "eligible",
    "skipped_by_hand",
    "sent",
    "voice_eligible",
    "voice_transferred",
)


def _flagged(row: OfferRow, team: OfferRow, min_n: int) -> OfferRow:
    """The row, flagged when its offer rate is below the rest of its team beyond chance."""
    offered = row.eligible - row.skipped_by_hand
    rest_eligible = team.eligible - row.eligible
    rest_offered = rest_eligible - (team.skipped_by_hand - row.skipped_by_hand)
    comparisons = (
        ("skips", offered, row.eligible, rest_offered, rest_eligible),
        (
            "voice",
            row.voice_transferred,
            row.voice_eligible,
            team.voice_transferred - row.voice_transferred,
            team.voice_eligible - row.voice_eligible,
        ),
    )
    for flag, x1, n1, x2, n2 in comparisons:
        # Too few contacts on either side is no evidence either way.
        if n1 < max(min_n, 1) or n2 < max(min_n, 1):
            continue
        z = below_rest(x1, n1, x2, n2)
        if z is not None and z <= -Z_95_ONE_SIDED:
            return OfferRow(**{**_fields(row), "flag": flag, "z": z})
    return row


def _fields(row: OfferRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in OfferRow.__dataclass_fields__}
