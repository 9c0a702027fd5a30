"""The connectors' mapping core: dotted paths, channel names, phone numbers, the agent chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.contact_mapping import (
    DEFAULT_MAPPINGS,
    MappedContact,
    MappingFileError,
    Unmappable,
    load_mappings,
    locale_of,
    lookup,
    map_event,
    phone,
)


def test_a_dotted_path_reads_into_objects_and_lists() -> None:
    """`messages.0.account_id` reads the first message's account; a missing step is None."""
    payload = {"messages": [{"account_id": 7}], "meta": {"sender": None}}
    assert lookup(payload, "messages.0.account_id") == 7
    assert lookup(payload, "messages.3.account_id") is None
    assert lookup(payload, "meta.sender.phone_number") is None


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("+31 6 1234 5678", "+31612345678"),
        ("0031-6-12345678", "+31612345678"),
        ("whatsapp:+31612345678", "+31612345678"),
        ("(+31) 6.1234.5678", "+31612345678"),
    ],
)
def test_phone_numbers_as_platforms_write_them_become_e164(written: str, e164: str) -> None:
    """Spaces, dashes, dots, brackets, a 00 prefix and whatsapp: are what agents type."""
    assert phone(written) == e164


@pytest.mark.parametrize(
    ("given", "locale"),
    [
        ("nl-NL", "nl"),
        ("en_US", "en"),
        ("Dutch", "nl"),
        ("English", "en"),
        ("de", None),
        ("", None),
    ],
)
def test_a_locale_is_read_from_a_tag_or_a_language_name(given: str, locale: str | None) -> None:
    """Zendesk gives a language name, Flex a tag; anything else is the server's default."""
    assert locale_of(given) == locale


def test_the_generic_mapping_reads_the_agent_chain_and_passes_it_on() -> None:
    """agents/teams in order; agent = last; the chain's facts reach the invitation's body."""
    mapped = map_event(
        {
            "channel": "SMS",
            "address": "+31 6 12345678",
            "agents": ["anna", {"name": "bram"}],
            "teams": "billing",
            "transfers": "2",
            "previous_channels": ["chat", "email"],
            "bot_only": "false",
            "direction": "Inbound",
            "handle_time_seconds": 312.0,
        },
        DEFAULT_MAPPINGS["generic"],
    )
    assert isinstance(mapped, MappedContact)
    assert (mapped.channel, mapped.address) == ("sms", "+31612345678")
    assert (mapped.agents, mapped.agent, mapped.team) == (("anna", "bram"), "bram", "billing")
    assert mapped.chain == {
        "transfers": 2,
        "channel_switches": 2,
        "handle_time_seconds": 312,
        "direction": "inbound",
        "bot_only": False,
    }
    body = mapped.invitation_fields()
    assert (body["agents"], body["teams"]) == (["anna", "bram"], ["billing"])
    assert (body["transfers"], body["channel_switches"], body["direction"]) == (2, 2, "inbound")
    assert "agent" not in body  # the invitation takes the last of `agents` itself


def test_a_platforms_timestamp_opens_the_whatsapp_window_as_an_aware_time() -> None:
    """Unix seconds or ISO 8601 with an offset; a time without one is not guessed."""
    payload = {"channel": "whatsapp", "address": "+31612345678", "whatsapp_opt_in": "ja"}
    mapped = map_event(
        {**payload, "last_customer_message_at": 1796126400}, DEFAULT_MAPPINGS["generic"]
    )
    assert isinstance(mapped, MappedContact)
    assert mapped.chain["last_customer_message_at"] == "2026-12-01T12:00:00+00:00"
    assert mapped.chain["whatsapp_opt_in"] is True
    naive = map_event(
        {**payload, "last_customer_message_at": "2026-12-01T12:00:00"}, DEFAULT_MAPPINGS["generic"]
    )
    assert isinstance(naive, MappedContact)
    assert "last_customer_message_at" not in naive.chain


def test_an_event_without_an_address_says_where_it_looked() -> None:
    """The reason names the paths, so the admin knows which placeholder is empty."""
    mapped = map_event({"ticket_id": "1"}, DEFAULT_MAPPINGS["zendesk"])
    assert isinstance(mapped, Unmappable)
    assert "requester_phone" in mapped.reason


def test_chatwoot_channel_names_read_as_ours() -> None:
    """Channel::Whatsapp is whatsapp; the phone is the contact's."""
    mapped = map_event(
        {"channel": "Channel::Whatsapp", "id": 10, "meta": {"sender": {"phone_number": "+316"}}},
        DEFAULT_MAPPINGS["chatwoot"],
    )
    assert isinstance(mapped, MappedContact)
    assert (mapped.channel, mapped.interaction_id) == ("whatsapp", "10")


def test_the_mapping_file_changes_paths_channels_and_constants(tmp_path: Path) -> None:
    """A section changes only what it names; the rest keeps the defaults."""
    path = tmp_path / "connectors.toml"
    path.write_text(
        '[zendesk]\nchannel = "whatsapp"\nflow = "nps"\n'
        '[zendesk.fields]\naddress = "ticket.requester.mobile"\n'
        '[flex.channels]\nvoice = "voice"\n',
        encoding="utf-8",
    )
    mappings = load_mappings(path)
    assert mappings["zendesk"].paths["address"] == ("ticket.requester.mobile",)
    assert mappings["zendesk"].paths["agents"] == DEFAULT_MAPPINGS["zendesk"].paths["agents"]
    assert mappings["zendesk"].constants["channel"] == "whatsapp"
    assert mappings["flex"].channels["voice"] == "voice"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[zendesk.fields]\nadress = 'x'\n", "unknown field 'adress'"),
        ("[hubspot]\nchannel = 'sms'\n", "unknown connector [hubspot]"),
        ("[zendesk]\nchanel = 'sms'\n", "unknown key 'chanel'"),
        ("[zendesk.fields]\naddress = 3\n", "write a path or a list of paths"),
        ("[zendesk\n", "not valid TOML"),
    ],
)
def test_a_broken_mapping_file_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    """One line naming the file, the section and what to write instead."""
    path = tmp_path / "connectors.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingFileError, match=r"connectors\.toml") as raised:
        load_mappings(path)
    assert message in str(raised.value)
