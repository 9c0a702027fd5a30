"""The codes stored in `invitation.status_reason` when a contact is not surveyed by rule or by hand.

Snake_case and stable: reports, the why-lookup and integrations read them.
"""

from __future__ import annotations

# Eligibility rules (flows.eligibility), in the order they are checked.
INELIGIBLE_QUEUE = "ineligible_queue"
INELIGIBLE_DISPOSITION = "ineligible_disposition"
INELIGIBLE_BOT_ONLY = "ineligible_bot_only"
INELIGIBLE_AUTO_CLOSED = "ineligible_auto_closed"
INELIGIBLE_SHORT_CONTACT = "ineligible_short_contact"
INELIGIBLE_OUTBOUND = "ineligible_outbound"
INELIGIBLE_AGENT_NUMBER = "ineligible_agent_number"
INELIGIBLE = (
    INELIGIBLE_QUEUE,
    INELIGIBLE_DISPOSITION,
    INELIGIBLE_BOT_ONLY,
    INELIGIBLE_AUTO_CLOSED,
    INELIGIBLE_SHORT_CONTACT,
    INELIGIBLE_OUTBOUND,
    INELIGIBLE_AGENT_NUMBER,
)
# Not a rule: the agent's desktop asked for no survey on this contact.
NO_SURVEY_BY_AGENT = "no_survey_by_agent"
