"""Quiet hours in the recipient's zone(s), without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flows.schedule import SendWindow, next_send_time, zones_for

WINDOW = SendWindow.parse("09:00-21:00")


def test_inside_the_window_sends_at_once() -> None:
    """10:00 in Amsterdam is inside 09:00-21:00."""
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert next_send_time(now, (ZoneInfo("Europe/Amsterdam"),), WINDOW) == now


def test_window_across_midnight() -> None:
    """A 22:00-02:00 window allows 23:30 and waits from 03:00 until 22:00."""
    night = SendWindow.parse("22:00-02:00")
    zone = (ZoneInfo("UTC"),)
    assert next_send_time(datetime(2026, 1, 1, 23, 30, tzinfo=UTC), zone, night).hour == 23
    assert next_send_time(datetime(2026, 1, 1, 3, 0, tzinfo=UTC), zone, night) == datetime(
        2026, 1, 1, 22, 0, tzinfo=UTC
    )


def test_mobile_numbers_get_their_countrys_zone() -> None:
    """A UK mobile number carries no area: the country's zone is used."""
    assert zones_for("+447700900123", None, "Europe/Amsterdam") == (ZoneInfo("Europe/London"),)


def test_zones_whose_windows_never_overlap_still_get_a_stable_send_time() -> None:
    """Asking again at the answer's own time gives the same answer: no send is put off forever."""
    narrow = SendWindow.parse("10:00-14:00")
    zones = (ZoneInfo("Europe/Moscow"), ZoneInfo("Asia/Vladivostok"))  # 7 hours apart
    first = next_send_time(datetime(2026, 11, 25, 22, 0, tzinfo=UTC), zones, narrow)
    assert next_send_time(first, zones, narrow) == first
    assert next_send_time(first + timedelta(minutes=30), zones, narrow) == first + timedelta(
        minutes=30
    )
