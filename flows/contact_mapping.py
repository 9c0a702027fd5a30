"""From a platform's event (a solved ticket, a resolved conversation, a finished task) to the
fields of one invitation.

Each connector names where every field sits in its payload (dotted paths, the first one present
wins) and how its channel names read as ours. Defaults live in `DEFAULT_MAPPINGS`; a small TOML
file (`SURVEYBOT_CONNECTORS_FILE`) changes any of them per connector. No platform library and no
web framework here: the edge (bots/connectors/) verifies signatures and hands over a plain dict.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CONNECTORS = ("generic", "zendesk", "chatwoot", "flex")

# What the invitation service takes on this branch.
INVITATION_FIELDS = (
    "channel",
    "address",
    "interaction_id",
    "agents",
    "teams",
    "queue",
    "journey_stage",
    "locale",
    "flow",
)
# The agent chain's counts and the facts the eligibility rules and the WhatsApp window read.
CHAIN_FIELDS = (
    "transfers",
    "channel_switches",
    "disposition",
    "handle_time_seconds",
    "direction",
    "bot_only",
    "auto_closed",
    "no_survey",
    "no_survey_reason",
    "whatsapp_opt_in",
    "last_customer_message_at",
)
FIELDS = INVITATION_FIELDS + CHAIN_FIELDS
# A value written in the mapping file instead of a path: the same for every event.
CONSTANT_KEYS = ("channel", "flow", "journey_stage", "locale", "queue")

_LOCALE_NAMES = {
    "nl": "nl",
    "dutch": "nl",
    "nederlands": "nl",
    "flemish": "nl",
    "en": "en",
    "english": "en",
    "engels": "en",
}
_PHONE_NOISE = re.compile(r"[\s\-().]")


class MappingFileError(ValueError):
    """The connectors file cannot be used; the message names the file, section and key."""


@dataclass(frozen=True, slots=True)
class FieldMap:
    """One connector's mapping: field -> candidate paths, platform channel -> our channel."""

    paths: Mapping[str, tuple[str, ...]]
    channels: Mapping[str, str] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MappedContact:
    """An event read as an invitation; `chain` holds the agent-chain fields, apart."""

    channel: str | None
    address: str | None
    interaction_id: str | None
    agents: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    queue: str | None = None
    journey_stage: str | None = None
    locale: str | None = None
    flow: str | None = None
    chain: Mapping[str, Any] = field(default_factory=dict)

    @property
    def agent(self) -> str | None:
        """The last agent in the chain: the one the existing `agent` field names."""
        return self.agents[-1] if self.agents else None

    @property
    def team(self) -> str | None:
        return self.teams[-1] if self.teams else None

    def invitation_fields(self) -> dict[str, Any]:
        """The body of `POST /api/v1/invitations` for this contact."""
        values: dict[str, Any] = {
            "channel": self.channel,
            "address": self.address,
            "interaction_id": self.interaction_id,
            "agents": list(self.agents) or None,
            "teams": list(self.teams) or None,
            "queue": self.queue,
            "journey_stage": self.journey_stage,
            "locale": self.locale,
            "flow": self.flow,
            **self.chain,
        }
        return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True, slots=True)
class Unmappable:
    """The event cannot become an invitation; `reason` says why, for the platform's log."""

    reason: str


def lookup(payload: Any, path: str) -> Any:
    """The value at a dotted path (`meta.sender.phone_number`, `messages.0.id`), or None."""
    value = payload
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
        if value is None:
            return None
    return value


def _first(payload: Any, paths: tuple[str, ...]) -> Any:
    for path in paths:
        value = lookup(payload, path)
        if value not in (None, "", []):
            return value
    return None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (Mapping, list)):
        return None
    text = str(value).strip()
    return text or None


