"""The Voice webhooks: the survey entry (`<Redirect>`, Studio/Flex transfer or our outbound call)
and the `<Gather>` action callback that takes a keypad or spoken answer.

Each `<Gather>` round has its own step number in the action URL, so a retried callback
(same CallSid and step) hits the stored event and gets the same TwiML back.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bots.container import Container
from bots.settings import Settings
from bots.twilio import twiml
from bots.twilio.calls import CallStart, open_call
from bots.twilio.security import WEBHOOK_ERRORS, FormParams, verified_webhook
from flows.models import Flow
from flows.render import Expects, Reply
from flows.service import Inbound, UnknownFlow
from flows.text import clean_text
from scoring.channels import Channel
from scoring.scales import unknown_locale

log = logging.getLogger(__name__)

VOICE_PATH = "/webhooks/twilio/voice"
GATHER_PATH = "/webhooks/twilio/voice/gather"
MAX_SPEECH_CHARS = 2000
MAX_STEP = 50  # far beyond any flow's re-prompts: a guard against a looping call
_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
# What a keypad can send; anything else was folded in from a neighbouring signed parameter.
_DIGITS = re.compile(r"[0-9*#]{0,16}")

# Spoken numbers as the speech recogniser may write them; the normaliser reads both languages.
NUMBER_WORDS: dict[str, tuple[str, ...]] = {
    "nl": ("nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien"),
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
}

router = APIRouter(tags=["twilio"], responses=WEBHOOK_ERRORS)


class EntryQuery(BaseModel):
    """The entry URL's query: which flow, in which language, about which interaction."""

    model_config = ConfigDict(extra="ignore")

    flow: str | None = Field(default=None, max_length=40)
    locale: str | None = Field(default=None, max_length=5)
    interaction: str | None = Field(default=None, max_length=128)
    agent: str | None = Field(default=None, max_length=128)
    team: str | None = Field(default=None, max_length=128)
    queue: str | None = Field(default=None, max_length=128)
    stage: str | None = Field(default=None, max_length=64)
    invitation: str | None = Field(default=None, max_length=36)
    # The agent chain and the contact's facts; lists are comma-separated (agents=anna,bram).
    agents: str | None = Field(default=None, max_length=2000)
    teams: str | None = Field(default=None, max_length=2000)
    transfers: int | None = Field(default=None, ge=0, le=1000)
    channel_switches: int | None = Field(default=None, ge=0, le=1000)
    previous_channels: str | None = Field(default=None, max_length=500)
    disposition: str | None = Field(default=None, max_length=128)
    handle_time: int | None = Field(default=None, ge=0, le=10_000_000)
    direction: Literal["inbound", "outbound"] | None = None
    bot_only: bool = False
    auto_closed: bool = False

    @field_validator(
        "flow",
        "locale",
        "interaction",
        "agent",
        "team",
        "queue",
        "stage",
        "invitation",
        "agents",
        "teams",
        "previous_channels",
        "disposition",
    )
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        return clean_text(value) if value is not None else None

    def start(self) -> CallStart:
        """The call's start, with the comma-separated lists split."""

        def split(text: str | None) -> tuple[str, ...]:
            return tuple(part.strip()[:128] for part in (text or "").split(",") if part.strip())

        values = self.model_dump(exclude={"handle_time"})
        values |= {
            "agents": split(self.agents),
            "teams": split(self.teams),
            "previous_channels": split(self.previous_channels)
            if self.previous_channels is not None
            else None,
            "handle_time_seconds": self.handle_time,
        }
        return CallStart(**values)


def _call(params: FormParams) -> tuple[str, str]:
    """CallSid and the customer's number: From on inbound calls, To on the calls we place."""
    call_sid = params.get("CallSid", "")
    if not _CALL_SID.fullmatch(call_sid):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "CallSid is missing or malformed")
    outbound = params.get("Direction", "inbound").startswith("outbound")
    caller = params.text("To" if outbound else "From", 64)
    if not caller:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the caller's number (From/To) is missing")
    return call_sid, caller


def hints(flow: Flow, locale: str) -> tuple[str, ...]:
    """Speech hints: the scale's labels and aliases, and its numbers as words."""
    words: list[str] = []
    names = NUMBER_WORDS.get(locale, ())
    for point in flow.scale.points:
        words.append(point.label.get(locale, ""))
        words.extend(point.aliases.get(locale, []))
        if 0 <= point.value < len(names):
            words.append(names[point.value])
    # Digit labels ("7") are no help to a recogniser; Twilio caps a hint at 100 characters.
    return tuple(dict.fromkeys(w.strip()[:100] for w in words if w.strip() and not w.isdigit()))


