"""The inbox: a user's notifications, each checked again against what they may read now.

A notification was made for someone who could read its subject then; a space may have
turned restricted since, a thread moved, a post been hidden. So every read of the inbox
(the list, one notification, the unread count) keeps only those whose space, thread,
post, café or round table the reader may still see, with the same rules as every other read path
(forum.spaces.policy, forum.threads.policy). A page may so hold fewer items than asked;
`next` still continues after it.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from forum import streams
from forum.accounts.models import User
from forum.accounts.schemas import iso
from forum.accounts.viewer import Viewer
from forum.attention.fanout import READ, inbox_topic
from forum.attention.models import Notification
from forum.attention.schemas import ActorOut, NotificationOut, NotificationPageOut
from forum.cafes.models import Cafe
from forum.lib.db import utcnow
from forum.lib.errors import BadRequest, NotFound
from forum.lib.pagination import check_limit, decode_cursor, encode_cursor
from forum.lib.raw_input import Id
from forum.roundtables.models import RoundTable
from forum.spaces.models import Space
from forum.spaces.policy import can_see_space
from forum.threads.models import Post, PostStatus, Thread
from forum.threads.policy import can_see_post, can_see_thread

Order = Literal["newest", "unread_first"]
ORDERS = ("newest", "unread_first")
# The badge counts at most this many (the page shows "99+").
UNREAD_COUNT_MAX = 99

Actor = aliased(User)

# A notification with what it refers to. The space is the thread's (or the café's) as it
# is now, not as it was when notified: a moved thread is judged where it is.
_ROWS = (
    select(Notification, Actor, Space, Thread, Post, Cafe, RoundTable)
    .outerjoin(Actor, Actor.id == Notification.actor_id)
    .outerjoin(Thread, Thread.id == Notification.thread_id)
    .outerjoin(Post, Post.id == Notification.post_id)
    .outerjoin(Cafe, Cafe.id == Notification.cafe_id)
    .outerjoin(RoundTable, RoundTable.id == Notification.roundtable_id)
    .outerjoin(
        Space,
        Space.id == func.coalesce(Thread.space_id, Cafe.space_id, RoundTable.space_id, Notification.space_id),
    )
)


def _readable(viewer: Viewer, row: Row) -> bool:
    """The reader may still see what the notification is about."""
    _n, _actor, space, thread, post, _cafe, _rt = row
    if space is None or not can_see_space(viewer, space):
        return False
    if thread is not None and not can_see_thread(viewer, thread):
        return False
    return post is None or (post.status != PostStatus.deleted.value and can_see_post(viewer, post, space.id))


def _out(row: Row) -> NotificationOut:
    n, actor, space, thread, post, cafe, rt = row
    return NotificationOut(
        id=n.id,
        kind=n.kind,
        actor=ActorOut(id=actor.id, handle=actor.handle, display_name=actor.display_name) if actor else None,
        space=space.slug if space else None,
        thread_id=thread.id if thread else None,
        thread_title=thread.title if thread else None,
        post_id=post.id if post else None,
        post_number=post.number if post else None,
        cafe_id=cafe.id if cafe else None,
        cafe_title=cafe.title if cafe else None,
        created_at=iso(n.created_at) or "",
        read_at=iso(n.read_at),
        roundtable_id=rt.id if rt else None,
        roundtable_question=rt.question if rt else None,
    )


async def unread_count(session: AsyncSession, viewer: Viewer) -> int:
    """Unread notifications the viewer may still read, counted up to `UNREAD_COUNT_MAX`."""
    user = viewer.require_user()
    # Read a little past the cap: a few of them may no longer be readable.
    rows = (
        await session.execute(
            _ROWS.where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .order_by(Notification.id.desc())
            .limit(UNREAD_COUNT_MAX * 2)
        )
    ).all()
    return min(UNREAD_COUNT_MAX, sum(1 for row in rows if _readable(viewer, row)))


async def list_notifications(
    session: AsyncSession,
    viewer: Viewer,
    *,
    order: str = "newest",
    limit: int | None = None,
    cursor: str | None = None,
) -> NotificationPageOut:
    user = viewer.require_user()
    if order not in ORDERS:
        raise BadRequest(f"order: one of {', '.join(ORDERS)}", field="order")
    limit = check_limit(limit)
    query = _ROWS.where(Notification.user_id == user.id)
    unread_key = Notification.read_at.is_(None)
    if order == "unread_first":
        position = decode_cursor(cursor, tuple[Literal[0, 1], Id])
        if position is not None:
            unread, last_id = position
            if unread:
                query = query.where(~unread_key | (Notification.id < last_id))
            else:
                query = query.where(~unread_key, Notification.id < last_id)
        query = query.order_by(unread_key.desc(), Notification.id.desc())
    else:
        position_id = decode_cursor(cursor, tuple[Id])
        if position_id is not None:
            query = query.where(Notification.id < position_id[0])
        query = query.order_by(Notification.id.desc())
    rows = (await session.execute(query.limit(limit + 1))).all()
    page = rows[:limit]
    nxt = None
    if len(rows) > limit:
        last = page[-1][0]
        nxt = encode_cursor([int(last.read_at is None), last.id] if order == "unread_first" else [last.id])
    items = [_out(row) for row in page if _readable(viewer, row)]
    return NotificationPageOut(items=items, next=nxt, unread=await unread_count(session, viewer))


async def get_notification(session: AsyncSession, viewer: Viewer, notification_id: int) -> NotificationOut:
    """One notification, if it is the viewer's and they may still read its subject: how a
    page checks a live `notification.created` before it shows anything of it."""
    user = viewer.require_user()
    row = (
        await session.execute(
            _ROWS.where(Notification.id == notification_id, Notification.user_id == user.id)
        )
    ).first()
    if row is None or not _readable(viewer, row):
        raise NotFound(f"no notification with id {notification_id}")
    return _out(row)


async def mark_read(session: AsyncSession, viewer: Viewer, notification_id: int) -> None:
    user = viewer.require_user()
    found = await session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    )
    if found is None:
        raise NotFound(f"no notification with id {notification_id}")
    if found.read_at is None:
        found.read_at = utcnow()
        # The user's other pages lower their badge.
        await streams.append(session, inbox_topic(user.id), READ, {"ids": [found.id]})


async def mark_all_read(session: AsyncSession, viewer: Viewer) -> int:
    user = viewer.require_user()
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    changed = result.rowcount or 0
    if changed:
        await streams.append(session, inbox_topic(user.id), READ, {"all": True})
    return changed
