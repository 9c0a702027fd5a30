"""Twilio's Content API on 127.0.0.1, as strict as the real one on what surveybot sends.

`POST /v1/Content` (JSON: friendly_name, language, variables, types), `GET /v1/Content/{sid}`,
`POST /v1/Content/{sid}/ApprovalRequests/whatsapp` (name, category) and
`GET /v1/Content/{sid}/ApprovalRequests`. It checks the limits WhatsApp and Twilio document:
quick-reply 1-10 buttons with titles up to 20 characters, list-picker 1-10 rows (item up to 24,
description up to 72, a button text), ids up to 200, a sample for every variable, no body that
starts or ends with a variable, template names of lowercase letters, digits and underscores,
and that a list-picker cannot be submitted. WhatsApp's decision is the test's: `approve(sid)`,
`reject(sid, reason)`, `pause(sid)`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_NAME = re.compile(r"[a-z0-9_]{1,512}")
_CONTENT = re.compile(
    r"^/v1/Content/(?P<sid>HX[0-9a-f]{32})(?P<rest>/ApprovalRequests(?:/whatsapp)?)?$"
)
CATEGORIES = frozenset({"UTILITY", "MARKETING", "AUTHENTICATION"})
KNOWN_TYPES = frozenset({"twilio/text", "twilio/quick-reply", "twilio/list-picker"})
Answer = tuple[int, dict[str, object]]


@dataclass
class Resource:
    sid: str
    friendly_name: str
    language: str
    variables: dict[str, str]
    types: dict[str, Any]
    approval: dict[str, Any] = field(default_factory=lambda: {"status": "unsubmitted"})

    @property
    def kind(self) -> str:
        return next(iter(self.types))

    def as_json(self, account: str) -> dict[str, object]:
        return {
            "sid": self.sid,
            "account_sid": account,
            "friendly_name": self.friendly_name,
            "language": self.language,
            "variables": self.variables,
            "types": self.types,
            "url": f"https://content.twilio.com/v1/Content/{self.sid}",
            "links": {
                "approval_create": f"https://content.twilio.com/v1/Content/{self.sid}/ApprovalRequests/whatsapp",
                "approval_fetch": f"https://content.twilio.com/v1/Content/{self.sid}/ApprovalRequests",
            },
            "date_created": "Tue, 01 Dec 2026 12:00:00 +0000",
            "date_updated": "Tue, 01 Dec 2026 12:00:00 +0000",
        }


def _error(status: int, code: int, message: str) -> Answer:
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _problem(types: Mapping[str, Any], variables: Mapping[str, str]) -> str | None:
    """What the Content API would refuse in this definition, or None."""
    given = {k: v for k, v in types.items() if v is not None}
    if len(given) != 1 or not set(given) <= KNOWN_TYPES:
        return f"types must hold one of {sorted(KNOWN_TYPES)}"
    [(kind, body)] = given.items()
    text = body.get("body") or ""
    if not text or len(text) > 1024:
        return "body is required (1024 characters at most)"
    stripped = text.strip()
    if _VARIABLE.match(stripped) or re.search(r"\{\{\s*\w+\s*\}\}$", stripped):
        return "the body may not start or end with a variable"
    if kind == "twilio/quick-reply":
        actions = body.get("actions") or []
        if not 1 <= len(actions) <= 10:
            return "quick-reply holds 1 to 10 actions"
        for action in actions:
            if not action.get("title") or len(action["title"]) > 20:
                return f"action title '{action.get('title')}' must be 1-20 characters"
            if not action.get("id") or len(action["id"]) > 200:
                return "action id must be 1-200 characters"
    if kind == "twilio/list-picker":
        items = body.get("items") or []
        if not body.get("button") or len(body["button"]) > 20:
            return "button must be 1-20 characters"
        if not 1 <= len(items) <= 10:
            return "list-picker holds 1 to 10 items"
        for item in items:
            if not item.get("item") or len(item["item"]) > 24:
                return f"item '{item.get('item')}' must be 1-24 characters"
            if not item.get("description") or len(item["description"]) > 72:
                return "item description must be 1-72 characters"
            if not item.get("id") or len(item["id"]) > 200:
                return "item id must be 1-200 characters"
    used = set(_VARIABLE.findall(json.dumps(given)))
    if missing := used - set(variables):
        return f"no sample value for variable(s) {sorted(missing)}"
    return None


@dataclass
class FakeContent:
    account: str = "AC" + "0123456789abcdef" * 2
    auth_token: str = "test-twilio-auth-token-0123456789"
    resources: dict[str, Resource] = field(default_factory=dict)
    submissions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, sid: str) -> Resource | None:
        with self.lock:
            return self.resources.get(sid)

    # -- WhatsApp's decision (the test's) ------------------------------------------------------

    def _decide(self, sid: str, status: str, reason: str = "") -> None:
        with self.lock:
            self.resources[sid].approval |= {"status": status, "rejection_reason": reason}

    def approve(self, sid: str) -> None:
        self._decide(sid, "approved")

    def reject(self, sid: str, reason: str) -> None:
        self._decide(sid, "rejected", reason)

    def pause(self, sid: str) -> None:
        self._decide(sid, "paused")

    def approve_all(self) -> None:
        for sid, resource in list(self.resources.items()):
            if resource.approval.get("status") in {"received", "pending"}:
                self.approve(sid)

    # -- HTTP ----------------------------------------------------------------------------------

    def _authorised(self, headers: Mapping[str, str]) -> bool:
        raw = headers.get("Authorization", "").removeprefix("Basic ")
        try:
            user, _, password = base64.b64decode(raw).decode().partition(":")
        except ValueError:
            return False
        return (user, password) == (self.account, self.auth_token)

    def post(self, path: str, data: bytes, headers: Mapping[str, str]) -> Answer:
        if not self._authorised(headers):
            return _error(401, 20003, "Authenticate")
        try:
            payload = json.loads(data or b"{}")
        except ValueError:
            return _error(400, 20001, "the request body is not JSON")
        if path == "/v1/Content":
            return self._create(payload)
        match = _CONTENT.match(path)
        if match is None or match["rest"] != "/ApprovalRequests/whatsapp":
            return _error(404, 20404, "The requested resource was not found")
        return self._submit(match["sid"], payload)

    def get_path(self, path: str, headers: Mapping[str, str]) -> Answer:
        if not self._authorised(headers):
            return _error(401, 20003, "Authenticate")
        match = _CONTENT.match(path)
        resource = self.get(match["sid"]) if match else None
        if match is None or resource is None:
            return _error(404, 20404, "The requested resource was not found")
        if match["rest"] == "/ApprovalRequests":
            return 200, {
                "sid": resource.sid,
                "account_sid": self.account,
                "url": f"https://content.twilio.com/v1/Content/{resource.sid}/ApprovalRequests",
                "whatsapp": {
                    "type": "whatsapp",
                    "content_type": resource.kind,
                    **resource.approval,
                },
            }
        return 200, resource.as_json(self.account)

    def _create(self, payload: dict[str, Any]) -> Answer:
        types = payload.get("types") or {}
        variables = payload.get("variables") or {}
        if not payload.get("friendly_name") or not payload.get("language"):
            return _error(400, 20001, "friendly_name and language are required")
        if not isinstance(types, dict) or not isinstance(variables, dict):
            return _error(400, 20001, "types and variables must be objects")
        if (problem := _problem(types, variables)) is not None:
            return _error(400, 20001, problem)
        resource = Resource(
            "HX" + uuid.uuid4().hex,
            payload["friendly_name"],
            payload["language"],
            {str(k): str(v) for k, v in variables.items()},
            {k: v for k, v in types.items() if v is not None},
        )
        with self.lock:
            self.resources[resource.sid] = resource
        return 201, resource.as_json(self.account)

    def _submit(self, sid: str, payload: dict[str, Any]) -> Answer:
        resource = self.get(sid)
        if resource is None:
            return _error(404, 20404, "The requested resource was not found")
        name, category = payload.get("name") or "", payload.get("category") or ""
        if not _NAME.fullmatch(name):
            return _error(400, 20001, "name may hold only lowercase letters, digits and _")
        if category not in CATEGORIES:
            return _error(400, 20001, f"category must be one of {sorted(CATEGORIES)}")
        if resource.kind == "twilio/list-picker":
            return _error(
                400, 20001, "twilio/list-picker cannot be submitted for WhatsApp approval"
            )
        if resource.approval.get("status") != "unsubmitted":
            return _error(400, 20001, "this content was already submitted for approval")
        with self.lock:
            resource.approval = {
                "name": name,
                "category": category,
                "status": "received",
                "rejection_reason": "",
                "allow_category_change": True,
            }
            self.submissions.append((sid, dict(payload)))
        return 201, {
            "name": name,
            "category": category,
            "content_type": resource.kind,
            "status": "received",
            "rejection_reason": "",
            "allow_category_change": True,
        }
