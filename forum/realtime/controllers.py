"""`GET /ws`: find the caller, check the Origin, accept, and hand the socket to a Connection."""

from __future__ import annotations

from litestar import WebSocket, websocket

from forum.accounts.viewer import ANONYMOUS
from forum.lib.http import raw_token
from forum.realtime.connection import Connection
from forum.realtime.hub import RESTART_CODE, Hub
from forum.spaces.viewers import viewer_of_token

# Refusals before the upgrade: the server answers the handshake with 403.
POLICY_CODE = 1008


async def _refuse(socket: WebSocket, code: int, reason: str) -> None:
    await socket.receive()  # the websocket.connect message
    await socket.close(code=code, reason=reason)


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
        async with hub.reader() as session:
            found = await viewer_of_token(session, token)
        if found is None:
            # As over HTTP, a stale token reads as anonymous: public topics still work,
            # and `send` answers `unauthorized`.
            token = None
        else:
            viewer, expires_at = found
    await socket.accept()
    await Connection(socket, hub, viewer, token, expires_at).run()
