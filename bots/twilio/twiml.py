"""TwiML documents for our replies: `<Message>` for messaging, `<Say>`/`<Gather>` for voice.

Built as escaped strings rather than through twilio's TwiML classes: these documents are tiny,
sit on the hot path of every webhook, and this way stay fully typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>'
MEDIA_TYPE = "application/xml"

# <Say>/<Gather> language per flow locale (BCP-47, as Twilio expects them).
VOICE_LANGUAGES: Mapping[str, str] = {"nl": "nl-NL", "en": "en-US"}


def _attrs(values: Mapping[str, str]) -> str:
    return "".join(f" {name}={quoteattr(value)}" for name, value in values.items())


def document(verbs: Iterable[str]) -> str:
    body = "".join(verbs)
    return f"{XML_HEADER}<Response>{body}</Response>" if body else f"{XML_HEADER}<Response/>"


def message(text: str) -> str:
    return f"<Message>{escape(text)}</Message>"


def messages(texts: Iterable[str]) -> str:
    """A messaging reply: one `<Message>` per text; none is an empty, valid `<Response/>`."""
    return document(message(text) for text in texts if text)


def say(text: str, locale: str) -> str:
    language = VOICE_LANGUAGES.get(locale, "nl-NL")
    return f"<Say{_attrs({'language': language})}>{escape(text)}</Say>"


def hangup() -> str:
    return "<Hangup/>"


@dataclass(frozen=True, slots=True)
class GatherSpec:
    """One `<Gather>` round: what to listen for and where Twilio posts the result."""

    action: str
    locale: str
    keypad: bool  # a score: keypad and speech; a comment: speech only
    num_digits: int = 1
    hints: tuple[str, ...] = ()
    timeout: int = 4


def gather(spec: GatherSpec, prompt: str) -> str:
    """A `<Gather>` with the prompt nested, so a caller can answer while it is still spoken."""
    attrs = {
        "action": spec.action,
        "method": "POST",
        "input": "dtmf speech" if spec.keypad else "speech",
        "language": VOICE_LANGUAGES.get(spec.locale, "nl-NL"),
        # Without this, silence falls through to the next verb; we want the action callback
        # so that the engine decides between a re-prompt and a goodbye.
        "actionOnEmptyResult": "true",
        "timeout": str(spec.timeout),
        "speechTimeout": "auto",
    }
    if spec.keypad:
        # numDigits = the digits of the scale's top ("10" -> 2), "#" ends early, and the
        # timeout ends a single digit ("0" or "7" then silence) as an answer too.
        attrs |= {"numDigits": str(spec.num_digits), "finishOnKey": "#"}
    if spec.hints:
        attrs["hints"] = ", ".join(spec.hints)
    return f"<Gather{_attrs(attrs)}>{say(prompt, spec.locale)}</Gather>"
