"""`GET /ws`: find the caller, check the Origin, accept, and hand the socket to a Connection."""

from __future__ import annotations

import msgspec
from litestar import WebSocket, websocket

from forum.accounts.viewer import ANONYMOUS
from forum.lib.db import database_unavailable
from forum.lib.errors import RETRY_AFTER_SECONDS, Unavailable
from forum.lib.http import raw_token
from forum.realtime.connection import Connection
from forum.realtime.hub import RESTART_CODE, Hub
from forum.spaces.viewers import viewer_of_token

# Refusals before the upgrade: the server answers the handshake with 403.
POLICY_CODE = 1008
# Where the server cannot answer an upgrade with an HTTP response of the app's own
# (ASGI's websocket denial response), a socket the database cannot serve is accepted and
# closed with "try again later".
DENIAL_EXTENSION = "websocket.http.response"
TRY_AGAIN_CODE = 1013


async def _refuse(socket: WebSocket, code: int, reason: str) -> None:
    await socket.receive()  # the websocket.connect message
    await socket.close(code=code, reason=reason)


async def _refuse_unavailable(socket: WebSocket) -> None:
    """The database cannot say who is asking: answer the upgrade 503 with Retry-After (a
    client reading 403 would think it was refused for good), where the server can."""
    await socket.receive()  # the websocket.connect message
    if DENIAL_EXTENSION not in (socket.scope.get("extensions") or {}):
        await socket.accept()
        await socket.close(code=TRY_AGAIN_CODE, reason="the database is unavailable; try again shortly")
        return
    body = msgspec.json.encode(
        {
            "type": "about:blank",
            "status": 503,
            "title": Unavailable.title,
            "detail": "the database is unavailable; try again shortly",
            "code": Unavailable.code,
        }
    )
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
    ]
    await socket.send({"type": "websocket.http.response.start", "status": 503, "headers": headers})
    await socket.send({"type": "websocket.http.response.body", "body": body})


@websocket("/ws", name="live", include_in_schema=False)
async def live_socket(socket: WebSocket) -> None:
    """One socket per client carries every subscription (see docs/realtime.md)."""
    hub: Hub = socket.app.state.hub
    if not hub.running:
        await _refuse(socket, RESTART_CODE, "server restarting")
        return
    token, from_cookie = raw_token(socket.headers, socket.cookies)
    if from_cookie:
        # A browser sends the cookie to any page's socket: only our own pages may use it.
        origin = (socket.headers.get("origin") or "").rstrip("/")
        if origin not in hub.settings.allowed_origins:
            await _refuse(socket, POLICY_CODE, "origin not allowed")
            return
    viewer = ANONYMOUS
    expires_at = None
    if token is not None:
        try:
            async with hub.reader() as session:
                found = await viewer_of_token(session, token)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            await _refuse_unavailable(socket)
            return
        if found is None:
            # As over HTTP, a stale token reads as anonymous: public topics still work,
            # and `send` answers `unauthorized`.
            token = None
        else:
            viewer, expires_at = found
    await socket.accept()
    await Connection(socket, hub, viewer, token, expires_at).run()