def _url(settings: Settings, path: str, query: dict[str, str]) -> str:
    # Absolute when we know our public URL; else relative, which Twilio resolves against the
    # URL of the TwiML document it is executing (and signs in that resolved form).
    return f"{settings.public_url or ''}{path}?{urlencode(query)}"


def speak(
    replies: list[Reply],
    *,
    settings: Settings,
    locale: str,
    flow: Flow | None,
    invitation: str | None,
    step: int,
) -> str:
    """Replies as voice TwiML: all spoken; the last gathers the next answer or we hang up."""
    verbs = [twiml.say(reply.text, locale) for reply in replies[:-1]]
    last = replies[-1] if replies else None
    if last is None or last.expects is Expects.NOTHING or flow is None or invitation is None:
        if last is not None:
            verbs.append(twiml.say(last.text, locale))
        verbs.append(twiml.hangup())
        return twiml.document(verbs)
    scoring = last.expects is Expects.SCORE
    action = _url(
        settings,
        GATHER_PATH,
        {"invitation": invitation, "step": str(step), "flow": flow.id, "locale": locale},
    )
    spec = twiml.GatherSpec(
        action=action,
        locale=locale,
        keypad=scoring,
        num_digits=len(str(flow.scale.max)),
        hints=hints(flow, locale) if scoring else (),
        # A comment needs a moment to start; a score is a digit or a word.
        timeout=4 if scoring else 6,
    )
    verbs.append(twiml.gather(spec, last.text))
    return twiml.document(verbs)


def _twiml(body: str) -> Response:
    return Response(body, media_type=twiml.MEDIA_TYPE)


@router.post(VOICE_PATH, response_class=Response)
async def voice_entry(request: Request, query: Annotated[EntryQuery, Query()]) -> Response:
    """Voice webhook: start (or resume) the survey on this call and ask the question."""
    container: Container = request.app.state.container
    settings = container.settings
    hook = await verified_webhook(request, settings)
    call_sid, caller = _call(hook.params)
    if query.locale and (problem := unknown_locale(query.locale)) is not None:
        # Like an unknown flow: a typo in the <Redirect> URL, shown in Twilio's debugger.
        log.error("voice entry for call %s: %s", call_sid, problem)
        raise HTTPException(status.HTTP_400_BAD_REQUEST, problem)
    start = query.start()
    try:
        opened = await container.db.run(
            open_call, container.service, start, caller, call_sid, settings.twilio_voice_flow
        )
    except UnknownFlow as exc:
        # A typo in the contact centre's <Redirect> URL: say so in Twilio's debugger.
        log.error("voice entry for call %s names an unknown flow: %s", call_sid, exc)
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    current = opened.invitation
    log.info(
        "twilio call %s entered the survey (%s)", call_sid, current.public_id if current else "none"
    )
    return _twiml(
        speak(
            opened.replies,
            settings=settings,
            locale=current.locale if current else settings.default_locale,
            flow=opened.flow,
            invitation=current.public_id if current else None,
            step=1,
        )
    )


@router.post(GATHER_PATH, response_class=Response)
async def voice_gather(
    request: Request,
    invitation: Annotated[str, Query(max_length=36)],
    step: Annotated[int, Query(ge=1, le=MAX_STEP)],
    flow: Annotated[str, Query(max_length=40)],
    locale: Annotated[str, Query(pattern="^(nl|en)$")] = "nl",
) -> Response:
    """`<Gather>` action: store the keypad or spoken answer and say what comes next."""
    container: Container = request.app.state.container
    settings = container.settings
    hook = await verified_webhook(request, settings)
    call_sid, caller = _call(hook.params)
    try:
        survey_flow = container.service.flow(flow)
    except UnknownFlow:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"unknown flow '{flow}'") from None
    # Keypad first: a caller who pressed keys meant them, whatever the recogniser heard.
    digits = hook.params.text("Digits", 32)
    if not _DIGITS.fullmatch(digits):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Digits is malformed")
    text = digits or hook.params.text("SpeechResult", MAX_SPEECH_CHARS)
    inbound = Inbound(
        Channel.VOICE,
        caller,
        text,
        provider="twilio",
        event_key=f"{call_sid}:{step}",
        invitation_id=invitation,
    )
    service = container.service
    if text:
        outcome = await container.db.run(service.receive, inbound)
    else:  # actionOnEmptyResult: the caller said and pressed nothing
        outcome = await container.db.run(service.silence, inbound)
    log.info(
        "twilio call %s gather %d: %s%s",
        call_sid,
        step,
        outcome.outcome,
        " (retry, stored reply replayed)" if outcome.duplicate else "",
    )
    return _twiml(
        speak(
            outcome.replies,
            settings=settings,
            locale=locale,
            flow=survey_flow,
            invitation=invitation,
            step=step + 1,
        )
    )
