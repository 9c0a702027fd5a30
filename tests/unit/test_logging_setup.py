"""The log mask and the JSON formatter."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bots.logging_setup import (
    UVICORN_LOGGERS,
    JsonFormatter,
    MaskNumbersFilter,
    configure_logging,
    make_handler,
    resolve_format,
)


@pytest.fixture
def logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A private logger writing through a masked JSON handler into a buffer."""
    stream = io.StringIO()
    handler = make_handler("json")
    handler.setStream(stream)  # type: ignore[attr-defined]
    log = logging.getLogger("tests.logging_setup")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    yield log, stream
    log.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_numbers_in_the_message_and_its_args_are_masked(
    logger: tuple[logging.Logger, io.StringIO],
) -> None:
    """E.164, whatsapp: addresses and chat ids never reach the output, in template or args."""
    log, stream = logger
    log.info("sent to %s and whatsapp:+31612345678", "+31687654321")
    log.warning("chat %d answered", 123456789)
    text = stream.getvalue()
    for secret in ("31612345678", "31687654321", "123456789"):
        assert secret not in text
    assert [entry["message"] for entry in lines(stream)] == [
        "sent to ***21 and whatsapp:***78",
        "chat ***89 answered",
    ]


def test_extras_and_exceptions_are_masked_too(logger: tuple[logging.Logger, io.StringIO]) -> None:
    """A number passed as an extra field or quoted by an exception is masked as well."""
    log, stream = logger
    try:
        raise ValueError("The 'To' number +31612345678 is not a valid phone number")
    except ValueError:
        log.exception("send failed", extra={"to": "+31612345678", "chat_id": 987654321, "n": 3})
    [entry] = lines(stream)
    assert (entry["to"], entry["chat_id"], entry["n"]) == ("***78", "***21", 3)
    assert "31612345678" not in str(entry["exc_info"])
    assert "ValueError" in str(entry["exc_info"])


def test_json_lines_carry_utc_timestamp_level_logger_and_message(
    logger: tuple[logging.Logger, io.StringIO],
) -> None:
    """One JSON object per line; ts is UTC ISO 8601; a multi-line message stays one line."""
    log, stream = logger
    log.debug("first\nsecond", extra={"invitation": "550e8400-e29b-41d4-a716-446655440000"})
    assert len(stream.getvalue().splitlines()) == 1
    [entry] = lines(stream)
    assert entry["level"] == "DEBUG"
    assert entry["logger"] == "tests.logging_setup"
    assert entry["message"] == "first\nsecond"
    assert entry["invitation"] == "550e8400-e29b-41d4-a716-446655440000"
    assert str(entry["ts"]).endswith("+00:00")


def test_the_filter_masks_records_seen_by_caplog(caplog: pytest.LogCaptureFixture) -> None:
    """On any handler, e.g. pytest's: the record itself is rewritten before output."""
    caplog.handler.addFilter(MaskNumbersFilter())
    try:
        logging.getLogger("tests.caplog").warning("number %s", "+31612345678")
    finally:
        caplog.handler.removeFilter(caplog.handler.filters[-1])
    assert caplog.messages == ["number ***78"]


def test_format_defaults_to_json_in_production_and_text_in_development() -> None:
    """SURVEYBOT_LOG_FORMAT wins; unset, the environment decides."""
    assert resolve_format(None, "production") == "json"
    assert resolve_format(None, "development") == "text"
    assert resolve_format("text", "production") == "text"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put it back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    uvicorn = {name: logging.getLogger(name) for name in UVICORN_LOGGERS}
    saved_uvicorn = {name: (lg.handlers[:], lg.propagate, lg.level) for name, lg in uvicorn.items()}
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    for name, lg in uvicorn.items():
        lg.handlers[:], lg.propagate, level = saved_uvicorn[name]
        lg.setLevel(level)


def test_configure_logging_routes_uvicorn_access_logs_through_the_mask(
    restore_logging: None,
) -> None:
    """uvicorn's access line, with a number in the query string, comes out masked JSON."""
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # as a previous uvicorn left it
    configure_logging("INFO", "json")
    [handler] = logging.getLogger().handlers
    assert isinstance(handler.formatter, JsonFormatter)
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", "/x?From=%2B31612345678", "1.1", 200
    )
    [entry] = lines(stream)
    assert entry["logger"] == "uvicorn.access"
    assert entry["message"] == '127.0.0.1:5000 - "POST /x?From=***78 HTTP/1.1" 200'


@pytest.mark.parametrize(
    "address",
    ["+31 6 12345678", "+31612345678", "whatsapp:+31 6-1234 5678", "12345", "-100123"],
)
def test_access_log_of_an_erasure_masks_the_address_in_any_form(
    restore_logging: None, address: str
) -> None:
    """The erasure URL's address, as uvicorn quotes it (spaces, +, short chat ids), is masked."""
    from uvicorn.protocols.utils import get_path_with_query_string  # noqa: PLC0415

    configure_logging("INFO", "json")
    [handler] = logging.getLogger().handlers
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    scope = {"path": f"/api/v1/contacts/{address}", "query_string": b"channel=sms", "root_path": ""}
    path = get_path_with_query_string(scope)  # type: ignore[arg-type]
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "DELETE", path, "1.1", 200
    )
    [entry] = lines(stream)
    assert entry["message"] == (
        '127.0.0.1:5000 - "DELETE /api/v1/contacts/***?channel=sms HTTP/1.1" 200'
    )


def test_ids_that_start_with_digits_are_not_masked(
    logger: tuple[logging.Logger, io.StringIO],
) -> None:
    """A UUID whose first group is all digits, or whose last is, stays whole; numbers do not."""
    log, stream = logger
    ids = "28716584-db36-4c1e-9d1e-2f6c7a8b9c0d and 550e8400-e29b-41d4-a716-446655440000"
    log.info("invitations %s for %s", ids, "+31612345678")
    [entry] = lines(stream)
    assert entry["message"] == f"invitations {ids} for ***78"
