"""The headers that tell browsers what the site's pages may do, on every HTTP response.

The web client is plain files from this site: one module script, one stylesheet, no inline
script or style, nothing from elsewhere. So the Content-Security-Policy allows exactly that
(scripts, styles, fonts and connections only from this origin), which turns an injected
`<script>` or `onerror=` into a blocked request rather than an account takeover. Posts may
show images by https URL (Markdown images survive the sanitizer), hence `img-src https:`.
Pages may not be framed by other sites (`frame-ancestors`, and X-Frame-Options for older
browsers), and no response is sniffed into another type than the one it declares.
"""

from __future__ import annotations

from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https:",
        "font-src 'self'",
        # 'self' covers the site's own websocket (ws: or wss: on the same host and port).
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_NAMES = {name for name, _ in HEADERS}


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Litestar's `before_send` hook: every response start gets the headers it lacks.

    A hook on the app's send, not a middleware, so that responses made outside a route
    (404 for an unknown path, 405, errors raised before routing) carry them too.
    """
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers} & _NAMES
    headers.extend(header for header in HEADERS if header[0] not in present)
    message["headers"] = headers  # type: ignore[typeddict-unknown-key]
