"""The moderation queue: posts waiting for a moderator (pending, or flagged), and the
events of the `moderation` topic that announce them.

It lives with what it lists, below moderation: a post that starts waiting is announced by
the thread services that write it, and moderators' actions (`forum.moderation.posts`)
announce what they resolved. Every event is restricted to the moderators of its
`space_id`; everyone else subscribed gets `moderation.elsewhere` with no data."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

import msgspec
from sqlalchemy import and_, func, literal, or_, select, tuple_, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from forum import streams
from forum.accounts.models import User
from forum.accounts.schemas import author_out, iso
from forum.spaces.models import Space
from forum.streams.models import Event
from forum.threads.models import Flag, Post, PostStatus, Thread
from forum.threads.schemas import FlagOut, QueueItemOut, ThreadRef, post_out

# The one topic of the queue.
MODERATION_TOPIC = "moderation"
# What someone subscribed who does not moderate the event's space gets instead.
ELSEWHERE = "moderation.elsewhere"


# --- the queue ----------------------------------------------------------------------------


def waiting_posts(
    *,
    space_ids: frozenset[int] | None = None,
    space_id: int | None = None,
    post_id: int | None = None,
    kind: str | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
):
    """Posts waiting for a moderator, with the time they started waiting, from `after` on.

    A pending post waits since it was written; a flagged one since its oldest open flag.
    The two are read apart, each in its order and under the limit: pending posts as a range
    of ix_posts_status_created past the cursor, flagged ones from the open flags
    (ix_flags_open). A pending post's flags come after it, so it waits since it was written
    and is left to the first part. A page then costs the same at the end of a long queue as
    at its start, instead of gathering and sorting everything that waits for every page.
    """
    parts = []
    if kind != "flagged":
        pending = select(Post.id.label("post_id"), Post.created_at.label("since")).where(
            Post.status == PostStatus.pending.value
        )
        if after is not None:
            pending = pending.where(
                tuple_(Post.created_at, Post.id)
                > tuple_(literal(after[0], Post.created_at.type), literal(after[1], Post.id.type))
            )
        parts.append(pending.order_by(Post.created_at, Post.id))
    if kind != "pending":
        since = func.min(Flag.created_at)
        flagged = (
            select(Flag.post_id.label("post_id"), since.label("since"))
            .join(Post, Post.id == Flag.post_id)
            .where(
                Flag.resolved_at.is_(None),
                Post.status.not_in([PostStatus.pending.value, PostStatus.deleted.value]),
            )
            .group_by(Flag.post_id)
        )
        if after is not None:
            flagged = flagged.having(or_(since > after[0], and_(since == after[0], Flag.post_id > after[1])))
        parts.append(flagged.order_by(since, Flag.post_id))
    for i, part in enumerate(parts):
        if space_ids is not None or space_id is not None:
            part = part.join(Thread, Thread.id == Post.thread_id)
            if space_ids is not None:
                part = part.where(Thread.space_id.in_(space_ids))
            if space_id is not None:
                part = part.where(Thread.space_id == space_id)
        if post_id is not None:
            part = part.where(Post.id == post_id)
        if limit is not None:
            part = part.limit(limit)
        # A compound SELECT may not order its members itself: each is wrapped.
        parts[i] = part.subquery().select()
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()


async def queue_items(
    session: AsyncSession,
    *,
    space_ids: frozenset[int] | None = None,
    space_id: int | None = None,
    post_id: int | None = None,
    kind: str | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> list[QueueItemOut]:
    waiting = waiting_posts(
        space_ids=space_ids, space_id=space_id, post_id=post_id, kind=kind, after=after, limit=limit
    )
    query = (
        select(Post, User, Thread, Space, waiting.c.since)
        .join(waiting, waiting.c.post_id == Post.id)
        .join(User, User.id == Post.author_id)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Space, Space.id == Thread.space_id)
        .order_by(waiting.c.since, Post.id)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = (await session.execute(query)).all()
    flags: dict[int, list[FlagOut]] = defaultdict(list)
    if rows:
        flag_rows = await session.execute(
            select(Flag, User)
            .join(User, User.id == Flag.user_id)
            .where(Flag.post_id.in_([row[0].id for row in rows]), Flag.resolved_at.is_(None))
            .order_by(Flag.id)
        )
        for flag, flagger in flag_rows:
            flags[flag.post_id].append(flag_out(flag, flagger))
    items = []
    for post, author, thread, space, since in rows:
        gathered = flags[post.id]
        items.append(
            QueueItemOut(
                kind="pending" if post.status == PostStatus.pending.value else "flagged",
                post=post_out(post, author),
                thread=ThreadRef(id=thread.id, title=thread.title),
                space=space.slug,
                since=iso(since) or "",
                flag_count=len(gathered),
                reasons=dict(Counter(f.reason for f in gathered)),
                flags=gathered,
            )
        )
    return items


async def announce_waiting(session: AsyncSession, post: Post, space_id: int) -> None:
    """Tell the space's moderators, live, that a post waits (pending, or newly flagged)."""
    items = await queue_items(session, post_id=post.id)
    if not items:
        return
    await streams.append_many(session, [waiting_event(items[0], space_id)])


def waiting_event(item: QueueItemOut, space_id: int) -> streams.EventDraft:
    """The `moderation.item` event of a waiting post: in full to the space's moderators."""
    return streams.EventDraft(
        MODERATION_TOPIC,
        "moderation.item",
        msgspec.to_builtins(item),
        space_id=space_id,
        public_type=ELSEWHERE,
        public_data={},
    )


def pending_item(post: Post, author: User, thread: Thread, space: Space) -> QueueItemOut:
    """The queue's item of a post just written as pending, as `queue_items` would read it
    back (no flag yet, waiting since it was written), without reading it back."""
    return QueueItemOut(
        kind="pending",
        post=post_out(post, author),
        thread=ThreadRef(id=thread.id, title=thread.title),
        space=space.slug,
        since=iso(post.created_at) or "",
        flag_count=0,
        reasons={},
        flags=[],
    )


async def announce_resolved(
    session: AsyncSession, post: Post, space: Space, action: str, actor: User
) -> None:
    """Tell the space's moderators that a waiting post was dealt with."""
    await streams.append(
        session,
        MODERATION_TOPIC,
        "moderation.resolved",
        {
            "post_id": post.id,
            "space": space.slug,
            "action": action,
            "status": post.status,
            "by": actor.id,
        },
        space_id=space.id,
        public_type=ELSEWHERE,
        public_data={},
    )


async def move_items(session: AsyncSession, thread_id: int, space_id: int) -> None:
    """The thread moved to `space_id`: the queue's events about its posts now go in full to
    that space's moderators (the queue lists them there), no longer to the old space's."""
    await session.execute(
        update(Event)
        .where(
            Event.topic == MODERATION_TOPIC,
            or_(
                Event.data[("thread", "id")].as_integer() == thread_id,
                Event.data["post_id"].as_integer().in_(select(Post.id).where(Post.thread_id == thread_id)),
            ),
        )
        .values(space_id=space_id)
        .execution_options(synchronize_session=False)
    )


def flag_out(flag: Flag, user: User) -> FlagOut:
    return FlagOut(
        id=flag.id,
        post_id=flag.post_id,
        reason=flag.reason,
        note=flag.note,
        user=author_out(user),
        created_at=iso(flag.created_at) or "",
    )
