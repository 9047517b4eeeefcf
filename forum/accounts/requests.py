"""Who is asking: the viewer of an HTTP request, from its bearer token or session cookie."""

from __future__ import annotations

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts import services as accounts
from forum.accounts.viewer import ANONYMOUS, Viewer, load_viewer
from forum.lib.http import raw_token


async def provide_viewer(request: Request, db_session: AsyncSession) -> Viewer:
    token, _ = raw_token(request.headers, request.cookies)
    if token is None:
        return ANONYMOUS
    user = await accounts.authenticate(db_session, token)
    if user is None:
        return ANONYMOUS
    return await load_viewer(db_session, user, accounts.token_digest(token))
