"""The moderation queue: posts waiting for a moderator (pending, or flagged), and the
events of the `moderation` topic that announce them.

It lives with what it lists, below moderation: a post that starts waiting is announced by
the thread services that write it, and moderators' actions (`forum.moderation.posts`)
announce what they resolved. Every event is restricted to the moderators of its
`space_id`; everyone else subscribed gets `moderation.elsewhere` with no data.

What waits is kept in `queue_entries` (QueueEntry): each writer that changes a post's
status or its open flags calls `refresh` in its transaction, and a thread's move carries
its entries to the new space (`move_items`). A page is then a range of that table's
indexes, of about a page of rows whatever the size of the forum."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

import msgspec
from sqlalchemy import delete, false, func, insert, literal, or_, select, tuple_, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from forum import streams
from forum.accounts.models import User
from forum.accounts.schemas import author_out, iso
from forum.spaces.models import Space
from forum.streams.models import Event
from forum.threads.models import Flag, Post, PostStatus, QueueEntry, Thread
from forum.threads.schemas import FlagOut, QueueItemOut, ThreadRef, post_out

# The one topic of the queue.
MODERATION_TOPIC = "moderation"
# What someone subscribed who does not moderate the event's space gets instead.
ELSEWHERE = "moderation.elsewhere"


# --- the queue ----------------------------------------------------------------------------


# A moderator of more spaces than this reads each kind as one filtered range instead of one
# range per space (a compound SELECT has a bounded number of members on SQLite).
MAX_SPACE_RANGES = 50


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

    Read from `queue_entries`, which `refresh` keeps true: one range of
    ix_queue_entries_space_kind_since per space and kind (of ix_queue_entries_kind_since per
    kind for a global moderator), each past the cursor, in its order and under the limit.
    A page then reads about `limit` rows per range, at the end of a long queue as at its
    start and however many posts the forum holds.
    """
    kinds = [k for k in ("pending", "flagged") if kind in (None, k)]
    spaces: list[int | None]
    if space_id is not None:
        spaces = [space_id] if space_ids is None or space_id in space_ids else []
    elif space_ids is not None:
        spaces = sorted(space_ids)
    else:
        spaces = [None]
    many = len(spaces) > MAX_SPACE_RANGES
    parts = []
    for s in [None] if many else spaces:
        for k in kinds:
            part = select(QueueEntry.post_id, QueueEntry.since).where(QueueEntry.kind == k)
            if many:
                part = part.where(QueueEntry.space_id.in_(spaces))
            elif s is not None:
                part = part.where(QueueEntry.space_id == s)
            if post_id is not None:
                part = part.where(QueueEntry.post_id == post_id)
            if after is not None:
                part = part.where(
                    tuple_(QueueEntry.since, QueueEntry.post_id)
                    > tuple_(
                        literal(after[0], QueueEntry.since.type), literal(after[1], QueueEntry.post_id.type)
                    )
                )
            part = part.order_by(QueueEntry.since, QueueEntry.post_id)
            if limit is not None:
                part = part.limit(limit)
            # A compound SELECT may not order its members itself: each is wrapped.
            parts.append(part.subquery().select())
    if not parts:  # a space outside the ones the viewer moderates
        parts.append(select(QueueEntry.post_id, QueueEntry.since).where(false()))
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()


def computed_entries(post_ids: list[int] | None = None):
    """What `queue_entries` must hold, computed from the posts, their open flags and their
    threads (for `post_ids`, or for every post): columns post_id, space_id, kind, since.

    A pending post waits since it was written; a flagged one since its oldest open flag. A
    pending post's flags come after it, so it waits as pending; a deleted post never waits."""
    pending = (
        select(Post.id, Thread.space_id, literal("pending"), Post.created_at)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.status == PostStatus.pending.value)
    )
    flagged = (
        select(Post.id, Thread.space_id, literal("flagged"), func.min(Flag.created_at))
        .select_from(Flag)
        .join(Post, Post.id == Flag.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Flag.resolved_at.is_(None),
            Post.status.not_in([PostStatus.pending.value, PostStatus.deleted.value]),
        )
        .group_by(Post.id, Thread.space_id)
    )
    if post_ids is not None:
        pending = pending.where(Post.id.in_(post_ids))
        flagged = flagged.where(Post.id.in_(post_ids))
    return union_all(pending, flagged)


ENTRY_COLUMNS = ["post_id", "space_id", "kind", "since"]


async def refresh(session: AsyncSession, *post_ids: int) -> None:
    """Make the queue's entries of these posts true again, in the writer's transaction:
    called wherever a post's status or its open flags change."""
    await session.flush()
    ids = list(post_ids)
    # Two writers of one post (two people flagging it at once) take turns here: the second
    # waits for the first to commit, then reads its flags and replaces its entry, instead of
    # computing from an older snapshot and colliding on the entry's unique post_id.
    # (PostgreSQL; SQLite has one writer at a time and leaves FOR UPDATE out.)
    await session.execute(select(Post.id).where(Post.id.in_(ids)).with_for_update())
    await session.execute(
        delete(QueueEntry).where(QueueEntry.post_id.in_(ids)).execution_options(synchronize_session=False)
    )
    await session.execute(insert(QueueEntry).from_select(ENTRY_COLUMNS, computed_entries(ids)))


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
                space_title=space.title,
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
        space_title=space.title,
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
        update(QueueEntry)
        .where(QueueEntry.post_id.in_(select(Post.id).where(Post.thread_id == thread_id)))
        .values(space_id=space_id)
        .execution_options(synchronize_session=False)
    )
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
