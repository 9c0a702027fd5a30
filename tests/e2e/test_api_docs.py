"""/docs and /redoc work in a closed network: every asset they load is served by us."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import LiveServer

_ASSET = re.compile(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize(
    ("page", "needs"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css"}),
        ("/redoc", {"redoc.standalone.js"}),
    ],
)
def test_docs_page_loads_only_local_assets_and_they_are_served(
    live_server: LiveServer, page: str, needs: set[str]
) -> None:
    """No CDN: the page names no other host, and each script, style and icon answers 200."""
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        html = http.get(page)
        assert html.status_code == 200
        assert "http://" not in html.text
        assert "https://" not in html.text
        assets = set(_ASSET.findall(html.text))
        assert {a.rsplit("/", 1)[-1] for a in assets} >= needs
        for asset in assets:
            assert asset.startswith("/"), asset
            served = http.get(asset)
            assert served.status_code == 200, asset
            assert len(served.content) > 100, asset
        assert http.get("/openapi.json").json()["info"]["title"] == "surveybot"


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/healthz", "/openapi.json"])
def test_head_is_answered_like_get(live_server: LiveServer, page: str) -> None:
    """Link checkers and uptime monitors ask with HEAD: same status and type, no body."""
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        got, head = http.get(page), http.head(page)
    assert head.status_code == got.status_code == 200
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.content == b""
