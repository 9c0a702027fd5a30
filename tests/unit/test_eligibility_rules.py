"""Eligibility rules, pure: which rule names itself first, and how a flow overrides them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bots.settings import Settings
from flows.eligibility import Eligibility
from flows.loader import load_flows
from flows.service import NewInvitation
from scoring.channels import Channel

PHONE = "+31612345678"


def contact(**facts: object) -> NewInvitation:
    return NewInvitation(Channel.SMS, PHONE, **facts)  # type: ignore[arg-type]


def test_the_first_rule_that_applies_is_the_one_stored() -> None:
    """A bot-only contact in an excluded queue is reported as the queue: rules go in order."""
    rules = Eligibility(exclude_queues=frozenset({"Intern"}))
    assert rules.reason(contact(queue=" INTERN ", bot_only=True)) == "ineligible_queue"
    assert rules.reason(contact(bot_only=True)) == "ineligible_bot_only"
    assert rules.reason(contact(queue="billing")) is None


def test_unknown_facts_pass_the_rules_that_need_them() -> None:
    """No handle time and no direction: the short-contact and outbound rules cannot skip it."""
    rules = Eligibility(min_handle_seconds=30, skip_outbound=True)
    assert rules.reason(contact()) is None
    assert rules.reason(contact(handle_time_seconds=29)) == "ineligible_short_contact"
    assert rules.reason(contact(handle_time_seconds=30)) is None
    assert rules.reason(contact(direction="outbound")) == "ineligible_outbound"


def test_a_flow_without_eligibility_keeps_the_global_rules() -> None:
    rules = Eligibility(agent_numbers=frozenset({"+31 6 87654321"}))
    flow = load_flows(None)["nps"]
    assert rules.for_flow(flow) is rules
    assert rules.reason(NewInvitation(Channel.SMS, "+31687654321")) == "ineligible_agent_number"


def test_a_chain_alone_sets_the_single_agent_and_a_single_agent_is_a_chain() -> None:
    assert contact(agents=("anna", "bram")).agent == "bram"
    assert contact(agent="anna").agents == ("anna",)
    assert contact(previous_channels=("chat", "email")).channel_switches == 2


def test_an_agent_number_setting_that_is_not_e164_names_its_position_not_the_number() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, agent_numbers="+31612345678, 0612345679")
    # The message is what `surveybot` prints (load_settings shows messages, not inputs).
    [problem] = caught.value.errors()
    assert "entry 2 is not an E.164 number" in problem["msg"]
    assert "0612345679" not in problem["msg"]
