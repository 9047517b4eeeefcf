"""Loading the viewer: a user with the spaces they moderate, for a request or a socket.

It sits in spaces, above accounts, because the spaces know their moderators.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from litestar import Request
from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.accounts import requesters
from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.accounts.viewer import ANONYMOUS, Viewer
from forum.lib.db import utcnow
from forum.lib.http import raw_token
from forum.spaces.models import SpaceModerator
from forum.spaces.viewer_cache import ViewerCache


async def load_viewer(session: AsyncSession, user: User | None, token_hash: str | None = None) -> Viewer:
    if user is None:
        return ANONYMOUS
    rows = await session.scalars(select(SpaceModerator.space_id).where(SpaceModerator.user_id == user.id))
    return Viewer(user=user, moderated_space_ids=frozenset(rows.all()), token_hash=token_hash)


# The spaces a user moderates, as "3,7,12", beside their live token: one round trip for
# every signed-in request instead of two.
_MODERATED_IDS = (
    select(func.aggregate_strings(cast(SpaceModerator.space_id, String), ","))
    .where(SpaceModerator.user_id == User.id)
    .scalar_subquery()
)
_VIEWER_OF_TOKEN = accounts.select_token_holder(_MODERATED_IDS)


async def viewer_of_token(session: AsyncSession, raw_token: str) -> tuple[Viewer, datetime] | None:
    """The viewer a live token belongs to, and when the token expires; None for a token
    that is unknown, revoked or expired, or whose user is suspended."""
    now = utcnow()
    digest = accounts.token_digest(raw_token)
    row = (await session.execute(_VIEWER_OF_TOKEN, {"token_hash": digest, "now": now})).one_or_none()
    if row is None:
        return None
    user, expires_at, moderated = row
    if accounts.is_suspended(user, now):
        return None
    space_ids = frozenset(int(space_id) for space_id in moderated.split(",")) if moderated else frozenset()
    return Viewer(user=user, moderated_space_ids=space_ids, token_hash=digest), expires_at


async def provide_viewer(request: Request, db_session: AsyncSession) -> Viewer:
    """The viewer of a request, read from the database each time."""
    return await _viewer_of_request(request, db_session, None)


def viewer_provider(
    cache: ViewerCache, sessionmaker: async_sessionmaker[AsyncSession]
) -> Callable[[Request], Awaitable[Viewer]]:
    """The `viewer` dependency: a token's viewer remembered in `cache`
    (forum.spaces.viewer_cache), else read in a short session of its own from `sessionmaker`
    (the autocommit engine's: one statement, no transaction). It takes no `db_session`, so
    a request whose viewer is remembered and whose handler reads nothing through the ORM
    (`GET /api/me`, a page of posts) opens no session at all."""

    async def provide_viewer(request: Request) -> Viewer:
        token, _ = raw_token(request.headers, request.cookies)
        if token is None:
            return ANONYMOUS
        digest = accounts.token_digest(token)
        viewer = cache.get(digest)
        if viewer is None:
            async with sessionmaker() as session:
                found = await viewer_of_token(session, token)
                if found is None:
                    return ANONYMOUS
                viewer, expires_at = found
                # Shared by later requests: attached to no session, so none of them can
                # change it, expire it or load through a request's session.
                session.expunge(viewer.require_user())
            cache.put(digest, viewer, expires_at)
        # The token works: the rate limit may count its next requests against the account.
        assert viewer.user is not None and viewer.token_hash is not None
        requesters.remember(request, viewer.token_hash, viewer.user.id)
        return viewer

    return provide_viewer


async def _viewer_of_request(request: Request, db_session: AsyncSession, cache: ViewerCache | None) -> Viewer:
    token, _ = raw_token(request.headers, request.cookies)
    if token is None:
        return ANONYMOUS
    digest = accounts.token_digest(token)
    viewer = cache.get(digest) if cache is not None else None
    if viewer is None:
        found = await viewer_of_token(db_session, token)
        if found is None:
            return ANONYMOUS
        viewer, expires_at = found
        if cache is not None:
            # Shared by later requests: attached to no session, so none of them can
            # change it, expire it or load through this request's session.
            db_session.expunge(viewer.require_user())
            cache.put(digest, viewer, expires_at)
    # The token works: the rate limit may count its next requests against the account.
    assert viewer.user is not None and viewer.token_hash is not None
    requesters.remember(request, viewer.token_hash, viewer.user.id)
    return viewer
