"""Every HTTP response tells browsers what the site's pages may do (CSP, framing, sniffing).

The browser test (tests/e2e/test_security.py) shows that the web client runs under this
policy with no violation; this one shows that every kind of response carries it.
"""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from forum.lib.security_headers import CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/index.html", 200),
        ("GET", "/js/app.js", 200),
        ("GET", "/css/app.css", 200),
        ("GET", "/no-such-file.html", 404),
        ("GET", "/api/spaces", 200),
        ("GET", "/api/no-such-thing", 404),
        ("GET", "/api/posts/1", 404),
        ("PUT", "/api/me", 405),
        ("POST", "/api/auth/login", 415),
        ("GET", "/health", 200),
        ("GET", "/metrics", 200),
        ("OPTIONS", "/api/spaces", 204),
    ],
)
async def test_every_response_carries_the_security_headers(
    client: AsyncTestClient, method: str, path: str, status: int
) -> None:
    resp = await client.request(method, path, content=b"x" if method == "POST" else None)
    assert resp.status_code == status, resp.text
    csp = resp.headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    # No inline script or style, nothing from elsewhere, no framing by other sites.
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in csp
    assert directives["frame-ancestors"] == "'none'" and directives["default-src"] == "'none'"
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "same-origin"
