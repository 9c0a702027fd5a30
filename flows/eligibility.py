"""Eligibility: which contacts may be surveyed at all, decided when the invitation arrives.

Pure; the service applies it. Each rule that excludes a contact names itself with a stable
code, stored as the invitation's `status_reason`, so no contact is ever dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from flows.models import Flow
from scoring import skip_reasons

# The codes, in the order the rules are checked (the first that applies is stored).
QUEUE = skip_reasons.INELIGIBLE_QUEUE
DISPOSITION = skip_reasons.INELIGIBLE_DISPOSITION
BOT_ONLY = skip_reasons.INELIGIBLE_BOT_ONLY
AUTO_CLOSED = skip_reasons.INELIGIBLE_AUTO_CLOSED
SHORT_CONTACT = skip_reasons.INELIGIBLE_SHORT_CONTACT
OUTBOUND = skip_reasons.INELIGIBLE_OUTBOUND
AGENT_NUMBER = skip_reasons.INELIGIBLE_AGENT_NUMBER
REASONS = skip_reasons.INELIGIBLE
NO_SURVEY_BY_AGENT = skip_reasons.NO_SURVEY_BY_AGENT


class ContactFacts(Protocol):
    """What the contact centre told us about the contact (a `NewInvitation`)."""

    @property
    def address(self) -> str: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def disposition(self) -> str | None: ...
    @property
    def bot_only(self) -> bool: ...
    @property
    def auto_closed(self) -> bool: ...
    @property
    def handle_time_seconds(self) -> int | None: ...
    @property
    def direction(self) -> str | None: ...


def _folded(values: frozenset[str] | list[str] | tuple[str, ...]) -> frozenset[str]:
    return frozenset(v.strip().casefold() for v in values if v.strip())


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The rules; the defaults skip only bot-only and auto-closed contacts."""

    exclude_queues: frozenset[str] = frozenset()
    exclude_dispositions: frozenset[str] = frozenset()
    skip_bot_only: bool = True
    skip_auto_closed: bool = True
    min_handle_seconds: int = 0
    skip_outbound: bool = False
    # The agents' own phone numbers (E.164): an agent testing on their own phone is no customer.
    agent_numbers: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "exclude_queues", _folded(self.exclude_queues))
        object.__setattr__(self, "exclude_dispositions", _folded(self.exclude_dispositions))
        numbers = frozenset(n.replace(" ", "") for n in self.agent_numbers if n.strip())
        object.__setattr__(self, "agent_numbers", numbers)

    def for_flow(self, flow: Flow) -> Eligibility:
        """The flow's own `[eligibility]` settings win over the global ones."""
        rules = flow.eligibility
        if rules is None:
            return self
        changes = {
            name: value
            for name, value in rules.model_dump().items()
            if value is not None and name in Eligibility.__dataclass_fields__
        }
        return replace(self, **changes)

    def reason(self, contact: ContactFacts) -> str | None:
        """The code of the first rule that excludes this contact, or None when it may be asked."""
        if contact.queue and contact.queue.strip().casefold() in self.exclude_queues:
            return QUEUE
        disposition = contact.disposition
        if disposition and disposition.strip().casefold() in self.exclude_dispositions:
            return DISPOSITION
        if self.skip_bot_only and contact.bot_only:
            return BOT_ONLY
        if self.skip_auto_closed and contact.auto_closed:
            return AUTO_CLOSED
        seconds = contact.handle_time_seconds
        if self.min_handle_seconds and seconds is not None and seconds < self.min_handle_seconds:
            return SHORT_CONTACT
        if self.skip_outbound and contact.direction == "outbound":
            return OUTBOUND
        if contact.address and contact.address.replace(" ", "") in self.agent_numbers:
            return AGENT_NUMBER
        return None
