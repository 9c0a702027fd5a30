"""The WhatsApp side of the local Twilio: the Content API, the 24-hour window, taps.

`surveybot whatsapp sync` creates content here; a submitted template is approved at once (the
real WhatsApp takes minutes to a day). A WhatsApp send outside the window is accepted and then
fails with 63016 in its status callback, as Twilio's does, unless it is an approved template.
The customer taps with `/phone/whatsapp-tap` (`from`, `option`: the option's number or title).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

WINDOW_S = 24 * 3600
_CONTENT = re.compile(r"^/v1/Content/(HX[0-9a-f]{32})(/ApprovalRequests(?:/whatsapp)?)?$")
_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass
class Option:
    title: str
    payload: str
    is_list: bool


@dataclass
class FakeWhatsApp:
    contents: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_inbound: dict[str, float] = field(default_factory=dict)  # by the customer's number
    options: dict[str, list[Option]] = field(default_factory=dict)  # the last ones offered

    # -- the Content API ------------------------------------------------------------------------

    async def content_api(self, request: Request) -> Response:
        path = request.url.path
        if request.method == "POST" and path == "/v1/Content":
            payload = json.loads(await request.body() or b"{}")
            sid = "HX" + uuid.uuid4().hex
            types = {k: v for k, v in (payload.get("types") or {}).items() if v is not None}
            self.contents[sid] = {**payload, "types": types, "sid": sid, "status": "unsubmitted"}
            return JSONResponse({**self.contents[sid], "account_sid": "AC"}, status_code=201)
        match = _CONTENT.match(path)
        content = self.contents.get(match.group(1)) if match else None
        if match is None or content is None:
            return JSONResponse({"code": 20404, "message": "not found", "status": 404}, 404)
        if request.method == "POST":
            # The dev fakes' WhatsApp approves at once; the real one takes a while.
            content["status"] = "approved"
            return JSONResponse({"status": "received", "name": content["sid"]}, status_code=201)
        whatsapp = {"status": content["status"], "rejection_reason": ""}
        return JSONResponse({"sid": content["sid"], "whatsapp": whatsapp})

    # -- messages -----------------------------------------------------------------------------

    def inbound(self, number: str) -> None:
        self.last_inbound[number] = time.time()

    def in_window(self, number: str) -> bool:
        return time.time() - self.last_inbound.get(number, -1e12) < WINDOW_S

    def send(self, number: str, form: dict[str, str]) -> tuple[str, str | None]:
        """What the customer sees, and the error code a status callback will carry (or None)."""
        sid = form.get("ContentSid")
        inside = self.in_window(number)
        if not sid:
            return form.get("Body", ""), None if inside else "63016"
        content = self.contents.get(sid)
        if content is None:
            return "", "21655"
        variables = json.loads(form.get("ContentVariables") or "{}")
        [(kind, body)] = content["types"].items()
        approved = content["status"] == "approved" and kind != "twilio/list-picker"
        if not inside and not approved:
            return "", "63016"
        rows = body.get("actions") or body.get("items") or []
        self.options[number] = [
            Option(
                str(row.get("title") or row.get("item")),
                _VARIABLE.sub(lambda m: str(variables.get(m.group(1), "")), str(row["id"])),
                "items" in body,
            )
            for row in rows
        ]
        shown = " ".join(f"[{n}] {o.title}" for n, o in enumerate(self.options[number], 1))
        return f"{body.get('body', '')}\n    {shown}", None

    def tapped(self, number: str, option: str) -> Option | None:
        offered = self.options.get(number, [])
        if option.isdigit() and 1 <= int(option) <= len(offered):
            return offered[int(option) - 1]
        return next((o for o in offered if o.title == option), None)
