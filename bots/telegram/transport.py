"""The HTTP transport under python-telegram-bot's `Bot`: aiohttp instead of PTB's default httpx.

PTB lets the HTTP layer be swapped (`BaseRequest.do_request`); everything above it stays PTB's:
method signatures, the error mapping (429 -> RetryAfter, 403 -> Forbidden, ...) and the parsing
of results. aiohttp is already here (twilio's async client uses it), and its C-accelerated
client costs a fraction of httpx's CPU per request: on the webhook benchmark the Bot API calls
after a button tap were the largest single cost of the process (see benchmarks/).

Bodies go out as JSON, which the Bot API accepts for every method without a file upload; an
upload (never made by surveybot, but part of the interface) goes as multipart/form-data.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import urllib.request

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": BaseRequest.USER_AGENT}


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded keep-alive pool, created on the running loop."""

    def __init__(
        self,
        connection_pool_size: int = 8,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shut_down = False
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        self._shut_down = False
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            # A session belongs to the loop it was made on: a CLI command that runs the bot
            # under a second asyncio.run gets a new one (the old loop, and its sockets, are gone).
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            # Proxies from the environment are read once per host (_proxy), not by aiohttp's
            # trust_env, which reads them and ~/.netrc again on every request, in a thread.
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
            self._loop = loop

    async def shutdown(self) -> None:
        self._shut_down = True
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(  # noqa: PLR0917  (PTB's signature)
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,  # noqa: ARG002  (none in aiohttp)
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._shut_down:
            # As PTB's own transport: after shutdown, nothing goes out until initialize again.
            raise RuntimeError("AiohttpRequest is shut down; initialize it first")
        await self.initialize()  # a no-op once this loop has its session
        assert self._session is not None  # noqa: S101
        pool = _seconds(pool_timeout, self._pool_timeout)
        connect = _seconds(connect_timeout, self._connect_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None,
            # aiohttp's "connect" is the wait for a pooled connection plus making a new one.
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=_seconds(read_timeout, self._read_timeout),
        )
        body: bytes | aiohttp.FormData | None = None
        headers = JSON_HEADERS
        if request_data is not None:
            if request_data.contains_files:
                body = _multipart(request_data)
                headers = {"User-Agent": self.USER_AGENT}
            else:
                # Nested JSON, as the Bot API documents it (PTB's own `json_payload` would send
                # every object as a JSON string inside the JSON).
                body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                proxy=self._proxy(url),
            ) as response:
                return response.status, await response.read()
        # The URL holds the bot token, and aiohttp's errors quote it: name the error class only,
        # and keep the original out of the chain (`from None`), or a logged traceback shows it.
        except TimeoutError:  # asyncio.TimeoutError is TimeoutError on 3.11
            raise TimedOut from None
        except (aiohttp.ClientError, asyncio.IncompleteReadError, OSError) as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from None

    def _proxy(self, url: str) -> str | None:
        """HTTPS_PROXY / HTTP_PROXY unless NO_PROXY covers the host, as PTB's httpx read them."""
        parts = urllib.parse.urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxies:
            bypass = urllib.request.proxy_bypass(parts.hostname or "")
            self._proxies[key] = None if bypass else urllib.request.getproxies().get(parts.scheme)
        return self._proxies[key]


def _seconds(given: ODVInput[float], default: float | None) -> float | None:
    if isinstance(given, DefaultValue):
        return default
    return given


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
