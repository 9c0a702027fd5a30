"""Security headers on every answer, computed once at start-up (the webhooks stay cheap).

The dashboard runs no script and carries no inline style, so its policy allows only our own
stylesheet and inline SVG charts. Swagger UI and ReDoc (/docs, /redoc) load their script and
styles from our own /docs-assets and start from an inline bootstrap script: they get a policy
of their own, still with no other host.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "worker-src blob:; base-uri 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=63072000; includeSubDomains"  # two years, as hstspreload.org asks
DOCS_PATHS = ("/docs", "/redoc")
CACHEABLE_PREFIX = "/admin/static/"  # the stylesheet: no personal data in it


def _headers(csp: str, *, hsts: bool, no_store: bool) -> Headers:
    pairs = [
        ("content-security-policy", csp),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
    ]
    if hsts:
        pairs.append(("strict-transport-security", HSTS))
    if no_store:
        # Admin pages and API answers carry personal data; webhooks answer one customer.
        pairs.append(("cache-control", "no-store"))
    return [(name.encode(), value.encode()) for name, value in pairs]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.default = _headers(CSP, hsts=hsts, no_store=True)
        self.static = _headers(CSP, hsts=hsts, no_store=False)
        self.docs = _headers(DOCS_CSP, hsts=hsts, no_store=False)

    def _for(self, path: str) -> Headers:
        if path.startswith(CACHEABLE_PREFIX):
            return self.static
        if path.startswith(DOCS_PATHS):
            return self.docs
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._for(scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                given: Headers = list(message.get("headers", ()))
                if any(name == b"cache-control" for name, _ in given):
                    # The route chose its own caching; add everything else.
                    given.extend(pair for pair in extra if pair[0] != b"cache-control")
                else:
                    given.extend(extra)
                message["headers"] = given
            await send(message)

        await self.app(scope, receive, with_headers)
