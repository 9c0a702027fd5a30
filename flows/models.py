"""Flow definitions: one closed question, its scale, and what to say around it."""

from __future__ import annotations

import re
import string
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scoring.channels import Channel
from scoring.scales import LOCALES, Metric, Scale

_FLOW_ID = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


# What a flow's texts may fill in; anything else would reach customers verbatim.
PLACEHOLDERS = ("company", "min", "max")


def placeholder_problem(text: str) -> str | None:
    """Why a text cannot be filled in as customers should read it, or None when it can."""
    try:
        fields = [
            (name, conversion, spec)
            for _, name, spec, conversion in string.Formatter().parse(text)
            if name is not None
        ]
    except ValueError as error:
        brace = "}" if "'}'" in str(error) and "expected" not in str(error) else "{"
        return f"unmatched brace '{brace}' (write {{{{ and }}}} for literal braces)"
    known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    if unknown := [f"{{{name}}}" for name, _, _ in fields if name not in PLACEHOLDERS]:
        return (
            f"unknown placeholder {', '.join(unknown)}; a text can use {known} "
            "(write {{ and }} for literal braces)"
        )
    # `!r` would show quotes and `:>10` padding to customers.
    formatted = [
        (name, conversion, spec) for name, conversion, spec in fields if conversion or spec
    ]
    if formatted:
        shown = ", ".join(
            "{"
            + name
            + (f"!{conversion}" if conversion else "")
            + (f":{spec}" if spec else "")
            + "}"
            for name, conversion, spec in formatted
        )
        plain = "{" + formatted[0][0] + "}"
        return f"placeholder {shown} has a conversion or format spec; write a plain {plain}"
    return None


class Localised(BaseModel):
    """A text in every supported locale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    nl: str
    en: str

    @field_validator("nl", "en")
    @classmethod
    def _placeholders_are_known(cls, value: str) -> str:
        if problem := placeholder_problem(value):
            raise ValueError(problem)
        return value

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.nl


class Question(BaseModel):
    """The question per locale, with optional per-channel renderings.

    `{min}`, `{max}` and `{company}` are filled in when the question is rendered.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: Localised
    sms: Localised | None = None
    whatsapp: Localised | None = None
    telegram: Localised | None = None
    voice: Localised | None = None
    console: Localised | None = None

    def for_channel(self, channel: Channel) -> Localised:
        # A channel without its own rendering field in the flow file asks the plain text.
        rendering: Localised | None = getattr(self, str(channel), None)
        return rendering or self.text


class FollowUp(BaseModel):
    """An open question asked only when the score falls in a band."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    when_min: int
    when_max: int
    question: Localised
    voice: Localised | None = None

    @model_validator(mode="after")
    def _band_is_ordered(self) -> FollowUp:
        if self.when_min > self.when_max:
            raise ValueError("when_min must not be above when_max")
        return self

    def applies_to(self, value: int) -> bool:
        return self.when_min <= value <= self.when_max


class Expiry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    messaging_hours: float = Field(default=72.0, gt=0, le=24 * 90)

    @property
    def messaging(self) -> timedelta:
        return timedelta(hours=self.messaging_hours)


class DispatchRules(BaseModel):
    """Per-flow overrides of the global dispatch settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cooldown_days: float | None = Field(default=None, ge=0)
    sample_percent: float | None = Field(default=None, gt=0, le=100)
    send_delay_minutes: float | None = Field(default=None, ge=0)
    reminder_hours: float | None = Field(default=None, ge=0)


_CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")


class WhatsAppContentSids(BaseModel):
    """Content resources a flow names itself (per locale), instead of what `whatsapp sync` makes.

    Their buttons must carry the variables {{1}}, {{2}}, ... in the order of the scale's
    points (or of its bands), which surveybot fills with each invitation's payloads.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    template: dict[str, str] = Field(default_factory=dict)
    session: dict[str, str] = Field(default_factory=dict)
    # A number without WhatsApp (63003 / 63024) gets the question by SMS instead.
    sms_fallback: bool = False

    @field_validator("template", "session")
    @classmethod
    def _sids(cls, value: dict[str, str]) -> dict[str, str]:
        for locale, sid in value.items():
            if locale not in LOCALES:
                raise ValueError(f"unknown locale '{locale}'; known locales: {', '.join(LOCALES)}")
            if not _CONTENT_SID.fullmatch(sid):
                raise ValueError(f"'{sid}' is not a Content SID (HX and 32 hex digits)")
        return value


class EligibilityRules(BaseModel):
    """Per-flow overrides of the global eligibility settings (see flows.eligibility)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    exclude_queues: list[str] | None = None
    exclude_dispositions: list[str] | None = None
    skip_bot_only: bool | None = None
    skip_auto_closed: bool | None = None
    min_handle_seconds: int | None = Field(default=None, ge=0)
    skip_outbound: bool | None = None


class Flow(BaseModel):
    """A validated flow file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    metric: Metric
    name: Localised
    scale: Scale
    question: Question
    reprompt: Question
    max_reprompts: int = Field(default=2, ge=0, le=5)
    give_up: Localised
    follow_up: FollowUp | None = None
    thanks: Localised
    thanks_after_comment: Localised | None = None
    alert_min: int | None = None
    alert_max: int | None = None
    expiry: Expiry = Field(default_factory=Expiry)
    dispatch: DispatchRules | None = None
    whatsapp: WhatsAppContentSids | None = None
    eligibility: EligibilityRules | None = None

    @field_validator("id")
    @classmethod
    def _id_is_a_slug(cls, value: str) -> str:
        if not _FLOW_ID.fullmatch(value):
            raise ValueError(
                "must be lowercase letters, digits, '-' or '_', starting with a letter"
            )
        return value

    @model_validator(mode="after")
    def _bands_fit_the_scale(self) -> Flow:
        scale = f"the scale {self.scale.min}..{self.scale.max}"
        if self.follow_up and not (
            self.scale.contains(self.follow_up.when_min)
            and self.scale.contains(self.follow_up.when_max)
        ):
            raise ValueError(
                f"follow_up: band {self.follow_up.when_min}..{self.follow_up.when_max} lies "
                f"outside {scale}"
            )
        for name in ("alert_min", "alert_max"):
            value = getattr(self, name)
            if value is not None and not self.scale.contains(value):
                raise ValueError(f"{name}: {value} lies outside {scale}")
        low, high = self.alert_min, self.alert_max  # an unset bound is open
        if low is not None and high is not None and low > high:
            raise ValueError(f"alert_min: {low} must not be above alert_max ({high})")
        if not self.scale.points:
            raise ValueError("scale.points must label every point in nl and en")
        return self

    def locale_or_default(self, locale: str | None) -> str:
        return locale if locale in LOCALES else "nl"
