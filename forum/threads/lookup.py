"""Finding a thread or a post for a viewer (what they may not read is a 404), and their views."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.lib.errors import NotFound
from forum.spaces.models import Space
from forum.spaces.policy import can_see_space
from forum.threads import counts
from forum.threads.models import Post, Thread
from forum.threads.policy import (
    can_see_post,
    can_see_thread,
)
from forum.threads.schemas import (
    PostOut,
    ThreadOut,
    post_out,
    thread_out,
)


@dataclass
class VisibleThread:
    thread: Thread
    space: Space


# A thread and its space in one round trip (every thread read and every post starts here);
# built once, so SQLAlchemy finds its compiled form without computing its cache key again.
_THREAD_WITH_SPACE = (
    select(Thread, Space).join(Space, Space.id == Thread.space_id).where(Thread.id == bindparam("thread_id"))
)


async def get_thread(session: AsyncSession, viewer: Viewer, thread_id: int) -> VisibleThread:
    row = (await session.execute(_THREAD_WITH_SPACE, {"thread_id": thread_id})).first()
    if row is None:
        raise NotFound(f"no thread with id {thread_id}")
    thread, space = row
    if not can_see_space(viewer, space) or not can_see_thread(viewer, thread):
        raise NotFound(f"no thread with id {thread_id}")
    return VisibleThread(thread, space)


async def thread_view(session: AsyncSession, found: VisibleThread, viewer: Viewer | None) -> ThreadOut:
    """The Thread as `viewer` may see it; None gives what everyone may see (for events)."""
    author = await session.get(User, found.thread.author_id)
    assert author is not None
    post_count = await counts.post_count_for(session, viewer, found.thread, found.space.id)
    return thread_out(found.thread, found.space.slug, author, post_count)


async def post_view(session: AsyncSession, post: Post, known: User | None = None) -> PostOut:
    """The Post; `known`, a user already at hand (the viewer), is not read again if it
    is the author."""
    author = known if known is not None and known.id == post.author_id else None
    if author is None:
        author = await session.get(User, post.author_id)
    assert author is not None
    return post_out(post, author)


async def get_visible_post(session: AsyncSession, viewer: Viewer, post_id: int) -> tuple[Post, VisibleThread]:
    post = await session.get(Post, post_id)
    if post is None:
        raise NotFound(f"no post with id {post_id}")
    try:
        found = await get_thread(session, viewer, post.thread_id)
    except NotFound:
        raise NotFound(f"no post with id {post_id}") from None
    if not can_see_post(viewer, post, found.space.id):
        raise NotFound(f"no post with id {post_id}")
    return post, found
