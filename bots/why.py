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


# What an admin reads for each rule and outcome, in both languages (CLI and dashboard).
RULES: dict[str, dict[str, str]] = {
    "eligibility": {"nl": "geschiktheid", "en": "eligibility"},
    "no_survey": {"nl": "geen enquête (agent)", "en": "no survey (agent)"},
    "opt_out": {"nl": "afmelding", "en": "opt-out"},
    "fatigue_rules": {"nl": "vermoeidheidsregels", "en": "fatigue rules"},
    "one_open_survey": {"nl": "één open enquête", "en": "one open survey"},
    "cooldown": {"nl": "rustperiode", "en": "cooldown"},
    "sampling": {"nl": "steekproef", "en": "sampling"},
    "send_delay": {"nl": "wachttijd", "en": "send delay"},
    "quiet_hours": {"nl": "stille uren", "en": "quiet hours"},
    "whatsapp_window": {"nl": "WhatsApp-venster", "en": "WhatsApp window"},
    "send": {"nl": "verzending", "en": "send"},
    "answer": {"nl": "antwoord", "en": "answer"},
}
OUTCOMES: dict[str, dict[str, str]] = {
    "passed": {"nl": "doorgelaten", "en": "passed"},
    "excluded": {"nl": "uitgesloten", "en": "excluded"},
    "skipped": {"nl": "overgeslagen", "en": "skipped"},
    "not_applied": {"nl": "niet toegepast", "en": "not applied"},
    "waited": {"nl": "gewacht", "en": "waited"},
    "waiting": {"nl": "wacht", "en": "waiting"},
    "retried": {"nl": "opnieuw geprobeerd", "en": "retried"},
    "failed": {"nl": "mislukt", "en": "failed"},
    "sent": {"nl": "verstuurd", "en": "sent"},
    "answered": {"nl": "beantwoord", "en": "answered"},
    "expired": {"nl": "verlopen", "en": "expired"},
    "unanswered": {"nl": "onbeantwoord", "en": "unanswered"},
    "opted_out": {"nl": "afgemeld", "en": "opted out"},
}


def label(table: dict[str, dict[str, str]], key: str, lang: str) -> str:
    """The admin's word for a rule or outcome; the code itself when none is known."""
    return table.get(key, {}).get(lang, key)
