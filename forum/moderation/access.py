"""Who may act as a moderator where: the checks every moderation service starts with."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.lib.errors import Forbidden, Invalid
from forum.spaces import services as spaces
from forum.spaces.models import Space
from forum.threads import lookup
from forum.threads.models import Post

# --- who moderates what -------------------------------------------------------------------


def require_moderator(viewer: Viewer) -> User:
    user = viewer.require_user()
    if not viewer.moderates_anything:
        raise Forbidden("only moderators may do this")
    return user


async def moderated_space(session: AsyncSession, viewer: Viewer, slug: str) -> Space:
    space = await spaces.get_space(session, viewer, slug)
    if not viewer.moderates(space.id):
        raise Forbidden(f"you do not moderate the space {slug!r}")
    return space


async def moderated_post(
    session: AsyncSession, viewer: Viewer, post_id: int
) -> tuple[User, Post, lookup.VisibleThread]:
    """The post, if the viewer sees it (else 404) and moderates its space (else 403)."""
    actor = viewer.require_user()
    post, found = await lookup.get_visible_post(session, viewer, post_id)
    if not viewer.moderates(found.space.id):
        raise Forbidden("only a moderator of this space may do this")
    return actor, post, found


def clean_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise Invalid("reason: say why, in a few words", field="reason")
    return reason
