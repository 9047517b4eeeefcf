"""Deadlines for a request's headers and body: a client that sends them too slowly is cut off.

uvicorn closes a kept-alive connection that stays idle, but has no deadline for a request
that is being sent: a client that opens connections and sends its headers a byte every few
seconds ("slowloris"), or a body that never ends, holds a connection and its memory for
as long as it likes, and a few hundred such clients hold them all.

`HttpProtocol` is uvicorn's own HTTP protocol (httptools) with the deadlines of Apache's
mod_reqtimeout: the headers of a request must be complete within `HEADER_SECONDS` of its
first byte (of the connection, for the first request); its body may take `BODY_SECONDS`,
plus one second for every `BODY_MIN_RATE` bytes that arrive, so a large upload on a slow
link goes through while a trickle does not. A request cut off in its headers is answered
408 and closed; one cut off in its body is closed (the application reads a disconnect, and
its transaction writes nothing). Websocket upgrades leave this protocol, and its deadlines,
at the handshake.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Headers are a few hundred bytes: even on the slowest link they arrive within seconds.
HEADER_SECONDS = 20.0
# A body gets this long, and a second more for every BODY_MIN_RATE bytes received.
BODY_SECONDS = 20.0
BODY_MIN_RATE = 500

log = logging.getLogger("forum.http")

_TIMEOUT_TEXT = b"the request was not sent in time\n"
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(_TIMEOUT_TEXT)).encode() + b"\r\n\r\n" + _TIMEOUT_TEXT
)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with deadlines for headers and bodies (see the module)."""

    header_seconds: ClassVar[float] = HEADER_SECONDS
    body_seconds: ClassVar[float] = BODY_SECONDS
    body_min_rate: ClassVar[int] = BODY_MIN_RATE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline_timer: asyncio.TimerHandle | None = None
        self._body_deadline = 0.0
        self._in_headers = False

    # --- the deadlines ---------------------------------------------------------------

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._deadline_timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None

    def _headers_too_slow(self) -> None:
        self._deadline_timer = None
        if self.transport.is_closing():
            return
        if self._in_headers:
            # Part of a request came: say why the connection ends.
            log.info("closing a connection whose request headers took over %.0f s", self.header_seconds)
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()

    def _body_check(self) -> None:
        self._deadline_timer = None
        if self.transport.is_closing():
            return
        left = self._body_deadline - self.loop.time()
        if left > 0:
            # Data arrived meanwhile and moved the deadline on.
            self._arm(left, self._body_check)
            return
        log.info("closing a connection whose request body came too slowly")
        if self.cycle is not None and not self.cycle.response_started:
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()

    # --- uvicorn's protocol ----------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that sends nothing at all is cut off too.
        self._arm(self.header_seconds, self._headers_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        if self._deadline_timer is None:
            # The next request of a kept-alive connection: its own deadline from its first byte.
            self._arm(self.header_seconds, self._headers_too_slow)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._disarm()
        super().on_headers_complete()
        if self.parser.should_upgrade() and self._should_upgrade():
            return
        if self._expects_body():
            self._body_deadline = self.loop.time() + self.body_seconds
            self._arm(self.body_seconds, self._body_check)

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._body_deadline += len(body) / self.body_min_rate

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()

    def _expects_body(self) -> bool:
        for name, value in self.headers:
            if name == b"content-length":
                return value.strip() not in (b"0", b"")
            if name == b"transfer-encoding":
                return True
        return False
