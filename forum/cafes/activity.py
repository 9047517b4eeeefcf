"""The home page's activity figures of a list of spaces, in one statement (forum.spaces.activity).

For each space: how many threads and posts the reader may see, the latest activity they
may see, and a café of the space whose round is under way. The rules are those of the
thread list (forum.threads.counts): in a space the reader moderates every thread and post
counts; elsewhere the published threads (and the reader's own pending ones), their public
posts and the reader's own pending or hidden posts. `last_post_at` is the threads' own,
which a pending or hidden post never moves.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Subquery, and_, case, false, func, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.cafes.models import Cafe, CafeState
from forum.spaces.activity import SpaceActivity
from forum.spaces.models import Space
from forum.threads.models import Post, Thread
from forum.threads.policy import PUBLIC_STATUS_SQL


def _moderated(viewer: Viewer, spaces: list[Space]) -> ColumnElement[bool]:
    if viewer.is_global_moderator:
        return Thread.space_id.is_not(None)
    ids = [s.id for s in spaces if viewer.moderates(s.id)]
    return Thread.space_id.in_(ids) if ids else false()


def _own_restricted(
    author_id: int, ids: list[int], thread_visible: ColumnElement[bool], moderated: ColumnElement[bool]
) -> Subquery:
    """The reader's own pending and hidden posts in the visible threads of the spaces they do
    not moderate, per space, read from their own posts (the (author_id, client_id) key).
    Counted thread by thread beside each thread's row (`counts.own_restricted_posts`), they
    cost one index probe per thread with any restricted post: 1,295 probes and 5 ms of the
    list's 8 at 1 M posts; read this way, 0.5 ms (docs/benchmarks.md)."""
    return (
        select(Thread.space_id.label("space_id"), func.count(Post.id).label("posts"))
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Post.author_id == author_id,
            ~PUBLIC_STATUS_SQL,
            Thread.space_id.in_(ids),
            thread_visible,
            ~moderated,
        )
        .group_by(Thread.space_id)
        .subquery()
    )


async def read_activity(
    session: AsyncSession, viewer: Viewer, spaces: list[Space]
) -> dict[int, SpaceActivity]:
    ids = [s.id for s in spaces]
    moderated = _moderated(viewer, spaces)
    public = Thread.post_count - Thread.restricted_count
    posts: ColumnElement[int] = case((moderated, Thread.post_count), else_=public)
    if viewer.id is None:
        thread_visible: ColumnElement[bool] = or_(Thread.status == "published", moderated)
    else:
        thread_visible = or_(Thread.status == "published", moderated, Thread.author_id == viewer.id)
    stats = (
        select(
            Thread.space_id.label("space_id"),
            func.count(Thread.id).label("threads"),
            func.sum(posts).label("posts"),
            func.max(Thread.last_post_at).label("latest"),
        )
        .where(Thread.space_id.in_(ids), thread_visible)
        .group_by(Thread.space_id)
        .subquery()
    )
    own = (
        None
        if viewer.id is None or viewer.is_global_moderator
        else _own_restricted(viewer.id, ids, thread_visible, moderated)
    )
    running = (
        select(func.min(Cafe.id))
        .where(Cafe.space_id == Space.id, Cafe.state == CafeState.running.value)
        .correlate(Space)
        .scalar_subquery()
    )
    statement = (
        select(
            Space.id,
            stats.c.threads,
            stats.c.posts,
            stats.c.latest,
            running,
            own.c.posts if own is not None else null(),
        )
        .outerjoin(stats, and_(stats.c.space_id == Space.id))
        .where(Space.id.in_(ids))
    )
    if own is not None:
        statement = statement.outerjoin(own, own.c.space_id == Space.id)
    rows = await session.execute(statement)
    return {
        space_id: SpaceActivity(
            post_count=int(n_posts or 0) + int(n_own or 0),
            thread_count=int(n_threads or 0),
            last_post_at=latest,
            running_cafe_id=cafe_id,
        )
        for space_id, n_threads, n_posts, latest, cafe_id, n_own in rows
    }