def _names(value: Any) -> tuple[str, ...]:
    """A chain of names: a list (of names or of objects with a name), or one name."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = _text(item.get("name") if isinstance(item, Mapping) else item)
        if name is not None:
            names.append(name[:128])
    return tuple(names)


def phone(value: str) -> str:
    """A phone number as the platforms write it, in E.164 when it plainly is one."""
    text = _PHONE_NOISE.sub("", value.removeprefix("whatsapp:").strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    return text


def locale_of(value: str | None) -> str | None:
    """'nl-NL', 'en_US', 'Dutch' -> nl/en; anything else: None (the server's default)."""
    if not value:
        return None
    folded = value.strip().lower()
    return _LOCALE_NAMES.get(folded) or _LOCALE_NAMES.get(re.split(r"[-_]", folded)[0])


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    folded = str(value).strip().lower()
    if folded in {"true", "1", "yes", "ja"}:
        return True
    if folded in {"false", "0", "no", "nee", ""}:
        return False
    return None


def instant(value: Any) -> datetime | None:
    """A platform's timestamp (Unix seconds, or ISO 8601 with an offset) as an aware datetime."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return instant(_integer(value)) if _integer(value) is not None else None
        return moment if moment.tzinfo is not None else None
    return None


def _chain(payload: Any, paths: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    chain: dict[str, Any] = {}
    for name in CHAIN_FIELDS:
        value = _first(payload, paths.get(name, ()))
        if value is None:
            continue
        if name == "channel_switches" and isinstance(value, list):
            chain[name] = len(value)  # a list of the channels used before this one
        elif name in {"transfers", "channel_switches", "handle_time_seconds"}:
            if (number := _integer(value)) is not None:
                chain[name] = number
        elif name in {"bot_only", "auto_closed", "no_survey", "whatsapp_opt_in"}:
            if (flag := _flag(value)) is not None:
                chain[name] = flag
        elif name == "last_customer_message_at":
            if (moment := instant(value)) is not None:
                chain[name] = moment.isoformat()
        elif (text := _text(value)) is not None:
            chain[name] = text.lower() if name == "direction" else text[:128]
    return chain


def map_event(payload: Mapping[str, Any], mapping: FieldMap) -> MappedContact | Unmappable:
    """Read one event. No customer address is the one reason it cannot become an invitation
    here; whether the address fits the channel is the invitation's own check."""
    paths = mapping.paths
    raw_channel = _text(_first(payload, paths.get("channel", ()))) or mapping.constants.get(
        "channel"
    )
    channel = None
    if raw_channel is not None:
        channel = mapping.channels.get(raw_channel, mapping.channels.get(raw_channel.lower()))
        channel = channel or raw_channel.lower()
    address = _text(_first(payload, paths.get("address", ())))
    if address is None:
        wanted = " or ".join(paths.get("address", ())) or "an address"
        return Unmappable(f"no customer address in the event (looked for {wanted})")
    if channel is None:
        return Unmappable("no channel in the event and none configured for this connector")
    if channel in {"sms", "whatsapp", "voice"}:
        address = phone(address)
    interaction = _text(_first(payload, paths.get("interaction_id", ())))

    def text_field(name: str) -> str | None:
        found = _text(_first(payload, paths.get(name, ())))
        return found[:128] if found else mapping.constants.get(name)

    return MappedContact(
        channel=channel,
        address=address[:64],
        interaction_id=interaction[:128] if interaction else None,
        agents=_names(_first(payload, paths.get("agents", ()))),
        teams=_names(_first(payload, paths.get("teams", ()))),
        queue=text_field("queue"),
        journey_stage=text_field("journey_stage"),
        locale=locale_of(_text(_first(payload, paths.get("locale", ()))))
        or mapping.constants.get("locale"),
        flow=text_field("flow"),
        chain=_chain(payload, paths),
    )


def _paths(*paths: str) -> tuple[str, ...]:
    return paths


# Where each platform puts things. Zendesk and the generic webhook send the JSON body the
# README gives (Zendesk's is the trigger's body template); Chatwoot sends its conversation
# object; Flex's form parameters arrive with TaskAttributes parsed into `attributes`.
DEFAULT_MAPPINGS: dict[str, FieldMap] = {
    "generic": FieldMap(
        paths={
            "channel": _paths("channel"),
            "address": _paths("address"),
            "interaction_id": _paths("interaction_id"),
            "agents": _paths("agents", "agent"),
            "teams": _paths("teams", "team"),
            "queue": _paths("queue"),
            "journey_stage": _paths("journey_stage"),
            "locale": _paths("locale"),
            "flow": _paths("flow"),
            "transfers": _paths("transfers"),
            "channel_switches": _paths("channel_switches", "previous_channels"),
            "disposition": _paths("disposition"),
            "handle_time_seconds": _paths("handle_time_seconds"),
            "direction": _paths("direction"),
            "bot_only": _paths("bot_only"),
            "auto_closed": _paths("auto_closed"),
            "no_survey": _paths("no_survey"),
            "no_survey_reason": _paths("no_survey_reason"),
            "whatsapp_opt_in": _paths("whatsapp_opt_in"),
            "last_customer_message_at": _paths("last_customer_message_at"),
        }
    ),
    "zendesk": FieldMap(
        paths={
            "channel": _paths("channel"),
            "address": _paths("requester_phone", "ticket.requester.phone"),
            "interaction_id": _paths("ticket_id", "ticket.id"),
            "agents": _paths("assignee", "ticket.assignee.name"),
            "teams": _paths("group", "ticket.group.name"),
            "queue": _paths("brand", "ticket.brand.name"),
            "locale": _paths("locale", "requester_language", "ticket.requester.language"),
            "flow": _paths("flow"),
            "journey_stage": _paths("journey_stage"),
            "disposition": _paths("disposition"),
            "direction": _paths("direction"),
        },
        constants={"channel": "sms", "journey_stage": "service"},
    ),
    "chatwoot": FieldMap(
        paths={
            "channel": _paths("channel"),
            "address": _paths(
                "meta.sender.phone_number",
                "contact_inbox.source_id",
            ),
            "interaction_id": _paths("id"),
            "agents": _paths("meta.assignee.name"),
            "teams": _paths("meta.team.name"),
            "queue": _paths("inbox.name"),
            "locale": _paths(
                "meta.sender.additional_attributes.language",
                "additional_attributes.browser_language",
            ),
            "whatsapp_opt_in": _paths("meta.sender.custom_attributes.whatsapp_opt_in"),
            # Set from the conversation's newest incoming message when the payload has one.
            "last_customer_message_at": _paths("last_customer_message_at"),
        },
        channels={
            "Channel::Telegram": "telegram",
            "Channel::Whatsapp": "whatsapp",
            "Channel::Sms": "sms",
            "Channel::TwilioSms": "sms",
        },
        constants={"journey_stage": "contact"},
    ),
    "flex": FieldMap(
        paths={
            # Flex Conversations tasks are on the "chat" task channel; the medium is in
            # channelType. Voice tasks carry only the task channel.
            "channel": _paths("attributes.channelType", "TaskChannelUniqueName"),
            "address": _paths("attributes.from", "attributes.caller", "attributes.customerAddress"),
            "interaction_id": _paths("TaskSid"),
            "agents": _paths("WorkerName", "attributes.worker_name"),
            "teams": _paths("attributes.team"),
            "queue": _paths("TaskQueueName"),
            "locale": _paths("attributes.language", "attributes.locale"),
            "journey_stage": _paths("attributes.journey_stage"),
            "disposition": _paths("TaskCompletedReason", "attributes.disposition"),
            "direction": _paths("attributes.direction"),
            "handle_time_seconds": _paths("TaskAge"),
            "transfers": _paths("attributes.transfers"),
        },
        # After a call, a text to the caller: the in-call survey is the voice redirect.
        channels={"voice": "sms"},
        constants={"journey_stage": "contact"},
    ),
}


def _strings(where: str, value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item for item in items):
        raise MappingFileError(f'{where}: write a path or a list of paths, like "a.b"')
    return tuple(items)


def _section(where: str, raw: Mapping[str, Any], base: FieldMap) -> FieldMap:
    allowed = {"fields", "channels", *CONSTANT_KEYS}
    for key in raw:
        if key not in allowed:
            raise MappingFileError(
                f"{where}: unknown key '{key}'; known keys: {', '.join(sorted(allowed))}"
            )
    paths = dict(base.paths)
    for name, value in dict(raw.get("fields", {})).items():
        if name not in FIELDS:
            raise MappingFileError(
                f"{where}.fields: unknown field '{name}'; known fields: {', '.join(FIELDS)}"
            )
        paths[name] = _strings(f"{where}.fields.{name}", value)
    channels = dict(base.channels)
    for name, value in dict(raw.get("channels", {})).items():
        if not isinstance(value, str) or not value:
            raise MappingFileError(f'{where}.channels.{name}: write a channel name, like "sms"')
        channels[str(name)] = value
    constants = dict(base.constants)
    for key in CONSTANT_KEYS:
        if key in raw:
            if not isinstance(raw[key], str):
                raise MappingFileError(f'{where}.{key}: write a text value, like "sms"')
            constants[key] = raw[key]
    return replace(base, paths=paths, channels=channels, constants=constants)


def load_mappings(path: Path | None) -> dict[str, FieldMap]:
    """The defaults, changed by the connectors file when there is one."""
    mappings = dict(DEFAULT_MAPPINGS)
    if path is None:
        return mappings
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingFileError(f"{path}: not valid TOML ({exc})") from None
    for name, section in raw.items():
        if name not in CONNECTORS:
            raise MappingFileError(
                f"{path}: unknown connector [{name}]; known: {', '.join(CONNECTORS)}"
            )
        if not isinstance(section, dict):
            raise MappingFileError(f"{path}: [{name}] must be a table")
        mappings[name] = _section(f"{path}: [{name}]", section, mappings[name])
    return mappings
