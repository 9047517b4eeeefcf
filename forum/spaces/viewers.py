"""Loading the viewer: a user with the spaces they moderate, for a request or a socket.

It sits in spaces, above accounts, because the spaces know their moderators.
"""

from __future__ import annotations

from litestar import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts import requesters
from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.accounts.viewer import ANONYMOUS, Viewer
from forum.lib.http import raw_token
from forum.spaces.models import SpaceModerator


async def load_viewer(session: AsyncSession, user: User | None, token_hash: str | None = None) -> Viewer:
    if user is None:
        return ANONYMOUS
    rows = await session.scalars(select(SpaceModerator.space_id).where(SpaceModerator.user_id == user.id))
    return Viewer(user=user, moderated_space_ids=frozenset(rows.all()), token_hash=token_hash)


async def provide_viewer(request: Request, db_session: AsyncSession) -> Viewer:
    token, _ = raw_token(request.headers, request.cookies)
    if token is None:
        return ANONYMOUS
    user = await accounts.authenticate(db_session, token)
    if user is None:
        return ANONYMOUS
    digest = accounts.token_digest(token)
    # The token works: the rate limit may count its next requests against the account.
    requesters.remember(request, digest, user.id)
    return await load_viewer(db_session, user, digest)
