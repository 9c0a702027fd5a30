"""Which client a failed attempt is counted under."""

from __future__ import annotations

from starlette.requests import Request

from bots.throttle import client_key


def request_from(host: str) -> Request:
    return Request({"type": "http", "client": (host, 50000), "headers": []})


def test_ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() -> None:
    """Addresses in one /64 are one client; ::ffff:1.2.3.4 is 1.2.3.4; none is stored plainly."""
    key = lambda host: client_key(request_from(host), "k")  # noqa: E731
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9")
    assert key("2001:db8:1:2::1") != key("2001:db8:1:3::1")
    assert key("::ffff:192.0.2.7") == key("192.0.2.7")
    assert key("192.0.2.7") != key("192.0.2.8")
    assert "192.0.2.7" not in key("192.0.2.7")
    assert len(key("192.0.2.7")) == 64
