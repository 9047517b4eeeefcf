"""Lists: a thread's posts, a space's threads, a post's revisions, as the viewer may see them."""

from __future__ import annotations

import json
from datetime import datetime
from operator import itemgetter
from typing import Annotated, Literal

import msgspec
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Integer,
    Subquery,
    Text,
    and_,
    bindparam,
    cast,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from forum.accounts.models import User
from forum.accounts.schemas import author_out, iso
from forum.accounts.viewer import Viewer
from forum.lib.api_time import api_time
from forum.lib.driver_reads import DriverRead
from forum.lib.errors import BadRequest, NotFound
from forum.lib.pagination import Page, check_limit, decode_cursor, encode_cursor
from forum.lib.raw_input import MAX_INT32, Id
from forum.spaces import services as spaces
from forum.spaces.models import Space
from forum.spaces.policy import can_see_space_of
from forum.threads import reading
from forum.threads.counts import visible_post_count
from forum.threads.lookup import get_visible_post
from forum.threads.models import Post, PostRevision, Thread, ThreadUser
from forum.threads.policy import (
    VISIBLE_THREAD_POSTS,
    VISIBLE_THREAD_POSTS_OF_MODERATOR,
    can_see_thread_of,
    visible_revisions_clause,
    visible_thread_posts,
)
from forum.threads.schemas import (
    PostOut,
    RevisionOut,
    ThreadOut,
    posts_out,
    thread_out,
)


# The page of posts the viewer may see (`VISIBLE_THREAD_POSTS`), in a subquery of its own
# with its own ORDER BY and LIMIT, so that it is one range of `posts (thread_id, number)`
# read in order and stopped at the page's end. Joined to the thread directly (a LEFT JOIN
# of posts ordered by number outside), PostgreSQL could not take the index's order from
# the inner side of the join: it read every post of the thread, joined each to its
# author, and sorted them for the page (450 ms for the first page of a thread of 56,601
# posts at 1 M posts; 0.6-0.8 ms now, the first page as the last).
def _page(visible: ColumnElement[bool], *, of_moderator: bool) -> Subquery:
    page = (
        select(
            Post.id,
            Post.thread_id,
            Post.number,
            Post.status,
            Post.body,
            Post.html,
            Post.reply_to,
            Post.client_id,
            # Written by the database as the API writes them: no datetime, no isoformat per row.
            api_time(Post.created_at).label("created_at"),
            api_time(Post.edited_at).label("edited_at"),
            Post.moderation_reason,
            Post.author_id,
            # As JSON text, decoded in `posts_out` for the rare post that has one.
            cast(Post.archive, Text).label("archive"),
            Post.rejected,
        )
        .where(
            Post.thread_id == bindparam("thread_id", type_=BigInteger),
            Post.number > bindparam("after", type_=BigInteger),
            visible,
        )
        .order_by(Post.number)
        .limit(bindparam("rows", type_=Integer))
    )
    if of_moderator:  # the rule of a moderator of some spaces reads the thread's space
        page = page.join(Thread, Thread.id == Post.thread_id)
    return page.subquery("page")


# The columns the thread's rules read, and the reader's read position, before the post's.
_RULE_COLUMNS = 6
_NUMBER = itemgetter(2)  # of a post's columns

# The whole read in one statement: one row of the thread's and its space's rule columns
# (`can_see_space_of`, `can_see_thread_of`) and the reader's read position, then a row per
# post of the page, each branch's other columns NULL (a UNION ALL). No row at all means no
# such thread. The posts' columns come in the order `posts_out` reads them, plain values:
# building ORM objects (or bundles) for fifty posts and their authors cost more than the
# query. The rule columns are not joined to every post, as they were: PostgreSQL then wrote
# them out fifty times and the driver decoded them fifty times, a tenth of the statement's
# CPU on both sides (docs/benchmarks.md, ninth pass). Built once, its viewer bound.
# One statement needs no transaction around it: it runs on the autocommit engine (no
# BEGIN, no ROLLBACK, one round trip in all), with the driver's own call
# (forum.lib.driver_reads): every column is plain text, numbers or booleans.


