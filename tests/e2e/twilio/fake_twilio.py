"""A tiny stand-in for Twilio's REST API on 127.0.0.1: records requests, answers like Twilio.

Only what surveybot calls: `POST /2010-04-01/Accounts/{sid}/Messages.json` and `Calls.json`,
and the Content API under `/v1/Content` (fake_content.py). The real twilio library talks to it
through TWILIO_API_BASE_URL and TWILIO_CONTENT_BASE_URL.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.e2e.twilio.fake_content import FakeContent

_RESOURCE = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/(?P<kind>Messages|Calls)\.json$")


@dataclass(frozen=True)
class Recorded:
    kind: str  # "Messages" or "Calls"
    account: str
    form: dict[str, list[str]]
    username: str
    sid: str | None  # what we answered; None when refused

    def one(self, name: str) -> str:
        [value] = self.form[name]
        return value


@dataclass
class Status:
    """A status callback Twilio owes us (WhatsApp refusals arrive this way, not as a 4xx)."""

    callback: str
    sid: str
    status: str
    to: str
    sender: str
    error_code: str | None = None


@dataclass
class FakeTwilio:
    """Configure `refuse[to_number] = (http status, twilio code, message)` to make a send fail.

    WhatsApp is as strict as the real one: outside the 24-hour window (opened by `inbound`)
    a free-form Body, a session-only content type or a template WhatsApp has not approved is
    accepted (201) and then fails with 63016 in its status callback; an unknown ContentSid is
    refused with 21655 and ContentVariables that are not a JSON object of strings with 21656.
    `async_errors[to_number] = code` makes a WhatsApp send to that number fail the same way.
    """

    requests: list[Recorded] = field(default_factory=list)
    delay_s: float = 0.0  # per request, to make sends take time like the real API
    refuse: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    async_errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    content: FakeContent = field(default_factory=FakeContent)
    # (customer's WhatsApp address, our sender) -> when the customer last wrote (epoch s).
    last_inbound: dict[tuple[str, str], float] = field(default_factory=dict)
    statuses: list[Status] = field(default_factory=list)
    clock: Callable[[], float] = time.time

    def of_kind(self, kind: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.kind == kind]

    def inbound(self, customer: str, sender: str, at: float | None = None) -> None:
        """The customer wrote to our WhatsApp sender: WhatsApp opens the 24-hour window."""
        key = (_wa(customer), _wa(sender))
        with self.lock:
            self.last_inbound[key] = self.clock() if at is None else at

    def in_window(self, customer: str, sender: str) -> bool:
        last = self.last_inbound.get((_wa(customer), _wa(sender)))
        return last is not None and self.clock() - last < 24 * 3600

    def take_statuses(self) -> list[Status]:
        with self.lock:
            owed, self.statuses = self.statuses, []
        return owed

    def whatsapp_outcome(self, form: dict[str, list[str]]) -> tuple[int, int, str] | int | None:
        """A sync refusal (status, code, message), an async error code, or None: delivered."""
        to, sender = form.get("To", [""])[0], form.get("From", [""])[0]
        content_sid = form.get("ContentSid", [""])[0]
        if to.removeprefix("whatsapp:") in self.async_errors:
            return self.async_errors[to.removeprefix("whatsapp:")]
        inside = self.in_window(to, sender)
        if not content_sid:
            return None if inside else 63016
        resource = self.content.get(content_sid)
        if resource is None:
            return (400, 21655, "The Content SID is Invalid.")
        raw = form.get("ContentVariables", ["{}"])[0]
        try:
            variables = json.loads(raw)
        except ValueError:
            variables = None
        if not isinstance(variables, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
        ):
            return (400, 21656, "The Content Variables parameter is invalid.")
        if inside:
            return None
        # Outside the window only an approved template may start a conversation.
        approved = resource.approval.get("status") == "approved"
        return None if approved and resource.kind != "twilio/list-picker" else 63016


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as the real API: the twilio client reuses its connection.
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: pytest output stays readable."""

        def _answer(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            """The message list, filtered by To: what a recovering worker asks."""
            path, _, query = self.path.partition("?")
            if path.startswith("/v1/Content"):
                self._answer(*fake.content.get_path(path, dict(self.headers.items())))
                return
            match = _RESOURCE.match(path)
            if match is None or match["kind"] != "Messages":
                self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                return
            to = parse_qs(query).get("To", [""])[0]
            with fake.lock:
                sent = [r for r in fake.requests if r.kind == "Messages" and r.sid]
            messages = [
                {
                    "sid": r.sid,
                    "to": r.one("To"),
                    "body": r.form.get("Body", [""])[0],
                    "status": "sent",
                }
                for r in sent
                if r.one("To") == to
            ]
            self._answer(
                200,
                {
                    "messages": messages,
                    "page": 0,
                    "page_size": 50,
                    "first_page_uri": path,
                    "next_page_uri": None,
                    "previous_page_uri": None,
                    "uri": self.path,
                    "start": 0,
                    "end": max(len(messages) - 1, 0),
                },
            )

        def do_POST(self) -> None:
            if self.path.startswith("/v1/Content"):
                length = int(self.headers.get("Content-Length", "0"))
                self._answer(
                    *fake.content.post(
                        self.path, self.rfile.read(length), dict(self.headers.items())
                    )
                )
                return
            match = _RESOURCE.match(self.path)
            length = int(self.headers.get("Content-Length", "0"))
            form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            if match is None:
                self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                return
            auth = self.headers.get("Authorization", "")
            username = base64.b64decode(auth.removeprefix("Basic ")).decode().split(":")[0]
            kind, account = match["kind"], match["account"]
            if fake.delay_s:
                time.sleep(fake.delay_s)
            to = form.get("To", [""])[0]
            outcome = (
                fake.whatsapp_outcome(form)
                if kind == "Messages" and to.startswith("whatsapp:")
                else None
            )
            refusal = fake.refuse.get(to) or (outcome if isinstance(outcome, tuple) else None)
            refused = refusal is not None
            sid = None if refused else ("SM" if kind == "Messages" else "CA") + uuid.uuid4().hex
            with fake.lock:
                fake.requests.append(Recorded(kind, account, form, username, sid))
                callback = form.get("StatusCallback", [""])[0]
                if sid is not None and isinstance(outcome, int) and callback:
                    sender = form.get("From", [""])[0]
                    fake.statuses.append(Status(callback, sid, "failed", to, sender, str(outcome)))
            if refusal is not None:
                status, code, message = refusal
                self._answer(
                    status,
                    {
                        "code": code,
                        "message": message,
                        "more_info": f"https://www.twilio.com/docs/errors/{code}",
                        "status": status,
                    },
                )
                return
            self._answer(
                201,
                {
                    "sid": sid,
                    "account_sid": account,
                    "to": to,
                    "from": form.get("From", [""])[0],
                    "body": form.get("Body", [None])[0],
                    "status": "queued",
                    "direction": "outbound-api",
                    "api_version": "2010-04-01",
                    "uri": f"/2010-04-01/Accounts/{account}/{kind}/{sid}.json",
                },
            )

    return Handler


def _wa(address: str) -> str:
    return address if address.startswith("whatsapp:") else f"whatsapp:{address}"


class FakeTwilioServer:
    """Runs `FakeTwilio` on a free loopback port in a background thread."""

    def __init__(self) -> None:
        self.fake = FakeTwilio()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.fake))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeTwilioServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
