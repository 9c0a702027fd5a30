"""A tiny stand-in for Twilio's REST API on 127.0.0.1: records requests, answers like Twilio.

Only what surveybot calls: `POST /2010-04-01/Accounts/{sid}/Messages.json` and `Calls.json`.
The real twilio library talks to it through TWILIO_API_BASE_URL.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

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
class FakeTwilio:
    """Configure `refuse[to_number] = (http status, twilio code, message)` to make a send fail."""

    requests: list[Recorded] = field(default_factory=list)
    delay_s: float = 0.0  # per request, to make sends take time like the real API
    refuse: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of_kind(self, kind: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.kind == kind]


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
            match = _RESOURCE.match(path)
            if match is None or match["kind"] != "Messages":
                self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                return
            to = parse_qs(query).get("To", [""])[0]
            with fake.lock:
                sent = [r for r in fake.requests if r.kind == "Messages" and r.sid]
            messages = [
                {"sid": r.sid, "to": r.one("To"), "body": r.one("Body"), "status": "sent"}
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
            refused = to in fake.refuse
            sid = None if refused else ("SM" if kind == "Messages" else "CA") + uuid.uuid4().hex
            with fake.lock:
                fake.requests.append(Recorded(kind, account, form, username, sid))
            if refused:
                status, code, message = fake.refuse[to]
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