def _rules_and_page(visible: ColumnElement[bool], *, of_moderator: bool) -> CompoundSelect:
    rule_columns = (
        Thread.status,
        Thread.author_id,
        Thread.space_id,
        Space.visibility,
        # As text, decoded once: neither the JSON type's processing nor asyncpg's jsonb codec.
        cast(Space.allowed_roles, Text),
        ThreadUser.last_read_number,
    )
    assert len(rule_columns) == _RULE_COLUMNS
    page = _page(visible, of_moderator=of_moderator)
    post_columns = (
        page.c.id,
        page.c.thread_id,
        page.c.number,
        page.c.status,
        page.c.body,
        page.c.html,
        page.c.reply_to,
        page.c.client_id,
        page.c.created_at,
        page.c.edited_at,
        page.c.moderation_reason,
        User.id,
        User.display_name,
        User.role,
        User.party,
        page.c.archive,
        page.c.rejected,
    )
    rules = (
        select(*rule_columns, *(null() for _ in post_columns))
        .select_from(Thread)
        .join(Space, Space.id == Thread.space_id)
        .outerjoin(
            ThreadUser,
            and_(
                ThreadUser.thread_id == Thread.id,
                ThreadUser.user_id == bindparam("viewer_id", type_=BigInteger),
            ),
        )
        .where(Thread.id == bindparam("thread_id", type_=BigInteger))
    )
    posts = (
        select(*(null() for _ in rule_columns), *post_columns)
        .select_from(page)
        .outerjoin(User, User.id == page.c.author_id)
        # No ORDER BY here: the page's rows are put in order in Python (`list_posts`), where
        # one would make the database sort them again (a temporary B-tree on SQLite).
    )
    return union_all(rules, posts)


# By `visible_thread_posts`: for a moderator of some spaces (True; its `IN` of their
# spaces makes SQLAlchemy run it), and for everyone else.
_RULES_AND_PAGE = {
    False: DriverRead(_rules_and_page(VISIBLE_THREAD_POSTS, of_moderator=False)),
    True: DriverRead(_rules_and_page(VISIBLE_THREAD_POSTS_OF_MODERATOR, of_moderator=True)),
}


async def list_posts(
    reader: AsyncEngine, viewer: Viewer, thread_id: int, *, after: int = 0, limit: int | None = None
) -> tuple[Page[PostOut], int | None]:
    """A page of the thread's posts as the viewer may see them (NotFound for a thread they
    may not read), and how far they had read it before (None: never, or anonymous).

    `reader` is an autocommit engine: the read is one statement, a snapshot of its own.
    """
    if after < 0:
        raise BadRequest("after: must be 0 or more", field="after")
    # Past the largest number a post can have there is nothing (and the column would overflow).
    after = min(after, MAX_INT32)
    limit = check_limit(limit)
    of_moderator, params = visible_thread_posts(viewer)
    params |= {"thread_id": thread_id, "after": after, "rows": limit + 1}
    rules = None
    posts = []
    for row in await _RULES_AND_PAGE[of_moderator].rows(reader, params):
        if row[_RULE_COLUMNS] is None:  # the rules' row: it has no post id
            rules = row
        else:
            posts.append(row[_RULE_COLUMNS:])
    if rules is None:
        raise NotFound(f"no thread with id {thread_id}")
    status, author_id, space_id, visibility, roles_json, read_up_to = rules[:_RULE_COLUMNS]
    allowed_roles = json.loads(roles_json) if roles_json else []
    if not can_see_space_of(viewer, space_id, visibility, allowed_roles) or not can_see_thread_of(
        viewer, status, author_id, space_id
    ):
        raise NotFound(f"no thread with id {thread_id}")
    posts.sort(key=_NUMBER)
    items = posts_out(posts[:limit])
    more = len(posts) > limit
    return Page(items=items, next=str(items[-1].number) if more and items else None), read_up_to


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
