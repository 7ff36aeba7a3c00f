"""python-telegram-bot's requests over one aiohttp session, instead of its default httpx client.

Measured on the event path (``bench/event_path.py``): a Bot API call through PTB's ``HTTPXRequest`` costs
2.5–3.5 ms of CPU with 50 calls in flight (httpcore's pool re-scans every connection and waiter on each
request), the same call through aiohttp about 0.2 ms. Every button press makes two calls (answer the query,
edit the message), so the HTTP client was most of the bot's CPU per event. The wire format is PTB's own:
form-encoded parameters, multipart when files are attached.
"""

from __future__ import annotations

from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CONTROL = {code: None for code in range(32)}


class AiohttpRequest(BaseRequest):
    """A :class:`~telegram.request.BaseRequest` over an aiohttp session with keep-alive connections.

    Args:
        connection_pool_size: connections kept open to the Bot API at most.
        read_timeout: seconds to wait for each part of an answer.
        write_timeout: seconds the whole request may take beyond reading (uploads get ``media_write_timeout``).
        connect_timeout: seconds to open a connection.
        pool_timeout: seconds to wait for a free connection of the pool.
        media_write_timeout: ``write_timeout`` for requests that upload files.
    """

    def __init__(
        self,
        connection_pool_size: int = 128,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds."""
        return self._read

    async def initialize(self) -> None:
        """Open the session (once; PTB may call this again after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size)
            # No session-wide timeout: each request sets its own, as PTB passes them per call.
            self._session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout())

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; returns the status code and the body.

        Raises:
            TimedOut: no connection, no answer or no upload within the timeouts.
            NetworkError: the connection failed.
        """
        if self._session is None or self._session.closed:
            await self.initialize()
        assert self._session is not None
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        write = (
            (self._media_write if files else self._write)
            if isinstance(write_timeout, DefaultValue)
            else write_timeout
        )
        timeout = aiohttp.ClientTimeout(
            total=_sum(connect, pool, write, read),
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        headers = {"User-Agent": self.USER_AGENT}
        body: aiohttp.FormData | bytes | None = None
        if fields and not files:
            # Encoded here: aiohttp would build a FormData for a dict, a measurable share of each call's CPU.
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if files:
            # File names in UTF-8, as PTB's httpx client sends them (aiohttp would percent-encode "ع" by default,
            # and Telegram would show the escapes); control characters cannot end the header early.
            form = aiohttp.FormData(quote_fields=False)
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename.translate(CONTROL), content_type=mime)
            body = form
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error


def _sum(*parts: float | None) -> float | None:
    """A bound on the whole, or None when any part is unbounded."""
    return None if any(part is None for part in parts) else sum(part for part in parts if part is not None)
