"""The socket's wire: how `forum serve` runs websockets, and one frame written to many sockets.

Fan-out is the hot path of live delivery: one event goes to every socket at a table. Through
ASGI each of those writes is a task wake-up, five wrapping coroutines (Litestar's and the
server's) and a new websocket frame built for every socket, although a server's frames are
unmasked and so byte-for-byte the same for every recipient of an event.

`WireProtocol` is uvicorn's own websocket protocol (the sans-I/O one over the `websockets`
library) that offers one more ASGI extension, `forum.wire`: `write(frame)` puts an already
built text frame on the socket's transport at once, and answers False whenever it must not
(a compressed socket, whose frames differ per socket; a transport whose buffer is full; a
socket that is closing), in which case the caller uses the ordinary ASGI send. Under any
other server (or Litestar's test client) the extension is absent and everything goes
through ASGI: the protocol is an optimisation, never a second behaviour.

It also closes sockets whatever the peer's pace. uvicorn's close waits until the transport
can take more bytes, which a peer that stopped reading never allows, and its transport then
waits forever to flush before it lets go (the keepalive's pings are stuck behind the same
buffer). Here the close frame is queued behind what the transport holds at once, and a peer
that has not answered it within `CLOSE_GRACE_SECONDS` is dropped.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from forum.realtime.frames import WS_MAX_SIZE
from forum.settings import Settings

EXTENSION = "forum.wire"
PROTOCOL = "forum.realtime.wire:WireProtocol"
HTTP_PROTOCOL = "forum.lib.http_timeouts:HttpProtocol"
# Seconds between pings, and how long a pong may take before the peer counts as dead.
PING_SECONDS = 20.0
# How long a peer has to read what was queued before the close frame and answer it; then
# the connection is dropped, so a client that stopped reading cannot hold it open.
CLOSE_GRACE_SECONDS = 10.0
# The same while the server shuts down: uvicorn waits for every connection to end.
SHUTDOWN_GRACE_SECONDS = 2.0


class WireProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol, plus the `forum.wire` extension (see the module)."""

    async def send(self, message: Any) -> None:
        if message["type"] == "websocket.close" and self._close_now(
            message.get("code", 1000), message.get("reason") or ""
        ):
            return
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # The handshake's request and response (headers and all) are not read again:
            # an idle socket need not keep them for hours.
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]

    async def run_asgi(self) -> None:
        self.scope["extensions"][EXTENSION] = {"write": self.write_frame}  # type: ignore[index]
        await super().run_asgi()
        # uvicorn closes the transport when the app returns without a close handshake under
        # way; a transport that cannot flush (the peer stopped reading) would never let go.
        if not self.disconnected and self.close_timer is None:
            self._drop_after(CLOSE_GRACE_SECONDS)

    def shutdown(self) -> None:
        super().shutdown()
        if not self.disconnected:
            self._drop_after(SHUTDOWN_GRACE_SECONDS)

    # uvicorn ends these with `transport.close()`, which waits to flush: the same bound.
    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        if not self.disconnected:
            self._drop_after(CLOSE_GRACE_SECONDS)

    def handle_close(self, event: Any) -> None:
        super().handle_close(event)
        if not self.disconnected and self.transport.is_closing():
            self._drop_after(CLOSE_GRACE_SECONDS)

    def _close_now(self, code: int, reason: str) -> bool:
        """Send the close frame now, even if the peer reads nothing (see the module); False
        when the ordinary ASGI close must do it (before the handshake, or a rejection)."""
        if not self.handshake_complete or self.initial_response is not None:
            return False
        if self.close_sent or self.disconnected or self.transport.is_closing():
            return True
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self.conn.send_close(code, reason)
        # Not gated on `writable`: a few bytes behind the buffer, which the peer reads first.
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        if self.read_paused:
            # The peer's answer to the close frame must be read.
            self.read_paused = False
            self.transport.resume_reading()
        self._drop_after(CLOSE_GRACE_SECONDS)
        return True

    def _drop_after(self, seconds: float) -> None:
        if self.close_timer is not None:
            self.close_timer.cancel()
        self.close_timer = self.loop.call_later(seconds, self._drop)

    def _drop(self) -> None:
        """The peer did not finish the close in time: let go of the connection, unflushed."""
        self.close_timer = None
        if not self.disconnected:
            self.transport.abort()

    def write_frame(self, frame: bytes) -> bool:
        """Write a complete frame (`frames.Outgoing.wire`) now; False if the ASGI send must carry it."""
        if (
            self.close_sent
            or self.disconnected
            or not self.handshake_complete
            or self.initial_response is not None
            # Compressed sockets keep a compression context per socket: frames differ.
            or self.conn.extensions
            or self.conn.state is not State.OPEN
            # The transport's buffer is full (the peer reads slowly): the caller queues,
            # and its bounded queue decides when the peer is too slow.
            or not self.writable.is_set()
        ):
            return False
        self.transport.write(frame)
        return True


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The protocol options of uvicorn for the service (`forum serve` and the tests)."""
    return {
        # uvicorn's HTTP protocol with deadlines for slowly sent headers and bodies.
        "http": HTTP_PROTOCOL,
        "ws": PROTOCOL,
        # Frames above the service's own limit (frames.MAX_FRAME_BYTES) get `too_large`;
        # this is the protocol ceiling beyond which the socket is closed with 1009.
        "ws_max_size": WS_MAX_SIZE,
        # permessage-deflate costs a compressor per socket (memory) and per frame (CPU), and
        # a compressed socket cannot share the fan-out's frames; chat frames are small, so it
        # is off unless FORUM_WS_COMPRESSION asks for it.
        "ws_per_message_deflate": settings.ws_compression,
        "ws_ping_interval": PING_SECONDS,
        "ws_ping_timeout": PING_SECONDS,
    }
