"""Lists: a thread's posts, a space's threads, a post's revisions, as the viewer may see them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from sqlalchemy import and_, bindparam, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.schemas import author_out, iso
from forum.accounts.viewer import Viewer
from forum.lib.errors import BadRequest
from forum.lib.pagination import Page, check_limit, decode_cursor, encode_cursor
from forum.lib.raw_input import MAX_INT32, Id
from forum.spaces import services as spaces
from forum.threads import reading
from forum.threads.counts import visible_post_count
from forum.threads.lookup import get_visible_post, visible_thread_space
from forum.threads.models import Post, PostRevision, Thread
from forum.threads.policy import (
    VISIBLE_POSTS,
    visible_posts_params,
    visible_revisions_clause,
)
from forum.threads.schemas import (
    PostOut,
    RevisionOut,
    ThreadOut,
    posts_out,
    thread_out,
)

# A page of a thread's posts with their authors, as plain columns in the order `posts_out`
# reads them: building ORM objects (or bundles) for fifty posts and their authors cost more
# than the query. Built once, its viewer bound.
_PAGE = (
    select(
        Post.id,
        Post.thread_id,
        Post.number,
        Post.status,
        Post.body,
        Post.html,
        Post.reply_to,
        Post.client_id,
        Post.created_at,
        Post.edited_at,
        Post.moderation_reason,
        User.id,
        User.display_name,
        User.role,
        User.party,
        Post.rejected,
    )
    .join(User, User.id == Post.author_id)
    .where(Post.thread_id == bindparam("thread_id"), Post.number > bindparam("after"), VISIBLE_POSTS)
    .order_by(Post.number)
    .limit(bindparam("rows"))
)


async def list_posts(
    session: AsyncSession, viewer: Viewer, thread_id: int, *, after: int = 0, limit: int | None = None
) -> Page[PostOut]:
    if after < 0:
        raise BadRequest("after: must be 0 or more", field="after")
    # Past the largest number a post can have there is nothing (and the column would overflow).
    after = min(after, MAX_INT32)
    limit = check_limit(limit)
    space_id = await visible_thread_space(session, viewer, thread_id)
    params = {"thread_id": thread_id, "after": after, "rows": limit + 1}
    # Plain columns need no ORM: executed on the session's connection, the statement skips
    # the ORM's compile and result steps.
    connection = await session.connection()
    rows = (await connection.execute(_PAGE, params | visible_posts_params(viewer, space_id))).all()
    items = posts_out(rows[:limit])
    more = len(rows) > limit
    return Page(items=items, next=str(items[-1].number) if more and items else None)


# A thread-list cursor: (pinned, last_post_at, id), checked as it is decoded.
ThreadPosition = tuple[Literal[0, 1], Annotated[datetime, msgspec.Meta(tz=True)], Id]


async def list_threads(
    session: AsyncSession, viewer: Viewer, slug: str, *, limit: int | None = None, cursor: str | None = None
) -> Page[ThreadOut]:
    limit = check_limit(limit)
    space = await spaces.get_space(session, viewer, slug)
    # Each thread's post_count as this reader may see it, in the same statement.
    query = reading.with_reader(
        select(Thread, User, visible_post_count(viewer, space.id), reading.unread_column(viewer))
        .join(User, User.id == Thread.author_id)
        .where(Thread.space_id == space.id),
        viewer,
    )
    if not viewer.moderates(space.id):
        visible = Thread.status == "published"
        query = query.where(or_(visible, Thread.author_id == viewer.id) if viewer.id else visible)
    position = decode_cursor(cursor, ThreadPosition)
    if position is not None:
        pinned, last_dt, last_id = position
        # Order: pinned first, then latest activity, then id, all descending. Past a
        # pinned row come the rest of the pinned ones, then every unpinned one. Past an
        # unpinned row (nearly every page) the condition is one range of
        # ix_threads_space_keyset, so a deep page costs what the first one does.
        past = tuple_(Thread.last_post_at, Thread.id) < tuple_(
            literal(last_dt, Thread.last_post_at.type), literal(last_id, Thread.id.type)
        )
        if pinned:
            query = query.where(or_(Thread.pinned.is_(False), and_(Thread.pinned.is_(True), past)))
        else:
            query = query.where(Thread.pinned.is_(False), past)
    rows = (
        await session.execute(
            query.order_by(Thread.pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc()).limit(
                limit + 1
            )
        )
    ).all()
    items = [
        thread_out(thread, space.slug, author, count, unread)
        for thread, author, count, unread in rows[:limit]
    ]
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        nxt = encode_cursor([int(last.pinned), last.last_post_at.isoformat(), last.id])
    return Page(items=items, next=nxt)


async def list_revisions(session: AsyncSession, viewer: Viewer, post_id: int) -> list[RevisionOut]:
    post, found = await get_visible_post(session, viewer, post_id)
    rows = (
        await session.execute(
            select(PostRevision, User)
            .join(User, User.id == PostRevision.editor_id)
            .where(PostRevision.post_id == post.id, visible_revisions_clause(viewer, post, found.space.id))
            .order_by(PostRevision.id)
        )
    ).all()
    return [
        RevisionOut(body=rev.body, edited_at=iso(rev.edited_at) or "", editor=author_out(user))
        for rev, user in rows
    ]
