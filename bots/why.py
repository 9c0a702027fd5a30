"""Why a customer was (not) surveyed, for the API, the dashboard and `surveybot why`."""

from __future__ import annotations

from flows.service import SurveyService
from flows.why import Explanation, explain_record
from scoring.db import Database
from scoring.interactions import interaction_records


def explain_interaction(
    db: Database, service: SurveyService, interaction_id: str
) -> list[Explanation]:
    """Every invitation made for the interaction with the rules that applied; [] when none."""
    explained = []
    for record in interaction_records(db.engine, interaction_id):
        flow = service.flows.get(record.invitation.flow_id)
        policy = service.policy.for_flow(flow) if flow is not None else service.policy
        explained.append(explain_record(record, policy.send_delay))
    return explained
