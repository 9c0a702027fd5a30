"""Our form parser reads every webhook body exactly as parse_qsl would, refusals included."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bots.twilio.security import MAX_FIELDS, parse_form

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The characters that matter to a form body, and anything at all.
TRICKY = st.text(alphabet="&=+%;?# abAZ09é😀\x00", max_size=40)
PAIRS = st.lists(st.tuples(st.text(max_size=10), st.text(max_size=20)), max_size=30)


def reference(text: str) -> list[tuple[str, str]] | type[Exception]:
    try:
        return parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        return type(exc)


def ours(text: str) -> list[tuple[str, str]] | type[Exception]:
    try:
        return parse_form(text)
    except (UnicodeDecodeError, ValueError) as exc:
        return type(exc)


@FUZZ
@given(TRICKY)
def test_any_raw_body_parses_as_parse_qsl_parses_it(text: str) -> None:
    assert ours(text) == reference(text)


@FUZZ
@given(PAIRS)
def test_any_encoded_form_round_trips_as_parse_qsl_reads_it(pairs: list[tuple[str, str]]) -> None:
    for encoded in (urlencode(pairs), urlencode(pairs, quote_via=quote)):
        assert ours(encoded) == reference(encoded)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "&",
        "a",
        "a=",
        "=b",
        "a=1&&b=2",
        "Body=%E2%82%AC+5&From=%2B31612345678",
        "Body=%ZZ",
        "Body=%e9",  # a lone Latin-1 byte is not UTF-8: refused, not guessed
        "Body=a=b=c",
        "a+b=c+d",
    ],
)
def test_edge_cases_match_parse_qsl(text: str) -> None:
    assert ours(text) == reference(text)


def test_too_many_fields_are_refused_at_the_same_count() -> None:
    assert ours("&".join(["a=1"] * MAX_FIELDS)) == reference("&".join(["a=1"] * MAX_FIELDS))
    assert isinstance(ours("&".join(["a=1"] * MAX_FIELDS)), list)
    assert ours("&".join(["a=1"] * (MAX_FIELDS + 1))) is ValueError
