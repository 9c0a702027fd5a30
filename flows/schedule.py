"""When a message may go out: quiet hours in the recipient's own time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_UNKNOWN = "Etc/Unknown"


@dataclass(frozen=True, slots=True)
class SendWindow:
    """The local hours in which messages and calls may go out, e.g. 09:00-21:00."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> SendWindow:
        match = _WINDOW.match(text)
        if not match:
            raise ValueError(f"send window must look like 09:00-21:00, not {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
            raise ValueError(f"send window {text!r} has an impossible time")
        start, end = time(h1, m1), time(0, 0) if h2 == 24 else time(h2, m2)
        if start == end:
            raise ValueError("send window start and end must differ")
        return cls(start, end)

    def allows(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # a window across midnight

    def openings(self, after: datetime, zone: ZoneInfo, days: int = 3) -> list[datetime]:
        """The instants the window opens in `zone` over the next few days."""
        local_day = after.astimezone(zone).date()
        return [
            datetime.combine(local_day + timedelta(days=d), self.start, tzinfo=zone)
            for d in range(days + 1)
        ]


def next_send_time(
    earliest: datetime, zones: tuple[ZoneInfo, ...], window: SendWindow | None
) -> datetime:
    """The first moment at or after `earliest` inside the window in every candidate zone.

    A number can map to several zones (a country spanning time zones); requiring the window in
    all of them keeps the send decent wherever the recipient is.
    """
    if window is None or all(window.allows(earliest, z) for z in zones):
        return earliest
    candidates = sorted(
        opening
        for zone in zones
        for opening in window.openings(earliest, zone)
        if opening > earliest
    )
    for candidate in candidates:
        if all(window.allows(candidate, z) for z in zones):
            return candidate
    if len(zones) > 1:
        # The zones' windows never overlap (a country wider than the window): go by the first
        # zone alone, the same way each time this is asked, so a send is never put off forever.
        return next_send_time(earliest, zones[:1], window)
    return candidates[0] if candidates else earliest


@cache
def zones_for(address: str, explicit: str | None, default: str) -> tuple[ZoneInfo, ...]:
    """The recipient's time zone(s): an explicit one, else from the phone number, else default."""
    if explicit and (zone := _zone(explicit)) is not None:
        return (zone,)
    zones = tuple(z for z in map(_zone, _phone_zones(address)) if z is not None)
    return zones or (ZoneInfo(default),)


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _phone_zones(address: str) -> tuple[str, ...]:
    number = address.removeprefix("whatsapp:").strip()
    if not number.startswith("+"):
        return ()
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return ()
    names = tuple(n for n in phone_timezones.time_zones_for_number(parsed) if n != _UNKNOWN)
    if names:
        return names
    # Mobile numbers often carry no geography: fall back to the country's landline zones.
    region = phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    if example is None:
        return ()
    return tuple(n for n in phone_timezones.time_zones_for_number(example) if n != _UNKNOWN)
