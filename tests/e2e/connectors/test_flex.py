"""The Twilio Flex / TaskRouter connector: the workspace's event callback.

Parameters as the TaskRouter Events reference lists them
(https://www.twilio.com/docs/taskrouter/api/event/reference): EventType, AccountSid,
WorkspaceSid, WorkspaceName, EventDescription, ResourceType, ResourceSid, Timestamp, and for task
events TaskSid, TaskAttributes, TaskAge, TaskPriority, TaskAssignmentStatus, TaskQueueSid,
TaskQueueName, TaskChannelSid, TaskChannelUniqueName, TaskCompletedReason, WorkflowSid,
WorkflowName; reservation events add WorkerSid and WorkerName. Signed with X-Twilio-Signature
(twilio's RequestValidator over the callback URL and every parameter).
"""

from __future__ import annotations

import json
import uuid

import httpx

from bots.container import Container
from tests.e2e.connectors.conftest import (
    ACCOUNT_SID,
    connector_events,
    invitations,
    post_taskrouter,
)
from tests.e2e.twilio.fake_twilio import FakeTwilioServer

CUSTOMER = "+31612345678"
TASK = "WT" + uuid.uuid4().hex


def task_event(event_type: str = "task.completed", **attributes: object) -> dict[str, str]:
    """A Flex Conversations SMS task, completed."""
    attrs: dict[str, object] = {
        "channelType": "sms",
        "from": CUSTOMER,
        "direction": "inbound",
        "customerName": CUSTOMER,
        "conversationSid": "CH" + "1" * 32,
        "language": "nl-NL",
    }
    attrs.update(attributes)
    return {
        "EventType": event_type,
        "AccountSid": ACCOUNT_SID,
        "WorkspaceSid": "WS" + "2" * 32,
        "WorkspaceName": "Flex Task Assignment",
        "EventDescription": f"Task {TASK} completed",
        "ResourceType": "Task",
        "ResourceSid": TASK,
        "Sid": "EV" + uuid.uuid4().hex,
        "Timestamp": "1764590000",
        "TaskSid": TASK,
        "TaskAttributes": json.dumps(attrs),
        "TaskAge": "312",
        "TaskPriority": "0",
        "TaskAssignmentStatus": "completed",
        "TaskQueueSid": "WQ" + "3" * 32,
        "TaskQueueName": "Billing NL",
        "TaskChannelSid": "TC" + "4" * 32,
        "TaskChannelUniqueName": "chat",
        "TaskCompletedReason": "Task completed by agent",
        "WorkflowSid": "WW" + "5" * 32,
        "WorkflowName": "Assign to Anyone",
    }


def test_a_completed_task_texts_the_customer_a_survey(
    http: httpx.Client, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """The task's channel, customer and queue make one invitation; the SMS goes out."""
    answer = post_taskrouter(http, task_event())

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "invited"
    [invitation] = invitations(container)
    assert (invitation.channel, invitation.queue, invitation.locale) == ("sms", "Billing NL", "nl")
    assert invitation.interaction_id == TASK
    [sms] = fake_twilio.fake.of_kind("Messages")
    assert sms.one("To") == CUSTOMER


def test_the_reservation_wrapup_names_the_worker(http: httpx.Client, container: Container) -> None:
    """reservation.wrapup carries WorkerName: the agent on the invitation."""
    params = task_event("reservation.wrapup") | {
        "WorkerSid": "WK" + "6" * 32,
        "WorkerName": "anna",
        "ReservationSid": "WR" + "7" * 32,
    }
    post_taskrouter(http, params)

    [invitation] = invitations(container)
    assert invitation.agent == "anna"


def test_a_forged_taskrouter_signature_is_refused_and_nothing_is_stored(
    http: httpx.Client, container: Container
) -> None:
    """Signed with another auth token: 403, nothing stored."""
    answer = post_taskrouter(http, task_event(), token="another-accounts-auth-token-000000")

    assert answer.status_code == 403
    assert invitations(container) == []
    assert connector_events(container) == []


def test_wrapup_then_completion_of_one_task_is_one_invitation(
    http: httpx.Client, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """task.wrapup and task.completed (and TaskRouter's retries) are one contact: one survey."""
    first = post_taskrouter(http, task_event("task.wrapup")).json()
    again = post_taskrouter(http, task_event("task.completed")).json()

    assert again["duplicate"] is True
    assert again["invitation_id"] == first["invitation_id"]
    assert len(invitations(container)) == 1
    assert len(fake_twilio.fake.of_kind("Messages")) == 1


def test_other_workspace_events_are_answered_and_not_kept(
    http: httpx.Client, container: Container
) -> None:
    """TaskRouter posts every event: a worker's activity change is 200, and leaves no row."""
    params = {
        "EventType": "worker.activity.update",
        "AccountSid": ACCOUNT_SID,
        "WorkspaceSid": "WS" + "2" * 32,
        "ResourceType": "Worker",
        "ResourceSid": "WK" + "6" * 32,
        "Timestamp": "1764590000",
        "WorkerSid": "WK" + "6" * 32,
        "WorkerActivityName": "Available",
    }
    answer = post_taskrouter(http, params)

    assert answer.status_code == 200
    assert answer.json()["outcome"] == "unmapped"
    assert connector_events(container) == []


def test_a_web_chat_task_is_unmapped_with_the_reason(
    http: httpx.Client, container: Container
) -> None:
    """A web chat visitor has no phone number: 200, the reason, stored."""
    answer = post_taskrouter(http, task_event(channelType="web", **{"from": "visitor-81"}))

    assert answer.status_code == 200
    assert answer.json()["outcome"] == "unmapped"
    assert answer.json()["reason"]
    assert invitations(container) == []
    assert [e.outcome for e in connector_events(container)] == ["unmapped"]
