"""Local fakes of what the connectors call out to, on 127.0.0.1, as strict as the real APIs.

- `zendesk`: `PUT /api/v2/tickets/{id}.json` (Zendesk Support API, Tickets: "Update Ticket",
  https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket) and
  `GET /api/v2/tickets/{id}/comments.json` ("List Comments": `{"comments": [...], "next_page":
  null, "previous_page": null, "count": n}`), with
  basic auth `{email}/token:{api_token}`; 401 `{"error": "Couldn't authenticate you"}`, 404
  `{"error": "RecordNotFound", "description": "Not found"}`, 422 `RecordInvalid` for a custom
  field the account does not have.
- `chatwoot`: `POST /api/v1/accounts/{account}/conversations/{id}/messages` (Chatwoot
  Application API, "Create New Message", https://developers.chatwoot.com/api-reference/messages/create-new-message)
  and `GET` on the same path ("Get messages": `{"meta": {...}, "payload": [...]}`), with the
  `api_access_token` header; 401 `{"errors": ["You need to sign in or sign up before
  continuing."]}`, 404 `{"error": "Resource could not be found"}`.
- `receiver`: any webhook receiver; answers `status` (200 unless told otherwise).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ZENDESK_EMAIL = "survey-bot@acme.example"
ZENDESK_TOKEN = "zd-api-token-6Hq2Lm9Xv4Tr8Kp1"
CHATWOOT_TOKEN = "cw-access-token-Ry7Nd2Wq5Ze8"
_TICKET = re.compile(r"^/api/v2/tickets/(\d+)\.json$")
_COMMENTS = re.compile(r"^/api/v2/tickets/(\d+)/comments\.json$")
_MESSAGES = re.compile(r"^/api/v1/accounts/(\d+)/conversations/(\d+)/messages$")


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Fake:
    kind: str  # receiver | zendesk | chatwoot
    received: list[Received] = field(default_factory=list)
    status: int = 200  # receiver: what to answer
    zendesk_token: str = ZENDESK_TOKEN  # change it to play a revoked token
    tickets: set[int] = field(default_factory=lambda: {4711})
    ticket_fields: set[int] = field(default_factory=lambda: {360001})
    conversations: set[tuple[int, int]] = field(default_factory=lambda: {(1, 10)})
    # What the platforms hold: comments per ticket, messages per (account, conversation).
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    messages: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> tuple[int, dict[str, Any]]:
        if self.kind == "zendesk":
            return self._zendesk(request)
        if self.kind == "chatwoot":
            return self._chatwoot(request)
        return self.status, {"ok": self.status < 300}

    def _zendesk(self, request: Received) -> tuple[int, dict[str, Any]]:
        expected = base64.b64encode(f"{ZENDESK_EMAIL}/token:{self.zendesk_token}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return 401, {"error": "Couldn't authenticate you"}
        listing = _COMMENTS.match(request.path)
        if request.method == "GET" and listing is not None:
            ticket_id = int(listing.group(1))
            if ticket_id not in self.tickets:
                return 404, {"error": "RecordNotFound", "description": "Not found"}
            found = self.comments.get(ticket_id, [])
            return 200, {
                "comments": found,
                "next_page": None,
                "previous_page": None,
                "count": len(found),
            }
        match = _TICKET.match(request.path)
        if request.method != "PUT" or match is None:
            return 404, {"error": "InvalidEndpoint", "description": "Not found"}
        if int(match.group(1)) not in self.tickets:
            return 404, {"error": "RecordNotFound", "description": "Not found"}
        try:
            ticket = request.json()["ticket"]
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "Unprocessable Entity", "description": "ticket is required"}
        for custom in ticket.get("custom_fields", []):
            if custom.get("id") not in self.ticket_fields:
                return 422, {
                    "error": "RecordInvalid",
                    "description": "Record validation errors",
                    "details": {"base": [{"description": f"Field {custom.get('id')} is invalid"}]},
                }
        comment = ticket.get("comment")
        if comment is not None and not str(comment.get("body", "")).strip():
            return 422, {"error": "RecordInvalid", "description": "Record validation errors"}
        if comment is not None:
            stored = self.comments.setdefault(int(match.group(1)), [])
            stored.append({"id": len(stored) + 1, "body": comment["body"], "public": False})
        return 200, {"ticket": {"id": int(match.group(1)), "status": "solved"}}

    def _chatwoot(self, request: Received) -> tuple[int, dict[str, Any]]:
        if request.headers.get("api_access_token") != CHATWOOT_TOKEN:
            return 401, {"errors": ["You need to sign in or sign up before continuing."]}
        match = _MESSAGES.match(request.path)
        if request.method not in ("GET", "POST") or match is None:
            return 404, {"error": "Resource could not be found"}
        account, conversation = int(match.group(1)), int(match.group(2))
        if (account, conversation) not in self.conversations:
            return 404, {"error": "Resource could not be found"}
        stored = self.messages.setdefault((account, conversation), [])
        if request.method == "GET":
            return 200, {"meta": {"labels": [], "contact": {}}, "payload": stored}
        body = request.json()
        if not str(body.get("content", "")).strip():
            return 422, {"message": "Content can't be blank"}
        message = {
            "id": len(stored) + 1,
            "content": body["content"],
            "private": bool(body.get("private")),
            "message_type": 1,
            "conversation_id": conversation,
        }
        stored.append(message)
        return 200, message


def _handler(fake: Fake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Received(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            with fake.lock:
                fake.received.append(request)
                status, body = fake.answer(request)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _handle

    return Handler


class FakeServer:
    """A `Fake` on a free loopback port, in a background thread."""

    def __init__(self, kind: str) -> None:
        self.fake = Fake(kind)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.fake))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
