"""HTTP edge helpers shared by every controller: the token a request carries, list envelopes."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

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
