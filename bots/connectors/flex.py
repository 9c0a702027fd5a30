"""The Twilio Flex / TaskRouter connector: the workspace's event callback.

TaskRouter POSTs form parameters to the workspace's EventCallbackUrl, signed with
X-Twilio-Signature like any Twilio webhook (https://www.twilio.com/docs/taskrouter/api/event/reference):
EventType, AccountSid, WorkspaceSid, ResourceSid, Timestamp and, for task events, TaskSid,
TaskAttributes (a JSON string: channelType, from, ...), TaskQueueName, TaskChannelUniqueName,
TaskAge, TaskCompletedReason; reservation events add WorkerSid and WorkerName.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from bots.connectors.core import Event, switched_off
from bots.settings import Settings
from bots.twilio.security import verified_webhook
from flows.contact_mapping import FieldMap, Unmappable, map_event

NAME = "flex"
# Where the contact ends: the task in wrap-up or completed, or the agent's reservation of it
# (which names the worker).
EVENTS = {"task.wrapup", "task.completed", "reservation.wrapup", "reservation.completed"}


async def read(request: Request, settings: Settings, mapping: FieldMap) -> Event:
    if not settings.flex_connector:
        raise switched_off(NAME, "SURVEYBOT_FLEX_CONNECTOR=true (with TWILIO_AUTH_TOKEN)")
    webhook = await verified_webhook(request, settings)  # 403 on a bad signature
    params = dict(webhook.params)
    event_type = params.get("EventType", "")
    task = params.get("TaskSid", "")
    # A task is one contact: its wrap-up and its completion are the same survey.
    key = f"task:{task}" if task else f"event:{params.get('Sid') or params.get('ResourceSid', '')}"
    if event_type not in EVENTS:
        why = f"event '{event_type[:40]}' is not a finished task"
        return Event(NAME, key, Unmappable(why), ignored=True)
    if not task:
        return Event(NAME, key, Unmappable("no TaskSid in the event"))
    payload: dict[str, Any] = {**params, "attributes": _attributes(params.get("TaskAttributes"))}
    return Event(NAME, key, map_event(payload, mapping), task)


def _attributes(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
