"""HTTP edge helpers shared by every controller: who is asking, list envelopes."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec
from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts import services as accounts
from forum.accounts.viewer import ANONYMOUS, Viewer, load_viewer

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


async def provide_viewer(request: Request, db_session: AsyncSession) -> Viewer:
    token, _ = raw_token(request.headers, request.cookies)
    if token is None:
        return ANONYMOUS
    user = await accounts.authenticate(db_session, token)
    if user is None:
        return ANONYMOUS
    return await load_viewer(db_session, user, accounts.token_digest(token))
