"""A local Twilio: the REST calls surveybot makes, and the customer's phone that answers them.

Like Twilio it checks the account's credentials, signs every webhook it posts with the auth
token, calls the voice URL when a call is "answered", and posts status callbacks.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bots.devfakes import config
from bots.devfakes.whatsapp import FakeWhatsApp
from bots.twilio.client import compute_signature

API = "/2010-04-01/Accounts/{account}"
Say = Callable[[str], None]


@dataclass
class Call:
    sid: str
    number: str
    status_callback: str | None
    action: str | None = None  # the open <Gather>'s action URL; None once the call hung up


@dataclass
class FakeTwilio:
    server: str
    say: Say
    http: httpx.AsyncClient
    messages: list[dict[str, str]] = field(default_factory=list)
    calls: dict[str, Call] = field(default_factory=dict)  # by the customer's number
    whatsapp: FakeWhatsApp = field(default_factory=FakeWhatsApp)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def routes(self) -> list[Route]:
        return [
            Route(f"{API}/Messages.json", self.create_message, methods=["POST"]),
            Route(f"{API}/Messages.json", self.list_messages, methods=["GET"]),
            Route(f"{API}/Calls.json", self.create_call, methods=["POST"]),
            Route("/phone/sms", self.customer_texts, methods=["POST"]),
            Route("/phone/keys", self.customer_presses, methods=["POST"]),
            Route("/phone/speech", self.customer_speaks, methods=["POST"]),
            Route("/phone/whatsapp-tap", self.customer_taps, methods=["POST"]),
            Route("/v1/Content", self.whatsapp.content_api, methods=["POST"]),
            Route("/v1/Content/{rest:path}", self.whatsapp.content_api, methods=["GET", "POST"]),
        ]

    # -- the REST API surveybot calls ---------------------------------------------------------

    @staticmethod
    def _refused(request: Request) -> JSONResponse | None:
        if request.path_params["account"] != config.ACCOUNT_SID:
            return _error(404, 20404, "The requested resource was not found")
        try:
            user, _, password = (
                base64.b64decode(request.headers.get("Authorization", "").removeprefix("Basic "))
                .decode()
                .partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        if (user, password) != (config.ACCOUNT_SID, config.AUTH_TOKEN):
            return _error(401, 20003, "Authenticate")
        return None

    async def create_message(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        form = {k: str(v) for k, v in (await request.form()).items()}
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not to or not sender or not (body or form.get("ContentSid")):
            return _error(400, 21604, "A 'To', 'From' and 'Body' are required")
        whatsapp = to.startswith("whatsapp:")
        error = None
        if whatsapp:
            body, error = self.whatsapp.send(to.removeprefix("whatsapp:"), form)
            if error == "21655":
                return _error(400, 21655, "The Content SID is Invalid.")
        sid = "SM" + uuid.uuid4().hex
        self.messages.append({"sid": sid, "to": to, "from": sender, "body": body})
        number = to.removeprefix("whatsapp:")
        if error:
            self.say(
                f"whatsapp to {number}: refused with error {error} (outside the 24-hour window)"
            )
        else:
            self.say(f"{'whatsapp' if whatsapp else 'sms'} to {number}: {body}")
        if callback := form.get("StatusCallback"):
            self._later(self._message_statuses(callback, sid, to, sender, error))
        return JSONResponse(
            {"sid": sid, "to": to, "from": sender, "body": body, "status": "queued"},
            status_code=201,
        )

    async def list_messages(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        to = request.query_params.get("To", "")
        found = [{**m, "status": "delivered"} for m in self.messages if m["to"] == to]
        return JSONResponse(
            {
                "messages": found,
                "page": 0,
                "page_size": 50,
                "first_page_uri": request.url.path,
                "next_page_uri": None,
                "previous_page_uri": None,
                "uri": str(request.url.path),
                "start": 0,
                "end": max(len(found) - 1, 0),
            }
        )

    async def create_call(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        form = {k: str(v) for k, v in (await request.form()).items()}
        to, url = form.get("To", ""), form.get("Url", "")
        if not to or not form.get("From") or not url:
            return _error(400, 21205, "A 'To', 'From' and 'Url' are required")
        call = Call("CA" + uuid.uuid4().hex, to, form.get("StatusCallback"))
        self.calls[to] = call
        self.say(f"voice: calling {to} ...")
        # The customer picks up a moment later; Twilio then fetches the call's TwiML.
        self._later(self._answered(call, url))
        return JSONResponse({"sid": call.sid, "to": to, "status": "queued"}, status_code=201)

    # -- the customer's side -------------------------------------------------------------------

    async def customer_texts(self, request: Request) -> Response:
        """`from`, `text` (and `channel=whatsapp`): the customer sends a message to our number."""
        form = {k: str(v) for k, v in (await request.form()).items()}
        number, text = _number(form.get("from", "")), form.get("text", "")
        if not number:
            return PlainTextResponse("give the customer's number: -d from=+31612345678\n", 400)
        whatsapp = form.get("channel") == "whatsapp"
        if whatsapp:
            self.whatsapp.inbound(number)
        return await self._customer_message(number, text, whatsapp)

    async def customer_taps(self, request: Request) -> Response:
        """`from`, `option`: the customer taps an option (its number or title) on WhatsApp."""
        form = {k: str(v) for k, v in (await request.form()).items()}
        number = _number(form.get("from", ""))
        option = self.whatsapp.tapped(number, form.get("option", "").strip())
        if option is None:
            return PlainTextResponse(f"no such option on the last message to {number!r}\n", 404)
        self.whatsapp.inbound(number)
        field = (
            {"ListId": option.payload, "ListTitle": option.title}
            if option.is_list
            else {
                "ButtonPayload": option.payload,
                "ButtonText": option.title,
            }
        )
        return await self._customer_message(number, option.title, True, field)

    async def _customer_message(
        self, number: str, text: str, whatsapp: bool, extra: dict[str, str] | None = None
    ) -> Response:
        prefix = "whatsapp:" if whatsapp else ""
        params = {
            "AccountSid": config.ACCOUNT_SID,
            "MessageSid": "SM" + uuid.uuid4().hex,
            "From": prefix + number,
            "To": prefix + (config.WHATSAPP_FROM if whatsapp else config.SMS_FROM),
            "Body": text,
            "NumMedia": "0",
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
            **(extra or {}),
        }
        twiml = await self._post(f"{self.server}/webhooks/twilio/messaging", params)
        if twiml is None:
            return PlainTextResponse("the surveybot server did not answer; is it running?\n", 502)
        replies = [m.text or "" for m in twiml.iter("Message")]
        for reply in replies:
            self.say(f"{'whatsapp' if whatsapp else 'sms'} to {number}: {reply}")
        return PlainTextResponse("".join(f"{r}\n" for r in replies) or "(no reply)\n")

    async def customer_presses(self, request: Request) -> Response:
        """`to`, `keys`: the called customer presses keys on the keypad."""
        form = {k: str(v) for k, v in (await request.form()).items()}
        return await self._gathered(_number(form.get("to", "")), {"Digits": form.get("keys", "")})

    async def customer_speaks(self, request: Request) -> Response:
        """`to`, `speech`: the called customer answers out loud (what the recogniser heard)."""
        form = {k: str(v) for k, v in (await request.form()).items()}
        heard = {"SpeechResult": form.get("speech", ""), "Confidence": "0.92"}
        return await self._gathered(_number(form.get("to", "")), heard)

    # -- what Twilio does on its own ----------------------------------------------------------

    async def _answered(self, call: Call, url: str) -> None:
        await asyncio.sleep(0.3)
        spoken = await self._run_twiml(call, url, {})
        if spoken is None:
            self.say(f"voice: the surveybot server did not answer the call to {call.number}")

    async def _gathered(self, number: str, heard: dict[str, str]) -> Response:
        call = await _waiting(lambda: self.calls.get(number))
        if call is None or call.action is None:
            return PlainTextResponse(f"no call is waiting for an answer from {number!r}\n", 404)
        spoken = await self._run_twiml(call, call.action, heard)
        if spoken is None:
            return PlainTextResponse("the surveybot server did not answer; is it running?\n", 502)
        return PlainTextResponse("".join(f"{line}\n" for line in spoken))

    async def _run_twiml(self, call: Call, url: str, extra: dict[str, str]) -> list[str] | None:
        params = {
            "AccountSid": config.ACCOUNT_SID,
            "CallSid": call.sid,
            "From": config.VOICE_FROM,
            "To": call.number,
            "Direction": "outbound-api",
            "CallStatus": "in-progress",
            "ApiVersion": "2010-04-01",
            **extra,
        }
        twiml = await self._post(url, params)
        if twiml is None:
            return None
        spoken = [say.text or "" for say in twiml.iter("Say")]
        gather = twiml.find("Gather")
        call.action = gather.get("action") if gather is not None else None
        for line in spoken:
            self.say(f"voice to {call.number}: {line}")
        if call.action is None:
            self.say(f"voice: call to {call.number} ended")
            spoken.append("(the call ended)")
            if call.status_callback:
                await self._post(
                    call.status_callback,
                    {**params, "CallStatus": "completed", "CallDuration": "42"},
                )
        elif gather is not None:
            kind = "keys or speech" if "dtmf" in (gather.get("input") or "") else "speech"
            self.say(f"voice: waiting for {kind} from {call.number}")
        return spoken

    async def _message_statuses(
        self, callback: str, sid: str, to: str, sender: str, error: str | None = None
    ) -> None:
        for state in ("failed",) if error else ("sent", "delivered"):
            await asyncio.sleep(0.2)
            params = {
                "AccountSid": config.ACCOUNT_SID,
                "MessageSid": sid,
                "MessageStatus": state,
                "To": to,
                "From": sender,
                "ApiVersion": "2010-04-01",
                **({"ErrorCode": error} if error else {}),
            }
            await self._post(callback, params)

    async def _post(self, url: str, params: dict[str, str]) -> ET.Element | None:
        """POST a webhook signed as Twilio signs it; the TwiML answer, or None if none came."""
        signature = compute_signature(config.AUTH_TOKEN, url, params)
        try:
            response = await self.http.post(
                url, data=params, headers={"X-Twilio-Signature": signature}
            )
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            self.say(f"twilio: {url} answered {response.status_code}: {response.text[:200]}")
            return None
        # Our own server's TwiML, not a stranger's document.
        return ET.fromstring(response.text)  # noqa: S314

    def _later(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _waiting(find: Callable[[], Call | None], timeout: float = 5.0) -> Call | None:
    """The call, once it waits for an answer: a call placed just now is still ringing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (call := find()) is None or call.action is None:
        if loop.time() > deadline:
            return None
        await asyncio.sleep(0.05)
    return call


def _number(raw: str) -> str:
    """A phone number from a form field; `curl -d to=+316...` sends the `+` as a space."""
    number = raw.strip()
    return f"+{number}" if number[:1].isdigit() else number


def _error(status: int, code: int, message: str) -> JSONResponse:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return JSONResponse(body, status_code=status)
