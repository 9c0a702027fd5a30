"""Turn a flow and a channel into the words we send, in the customer's locale."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from flows.models import Flow, Localised
from scoring.channels import CHANNELS, Channel


class ReplyKind(StrEnum):
    QUESTION = "question"
    REMINDER = "reminder"
    REPROMPT = "reprompt"
    FOLLOW_UP = "follow_up"
    THANKS = "thanks"
    GIVE_UP = "give_up"
    CLOSED = "closed"
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    HELP = "help"
    NO_SURVEY = "no_survey"
    LINK_USED = "link_used"  # a single-use survey link, opened by a second person


class Expects(StrEnum):
    SCORE = "score"
    COMMENT = "comment"
    NOTHING = "nothing"


@dataclass(frozen=True, slots=True)
class Choice:
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One outbound message. `choices` lets a channel draw buttons; text alone must suffice."""

    kind: ReplyKind
    text: str
    expects: Expects = Expects.NOTHING
    choices: tuple[Choice, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value, "text": self.text, "expects": self.expects.value}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Reply:
        return cls(
            ReplyKind(str(data["kind"])),
            str(data["text"]),
            Expects(str(data.get("expects", "nothing"))),
        )


SYSTEM_TEXTS: dict[ReplyKind, Localised] = {
    ReplyKind.CLOSED: Localised(
        nl="Deze enquête is gesloten. Bedankt voor je reactie!",
        en="This survey has closed. Thank you for your reply!",
    ),
    ReplyKind.OPTED_OUT: Localised(
        nl="Je bent afgemeld en krijgt geen enquêtes meer van ons. Stuur START om je weer aan te "
        "melden.",
        en="You are unsubscribed and will get no more surveys from us. Send START to subscribe "
        "again.",
    ),
    ReplyKind.OPTED_IN: Localised(
        nl="Je bent weer aangemeld voor onze korte enquêtes. Stuur STOP om je af te melden.",
        en="You are subscribed to our short surveys again. Send STOP to unsubscribe.",
    ),
    ReplyKind.HELP: Localised(
        nl="{company} stelt je na een contact één korte vraag. Antwoord met een cijfer. Stuur STOP "
        "om je af te melden.",
        en="{company} asks you one short question after a contact. Reply with a number. Send STOP "
        "to unsubscribe.",
    ),
    ReplyKind.NO_SURVEY: Localised(
        nl="Bedankt voor je bericht. Er staat op dit moment geen vraag voor je open. Voor hulp kun "
        "je contact opnemen met {company}.",
        en="Thanks for your message. There is no open survey for you right now. For help, please "
        "contact {company}.",
    ),
    ReplyKind.LINK_USED: Localised(
        nl="Deze enquêtelink is al gebruikt: elke link werkt voor één persoon. Voor hulp kun je "
        "contact opnemen met {company}.",
        en="This survey link has already been used: each link works for one person. For help, "
        "please contact {company}.",
    ),
}


REMINDER_PREFIX = Localised(nl="Herinnering:", en="Reminder:")

# A caller can't "send START": on a call these say what happens instead.
VOICE_TEXTS: dict[ReplyKind, Localised] = {
    ReplyKind.OPTED_OUT: Localised(
        nl="Je bent afgemeld en wordt niet meer benaderd voor onze enquêtes. Tot ziens.",
        en="You are unsubscribed and will not be asked for our surveys again. Goodbye.",
    ),
}


class Renderer:
    """Fills in `{company}`, `{min}` and `{max}` and picks the channel's wording."""

    def __init__(self, company: str) -> None:
        self.company = company

    def _fill(self, template: str, flow: Flow | None = None) -> str:
        values = {"company": self.company}
        if flow is not None:
            values |= {"min": str(flow.scale.min), "max": str(flow.scale.max)}
        return template.format_map(_Defaulting(values))

    def _choices(self, flow: Flow, locale: str) -> tuple[Choice, ...]:
        return tuple(Choice(v, flow.scale.label(v, locale)) for v in flow.scale.values)

    def question(self, flow: Flow, channel: Channel, locale: str) -> Reply:
        text = flow.question.for_channel(channel).get(locale)
        return Reply(
            ReplyKind.QUESTION, self._fill(text, flow), Expects.SCORE, self._choices(flow, locale)
        )

    def reminder(self, flow: Flow, channel: Channel, locale: str) -> Reply:
        """The question once more, saying it is a reminder."""
        question = self.question(flow, channel, locale)
        prefix = REMINDER_PREFIX.get(locale)
        return Reply(
            ReplyKind.REMINDER, f"{prefix} {question.text}", Expects.SCORE, question.choices
        )

    def reprompt(self, flow: Flow, channel: Channel, locale: str) -> Reply:
        text = flow.reprompt.for_channel(channel).get(locale)
        return Reply(
            ReplyKind.REPROMPT, self._fill(text, flow), Expects.SCORE, self._choices(flow, locale)
        )

    def follow_up(self, flow: Flow, channel: Channel, locale: str) -> Reply:
        assert flow.follow_up is not None  # noqa: S101  (callers check applies_to first)
        wording = flow.follow_up.question
        if CHANNELS.is_voice(channel) and flow.follow_up.voice is not None:
            wording = flow.follow_up.voice
        return Reply(ReplyKind.FOLLOW_UP, self._fill(wording.get(locale), flow), Expects.COMMENT)

    def thanks(self, flow: Flow, locale: str, *, after_comment: bool) -> Reply:
        wording = flow.thanks_after_comment if after_comment else None
        return Reply(ReplyKind.THANKS, self._fill((wording or flow.thanks).get(locale), flow))

    def give_up(self, flow: Flow, locale: str) -> Reply:
        return Reply(ReplyKind.GIVE_UP, self._fill(flow.give_up.get(locale), flow))

    def system(self, kind: ReplyKind, locale: str, channel: Channel | None = None) -> Reply:
        texts = VOICE_TEXTS if CHANNELS.is_voice(channel) and kind in VOICE_TEXTS else SYSTEM_TEXTS
        return Reply(kind, self._fill(texts[kind].get(locale)))

    def closed(self, locale: str) -> Reply:
        return self.system(ReplyKind.CLOSED, locale)

    def opted_out(self, locale: str, channel: Channel | None = None) -> Reply:
        return self.system(ReplyKind.OPTED_OUT, locale, channel)


class _Defaulting(dict[str, str]):
    """Leave unknown `{placeholders}` as they are instead of failing on a flow author's typo."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
