"""A thread's figures as each reader may see them, kept right as its posts change status.

`Thread.post_count` is the highest post number handed out (every number has its post, and
a moderator of the space sees them all); `Thread.restricted_count` is how many of those
posts only their author and the space's moderators may see (pending or hidden). Anyone
else sees the rest plus their own restricted posts: `visible_post_count` states that as
one SQL expression, so a page of threads costs no query per thread. `last_post_at` is the
latest activity everyone may see: a pending or hidden post never moves it, and hiding the
latest post takes it back to the latest post still public.

Both counters change in the transaction that changes a post's status, by a relative
UPDATE (two moderators hiding two posts of one thread at once both count), and in the one
that stores new posts (`new_posts_update`, for a whole batch of threads at once).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Update, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from forum.accounts.viewer import Viewer
from forum.lib import counters
from forum.lib.shapes import padded
from forum.threads.models import Post, Thread
from forum.threads.policy import PUBLIC_STATUS_SQL, PUBLIC_STATUSES


def is_restricted(status: str) -> bool:
    """Pending and hidden posts are their author's and the space's moderators' only."""
    return status not in PUBLIC_STATUSES


def visible_post_count(viewer: Viewer, space_id: int) -> ColumnElement[int]:
    """How many posts of a thread (of space `space_id`) the viewer may see, on `Thread`'s row:
    exactly as many as the viewer's `GET /api/threads/{id}/posts` lists (deleted posts are
    listed, as stubs). Own restricted posts are only counted where the thread has any."""
    if viewer.moderates(space_id):
        return Thread.post_count
    public = Thread.post_count - Thread.restricted_count
    if viewer.id is None:
        return public
    return public + case((Thread.restricted_count > 0, own_restricted_posts(viewer.id)), else_=0)


def own_restricted_posts(author_id: int) -> ColumnElement[int]:
    """How many of `Thread`'s pending or hidden posts are this author's (correlated to the
    enclosing query's thread): what a reader sees beside its public posts."""
    return (
        select(func.count(Post.id))
        .where(
            Post.thread_id == Thread.id,
            Post.author_id == author_id,
            ~PUBLIC_STATUS_SQL,  # written into the SQL, as `policy.status_literal` says why
        )
        .correlate(Thread)
        .scalar_subquery()
    )


async def post_count_for(session: AsyncSession, viewer: Viewer | None, thread: Thread, space_id: int) -> int:
    """`visible_post_count` for one thread already loaded; None is everyone (the public figure).

    Asks the database only for a signed-in reader who does not moderate the space, and
    only when the thread has restricted posts at all.
    """
    if viewer is not None and viewer.moderates(space_id):
        return thread.post_count
    public = thread.post_count - thread.restricted_count
    if viewer is None or viewer.id is None or thread.restricted_count == 0:
        return public
    counted = await session.scalar(select(visible_post_count(viewer, space_id)).where(Thread.id == thread.id))
    return int(counted or 0)


async def status_changed(session: AsyncSession, thread: Thread, post: Post, before: str) -> None:
    """Call after `post.status` changed from `before`, in the same transaction."""
    was, now = is_restricted(before), is_restricted(post.status)
    if was == now:
        return
    # The relative update first: on PostgreSQL it takes the thread's row lock, so the read
    # below sees every status change committed before this one.
    restricted = (
        await session.execute(
            update(Thread)
            .where(Thread.id == thread.id)
            .values(restricted_count=Thread.restricted_count + (1 if now else -1))
            .returning(Thread.restricted_count)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one()
    set_committed_value(thread, "restricted_count", restricted)
    if not now:
        # Public again (approved, unhidden, or deleted: a stub everyone sees).
        if post.created_at > thread.last_post_at:
            thread.last_post_at = post.created_at
        return
    # Hidden: the thread's activity is that of its latest post still public.
    latest = await session.scalar(
        select(func.max(Post.created_at)).where(
            Post.thread_id == thread.id, Post.id != post.id, PUBLIC_STATUS_SQL
        )
    )
    fallback = latest if latest is not None else thread.created_at
    if fallback < thread.last_post_at:
        thread.last_post_at = fallback


# The threads' counter updates for new posts, built once per padded number of threads (see
# forum.lib.counters and forum.lib.shapes).
_NEW_POSTS: dict[int, Update] = {}


def new_posts_update(
    threads: list[tuple[int, int, int, datetime | None]],
) -> tuple[Update, dict[str, Any]]:
    """The update for new posts in `threads`, each (id, new posts, new restricted posts,
    latest activity), with its parameters: post_count and restricted_count up by the new
    posts (relative: every writer's posts count), last_post_at set to the value given;
    RETURNING the counters (the new posts' numbers: forum.threads.posting)."""
    # The padding names the last thread again, adding nothing: its first WHEN has matched.
    last_id, _, _, last_at = threads[-1]
    rows = padded(threads, (last_id, 0, 0, last_at))
    params: dict[str, Any] = {}
    for n, (thread_id, added, restricted, latest) in enumerate(rows):
        params[f"key_{n}"] = thread_id
        params[f"added_{n}"] = added
        params[f"restricted_{n}"] = restricted
        params[f"last_{n}"] = latest
    return _new_posts_statement(len(rows)), params


def _new_posts_statement(rows: int) -> Update:
    found = _NEW_POSTS.get(rows)
    if found is not None:
        return found
    t = Thread.__table__.c
    keys = [bindparam(f"key_{i}", type_=t.id.type) for i in range(rows)]
    added = [bindparam(f"added_{i}", type_=t.post_count.type) for i in range(rows)]
    restricted = [bindparam(f"restricted_{i}", type_=t.restricted_count.type) for i in range(rows)]
    last = [bindparam(f"last_{i}", type_=t.last_post_at.type) for i in range(rows)]
    statement = (
        update(Thread.__table__)
        .where(t.id.in_(keys))
        .values(
            {
                t.post_count: t.post_count
                + case(*((t.id == k, v) for k, v in zip(keys, added, strict=True))),
                t.restricted_count: t.restricted_count
                + case(*((t.id == k, v) for k, v in zip(keys, restricted, strict=True))),
                t.last_post_at: case(*((t.id == k, v) for k, v in zip(keys, last, strict=True))),
            }
        )
        .returning(t.id, t.post_count, t.restricted_count)
    )
    if rows <= counters.KEPT_SIZES:
        _NEW_POSTS[rows] = statement
    return statement
