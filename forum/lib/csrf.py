"""CSRF protection that applies where it matters: requests carrying the session cookie.

Litestar's CSRF middleware (double-submit cookie) runs for every browser request; a
request without the session cookie (a Bearer client, a first login) carries no ambient
authority for a forger to borrow, and a request with an Authorization header is
authenticated by that header (a page on another site cannot set it), so their unsafe
methods skip the check. A Bearer client's reads without any cookie skip it too: the
CSRF cookie that a read sets is for a browser's next unsafe request.
"""

from __future__ import annotations

from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send

from forum.lib.http import SESSION_COOKIE

_SESSION = f"{SESSION_COOKIE}=".encode()


class SessionCSRFMiddleware(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            cookie_header = b""
            has_authorization = False
            for name, value in scope.get("headers", []):
                if name == b"cookie":
                    cookie_header += value + b";"
                elif name == b"authorization":
                    has_authorization = True
            if scope.get("method") in self.config.safe_methods:
                # A Bearer client that sends no cookie at all has no use for the CSRF
                # cookie a browser's read is given (the middleware signs a token for it).
                if has_authorization and not cookie_header:
                    await self.app(scope, receive, send)
                    return
            elif has_authorization or _SESSION not in cookie_header:
                await self.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
