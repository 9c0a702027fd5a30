"""The one CSV builder: every field quoted, formulas defused, local times, Dutch numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from scoring.reports.csv_format import CsvFormat, Separator, csv_line

DUTCH = CsvFormat(Separator.SEMICOLON, ZoneInfo("Europe/Amsterdam"))
ENGLISH = CsvFormat(Separator.COMMA, ZoneInfo("Europe/Amsterdam"))


def _cells(line: str, fmt: CsvFormat) -> list[str]:
    return next(csv.reader(io.StringIO(line), delimiter=fmt.delimiter))


def test_a_semicolon_in_a_comment_cannot_start_a_formula_in_dutch_excel() -> None:
    """`goed;=1+1` stays one quoted text cell, marked as text."""
    line = csv_line(["goed;=1+1", "8"], DUTCH)
    assert line == '"\'goed;=1+1";"8"\r\n'
    assert _cells(line, DUTCH) == ["'goed;=1+1", "8"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_with_a_formula_character_is_exported_as_text(start: str) -> None:
    """OWASP's list: = + - @ tab and carriage return at the start get a leading quote."""
    [cell] = _cells(csv_line([f"{start}HYPERLINK(1)"], ENGLISH), ENGLISH)
    assert cell == f"'{start}HYPERLINK(1)"


@pytest.mark.parametrize("text", ["ok, =cmd|' /C calc'!A0", "ja;@SUM(1)", "a\t-2+3", "  =1+1"])
def test_a_formula_after_a_separator_or_spaces_is_defused(text: str) -> None:
    """The guard looks past separators and leading blanks, not only at the first character."""
    [cell] = _cells(csv_line([text], ENGLISH), ENGLISH)
    assert cell == "'" + text


def test_every_field_is_quoted_and_plain_text_is_left_alone() -> None:
    """Numbers, empty values and ordinary comments are quoted but not changed."""
    assert csv_line(["Snel geholpen, dank!", 9, None, True], ENGLISH) == (
        '"Snel geholpen, dank!","9","","true"\r\n'
    )


def test_numbers_are_numbers_not_defused_text() -> None:
    """A negative NPS is -12.5, not '-12.5; the Dutch variant writes a decimal comma."""
    assert _cells(csv_line([-12.5, 41.25], ENGLISH), ENGLISH) == ["-12.5", "41.25"]
    assert _cells(csv_line([-12.5, 41.25], DUTCH), DUTCH) == ["-12,5", "41,25"]


def test_times_are_local_to_the_report_time_zone_with_their_offset() -> None:
    """Winter +01:00 and summer +02:00, so a spreadsheet shows the time people saw."""
    winter = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert _cells(csv_line([winter, summer], DUTCH), DUTCH) == [
        "2026-11-20 13:00:00+01:00",
        "2026-07-01 14:00:00+02:00",
    ]
