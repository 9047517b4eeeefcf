"""HTTP edge helpers shared by every controller: the token a request carries, list envelopes,
the answer to OPTIONS."""

from __future__ import annotations

import ipaddress
from typing import Any, Generic, TypeVar

import msgspec
from litestar import Request, Response
from litestar.status_codes import HTTP_204_NO_CONTENT

T = TypeVar("T")

SESSION_COOKIE = "forum_session"


class ListOut(msgspec.Struct, Generic[T]):
    items: list[T]
    next: str | None = None


def raw_token(headers: Any, cookies: dict[str, str]) -> tuple[str | None, bool]:
    """The token a request or socket carries, and whether it came from the cookie."""
    auth = headers.get("authorization") or ""
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    cookie = cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


def address_bucket(host: str | None) -> str:
    """The address a limit counts a client under: the IPv4 address, or the /64 of an IPv6
    one (a single machine is commonly given a whole /64, so counting each of its
    addresses apart would give it billions of allowances)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def answer_options(request: Request) -> Response | None:
    """OPTIONS: 204 with every method the path serves in `Allow`.

    Litestar 2 makes one OPTIONS handler per route as it is built, and a route that gains
    handlers later (GET and POST of one path, declared apart) keeps the first one, whose
    `Allow` names the methods of that moment only: `OPTIONS, POST` for /api/spaces.
    """
    if request.method != "OPTIONS":
        return None
    template = request.scope.get("path_template")
    methods: set[str] = set()
    for route in request.app.routes:
        if getattr(route, "path_format", None) == template:
            methods |= set(getattr(route, "methods", ()))
    if not methods:
        return None
    return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": ", ".join(sorted(methods))})
