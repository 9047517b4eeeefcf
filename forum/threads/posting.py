"""Posting: `create_posts`, the one place where the rules of a new post live. It stores
several posts in one transaction: the process's post writer (`forum.threads.writer`) hands
it what HTTP requests and sockets send meanwhile (group commit); `services.create_post`
(archives, demo) is a batch of one, and `services.open_thread` stores its first post
with the same `_store`.

Each draft follows the rules, in this order: the writer may write (signed in, not silenced); a repeated client_id returns the
first post (a Conflict if it was posted in another thread); the thread exists for the
writer; a locked thread takes its moderators' posts only; slow mode; `reply_to` names a
post of the thread the writer may see; the body holds no NUL. A post in a pre-moderated
space by an observer waits (pending): its event reaches others as a stub, and the
moderation queue announces it. One draft's refusal is its own answer: the others are
written.

What the batch shares: one read of earlier sends of the client_ids, one of the threads
with their spaces (locked on PostgreSQL until the commit, so that a thread can neither
move nor lock between this check and the write), one counter update for every thread,
one INSERT for every post, and one counter update and one INSERT for every event
(`streams.append_many`), and the `posts.written` hook once for the batch (forum.attention
writes every post's watchers' notifications in one statement and every read position in
one). Reply targets and slow mode cost a read only when a draft needs one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from forum import streams
from forum.accounts import handles
from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.lib import counters, hooks, markdown
from forum.lib.db import race_savepoint, utcnow
from forum.lib.errors import Conflict, Forbidden, ForumError, Invalid, NotFound, RateLimited
from forum.lib.raw_input import check_text
from forum.search import index as search_index
from forum.search.models import EntryKind
from forum.spaces.models import Space
from forum.spaces.policy import can_see_space
from forum.streams.models import Event
from forum.threads import counts, queue
from forum.threads.events import thread_topic
from forum.threads.lookup import VisibleThread
from forum.threads.models import Post, PostStatus, Thread
from forum.threads.policy import PUBLIC_STATUSES, can_see_post, can_see_thread, publishes_at_once
from forum.threads.schemas import post_data, post_stub


@dataclass(frozen=True)
class PostWritten:
    """What `create_posts` stored for a draft: the post, whether it is new (a repeated
    client_id returns the first one), and the seq of its `post.created` event when it is new."""

    post: Post
    created: bool
    seq: int | None


@dataclass(frozen=True)
class StoredPost:
    """A post just stored, with what the `posts.written` hook's handlers need of it."""

    post: Post
    thread: Thread
    space: Space
    author: User


def post_entry(post: Post) -> search_index.Entry:
    """What the search index keeps of a post (its current text; who may read it is decided
    when searching)."""
    return search_index.Entry(
        EntryKind.post, post.id, post.body, post.author_id, post.created_at, thread_id=post.thread_id
    )


@dataclass(frozen=True)
class PostDraft:
    """One post someone asks to add to a thread (see `create_posts`)."""

    viewer: Viewer
    thread_id: int
    body: str
    client_id: str | None = None
    reply_to: int | None = None
    # The record behind a post the service writes (an archive: see Post.archive).
    archive: dict[str, Any] | None = None


_posts = Post.__table__

# Posts stored before under the drafts' client_ids (pairs are matched in Python): one
# read per batch, and a Post is built only for a repeat.
_EARLIER_SENDS = select(Post).where(
    Post.author_id.in_(bindparam("author_ids", expanding=True)),
    Post.client_id.in_(bindparam("client_ids", expanding=True)),
)

# The threads written to, with their spaces. On PostgreSQL their rows stay locked until
# the commit (FOR NO KEY UPDATE, the lock the counter update takes anyway, taken in id
# order so that two batches never wait for each other in a cycle): the checks below hold
# at the write. SQLite serializes writers with BEGIN IMMEDIATE and ignores it.
_THREADS_WITH_SPACES = (
    select(Thread, Space)
    .join(Space, Space.id == Thread.space_id)
    .where(Thread.id.in_(bindparam("thread_ids", expanding=True)))
    .order_by(Thread.id)
    .with_for_update(of=Thread, key_share=True)
    # Read afresh also where the session holds the thread already: after a savepoint rolled
    # back a batch, its figures in the session are not those in the database.
    .execution_options(populate_existing=True)
)

# The author's latest post in a slow-mode thread.
_LAST_POST_AT = (
    select(_posts.c.created_at)
    .where(_posts.c.thread_id == bindparam("thread_id"), _posts.c.author_id == bindparam("author_id"))
    .order_by(_posts.c.number.desc())
    .limit(1)
)

# Every post in one statement; each id is matched to its row by (thread, number), which is
# unique (ordered RETURNING would cost SQLite one INSERT per row: see forum.streams.log).
_INSERT_POSTS = insert(_posts).returning(_posts.c.id, _posts.c.thread_id, _posts.c.number)


def _repeat(existing: Post, thread_id: int) -> PostWritten:
    """A client_id sent again: the stored post if it was posted in this thread."""
    if existing.thread_id != thread_id:
        raise Conflict("this client_id was already used for a post in another thread", field="client_id")
    return PostWritten(existing, False, None)


def _slow_mode_wait(thread: Thread, last: datetime | None, now: datetime) -> None:
    if last is None:
        return
    wait = (last + timedelta(seconds=thread.slow_mode_seconds) - now).total_seconds()
    if wait > 0:
        raise RateLimited(
            f"slow mode: one post every {thread.slow_mode_seconds} seconds in this thread",
            retry_after=int(wait) + 1,
        )


async def _threads_with_spaces(session: AsyncSession, thread_ids: list[int]) -> dict[int, VisibleThread]:
    """The threads (locked on PostgreSQL) with their spaces, by id; a missing id is no thread.

    A thread whose row lock this read waited for, while a move to another space committed,
    is left out by PostgreSQL (the join is checked again against the moved row, but with
    the old space's row): such ids are read once more, now after the move, so that the
    post is judged by the new space's rules. Only a read that finds fewer threads than
    asked for costs this second statement.
    """
    threads: dict[int, VisibleThread] = {}
    if not thread_ids:
        return threads
    for thread, space in (await session.execute(_THREADS_WITH_SPACES, {"thread_ids": thread_ids})).tuples():
        threads[thread.id] = VisibleThread(thread, space)
    missing = [t for t in thread_ids if t not in threads]
    if missing and session.get_bind().dialect.name == "postgresql":
        for thread, space in (await session.execute(_THREADS_WITH_SPACES, {"thread_ids": missing})).tuples():
            threads[thread.id] = VisibleThread(thread, space)
    return threads


async def create_posts(
    session: AsyncSession, drafts: list[PostDraft], *, own_transaction: bool = False
) -> list[PostWritten | ForumError]:
    """Store several posts in the caller's transaction; one result or error per draft, in order.

    A repeated client_id (stored before, or earlier in the same call) returns the first
    post, whatever has changed since. New posts are returned detached (not in the session),
    as if loaded and the session closed.

    A client_id can race in from another transaction between the read of earlier sends and
    the insert. A caller whose transaction holds other work gets a savepoint around the
    writes (`race_savepoint`), and the winner's post is read in the same transaction. A
    caller that owns the transaction (`own_transaction`: the post writer) saves those two
    statements on every batch: the IntegrityError reaches it, and it writes the batch again
    in a new transaction, whose read finds the winner (forum.threads.writer).
    """
    results: list[PostWritten | ForumError | None] = [None] * len(drafts)
    writers: dict[int, User] = {}
    for i, draft in enumerate(drafts):
        try:
            writers[i] = draft.viewer.require_can_write()
        except ForumError as exc:
            results[i] = exc
    if not writers:
        return _all_answered(results)

    user_ids = sorted({user.id for user in writers.values()})
    client_ids = sorted({drafts[i].client_id for i in writers if drafts[i].client_id is not None})
    earlier: dict[tuple[int, str], Post] = {}
    if client_ids:
        for post in await session.scalars(_EARLIER_SENDS, {"author_ids": user_ids, "client_ids": client_ids}):
            assert post.client_id is not None
            earlier[post.author_id, post.client_id] = post

    # Repeats need no thread: only the other drafts' threads are read (and locked).
    thread_ids = sorted(
        {
            drafts[i].thread_id
            for i, user in writers.items()
            if drafts[i].client_id is None or (user.id, drafts[i].client_id) not in earlier
        }
    )
    threads = await _threads_with_spaces(session, thread_ids)
    reply_ids = sorted({drafts[i].reply_to for i in writers if drafts[i].reply_to is not None})
    targets: dict[int, Post] = {}
    if reply_ids:
        targets = {
            post.id: post for post in await session.scalars(select(Post).where(Post.id.in_(reply_ids)))
        }

    now = utcnow()
    accepted: list[int] = []
    first_of: dict[tuple[int, str], int] = {}  # a client_id's first draft in this call
    repeats: dict[int, int] = {}  # a later draft -> that first draft
    # Slow mode: the latest post of (thread, author), read once, then this call's own.
    latest: dict[tuple[int, int], datetime | None] = {}
    for i, user in writers.items():
        draft = drafts[i]
        key = (user.id, draft.client_id) if draft.client_id is not None else None
        try:
            if key is not None and key in earlier:
                results[i] = _repeat(earlier[key], draft.thread_id)
                continue
            if key is not None and key in first_of:
                first = drafts[first_of[key]]
                if first.thread_id != draft.thread_id:
                    raise Conflict(
                        "this client_id was already used for a post in another thread", field="client_id"
                    )
                repeats[i] = first_of[key]
                continue
            found = threads.get(draft.thread_id)
            if (
                found is None
                or not can_see_space(draft.viewer, found.space)
                or not can_see_thread(draft.viewer, found.thread)
            ):
                raise NotFound(f"no thread with id {draft.thread_id}")
            thread, space = found.thread, found.space
            moderator = draft.viewer.moderates(space.id)
            if thread.locked and not moderator:
                raise Forbidden("this thread is locked: only its moderators may post")
            if thread.slow_mode_seconds and not moderator:
                pair = (thread.id, user.id)
                if pair not in latest:
                    latest[pair] = await session.scalar(
                        _LAST_POST_AT, {"thread_id": thread.id, "author_id": user.id}
                    )
                _slow_mode_wait(thread, latest[pair], now)
            if draft.reply_to is not None:
                target = targets.get(draft.reply_to)
                if (
                    target is None
                    or target.thread_id != thread.id
                    or not can_see_post(draft.viewer, target, space.id)
                ):
                    raise Invalid(f"reply_to: no post {draft.reply_to} in this thread", field="reply_to")
            check_text(draft.body, "body")
        except ForumError as exc:
            results[i] = exc
            continue
        accepted.append(i)
        if key is not None:
            first_of[key] = i
        if thread.slow_mode_seconds:
            latest[(thread.id, user.id)] = now

    if accepted:
        to_store = [(drafts[i], writers[i], threads[drafts[i].thread_id]) for i in accepted]
        if own_transaction:
            created = await _store(session, to_store, now)
        else:
            try:
                async with race_savepoint(session):
                    created = await _store(session, to_store, now)
            except IntegrityError as race:
                return await _after_a_race(session, drafts, writers, accepted, race)
        for i, written in zip(accepted, created, strict=True):
            results[i] = written
    for i, first in repeats.items():
        first_result = results[first]
        results[i] = (
            PostWritten(first_result.post, False, None)
            if isinstance(first_result, PostWritten)
            else first_result
        )
    return _all_answered(results)


async def _after_a_race(
    session: AsyncSession,
    drafts: list[PostDraft],
    writers: dict[int, User],
    accepted: list[int],
    race: IntegrityError,
) -> list[PostWritten | ForumError]:
    """The answers when a client_id raced in from another transaction after the read of
    earlier sends: the savepoint has undone this batch's writes."""
    if len(drafts) > 1:
        # Alone, each draft finds what is stored now.
        return [(await create_posts(session, [draft]))[0] for draft in drafts]
    (i,) = accepted
    draft = drafts[i]
    existing = (
        await session.scalar(
            select(Post).where(Post.author_id == writers[i].id, Post.client_id == draft.client_id)
        )
        if draft.client_id is not None
        else None
    )
    if existing is None:
        raise race
    try:
        return [_repeat(existing, draft.thread_id)]
    except ForumError as exc:
        return [exc]


async def store_opening_post(
    session: AsyncSession,
    viewer: Viewer,
    found: VisibleThread,
    body: str,
    client_id: str | None,
    *,
    archive: dict[str, Any] | None = None,
) -> PostWritten:
    """Post 1 of a thread `forum.threads.services.open_thread` has just added (and checked:
    the writer may write, the space is theirs to post in, the client_id is new), stored as
    every other post is (`_store`). A client_id that raced in from another transaction
    raises IntegrityError: the caller's savepoint undoes the thread with it."""
    user = viewer.require_can_write()
    check_text(body, "body")
    (written,) = await _store(
        session,
        [(PostDraft(viewer, found.thread.id, body, client_id, archive=archive), user, found)],
        utcnow(),
    )
    return written


def _all_answered(results: list[PostWritten | ForumError | None]) -> list[PostWritten | ForumError]:
    answered = [r for r in results if r is not None]
    assert len(answered) == len(results), "every draft gets a result or an error"
    return answered


async def _store(
    session: AsyncSession, accepted: list[tuple[PostDraft, User, VisibleThread]], now: datetime
) -> list[PostWritten]:
    """Number, insert and announce the accepted drafts, in order, in the open transaction."""
    statuses = [
        PostStatus.published.value
        if publishes_at_once(draft.viewer, found.space)
        else PostStatus.pending.value
        for draft, _, found in accepted
    ]
    thread_ids = [found.thread.id for _, _, found in accepted]
    added = Counter(thread_ids)
    restricted = Counter(
        t for t, status in zip(thread_ids, statuses, strict=True) if status not in PUBLIC_STATUSES
    )
    published = {t for t, status in zip(thread_ids, statuses, strict=True) if status in PUBLIC_STATUSES}
    by_id = {found.thread.id: found for _, _, found in accepted}
    statement, params = counts.new_posts_update(
        [
            # A pending post never moves the thread's latest activity (forum.threads.counts);
            # the row is locked (or the database is, on SQLite), so the value read is current.
            (t, added[t], restricted[t], now if t in published else by_id[t].thread.last_post_at)
            for t in sorted(added)
        ]
    )
    bumped = {
        thread_id: (post_count, restricted_count)
        for thread_id, post_count, restricted_count in await session.execute(statement, params)
    }
    numbers = counters.numbers_in_order(thread_ids, {t: figures[0] for t, figures in bumped.items()})
    # The threads this session holds keep their figures as stored.
    for thread_id, (post_count, restricted_count) in bumped.items():
        thread = by_id[thread_id].thread
        set_committed_value(thread, "post_count", post_count)
        set_committed_value(thread, "restricted_count", restricted_count)
        if thread_id in published:
            set_committed_value(thread, "last_post_at", now)

    # `@handle`s of existing users become mention links: one lookup for the whole batch.
    candidates = set().union(*(markdown.mention_candidates(draft.body) for draft, _, _ in accepted))
    mentionable = (await handles.ids_of(session, candidates)).keys() if candidates else ()
    rows = []
    for (draft, user, found), number, status in zip(accepted, numbers, statuses, strict=True):
        rows.append(
            {
                "thread_id": found.thread.id,
                "number": number,
                "author_id": user.id,
                "body": draft.body,
                "html": markdown.render(draft.body, mentionable),
                "status": status,
                "reply_to": draft.reply_to,
                "client_id": draft.client_id,
                "moderation_reason": None,
                "created_at": now,
                "edited_at": None,
                "archive": draft.archive,
                "rejected": False,
            }
        )
    ids = {
        (thread_id, number): post_id
        for post_id, thread_id, number in await session.execute(_INSERT_POSTS, rows)
    }
    posts = []
    for values in rows:
        post = Post(id=ids[values["thread_id"], values["number"]], **values)
        make_transient_to_detached(post)
        posts.append(post)
    await search_index.put_many(session, [post_entry(post) for post in posts])  # search: the new texts

    # Each post's `post.created` (a pending one to others as a stub, as `announce_post`
    # makes it) and, for a pending one, the moderation queue's item, in the drafts' order.
    event_drafts: list[streams.EventDraft] = []
    own_event: list[int] = []  # where each post's `post.created` is in event_drafts
    for post, (_, user, found) in zip(posts, accepted, strict=True):
        visible_to_all = post.status in PUBLIC_STATUSES
        own_event.append(len(event_drafts))
        event_drafts.append(
            streams.EventDraft(
                thread_topic(post.thread_id),
                "post.created",
                post_data(post, user),
                owner_id=post.author_id,
                space_id=found.space.id,
                public_type=None if visible_to_all else "post.hidden",
                public_data=None if visible_to_all else post_stub(post),
            )
        )
        if not visible_to_all:
            event_drafts.append(
                queue.waiting_event(queue.pending_item(post, user, found.thread, found.space), found.space.id)
            )
    events: list[Event] = await streams.append_many(session, event_drafts)
    # The pending posts wait in the moderation queue (its entries, forum.threads.queue).
    waiting = [post.id for post in posts if post.status == PostStatus.pending.value]
    if waiting:
        await queue.refresh(session, *waiting)
    # Notifications, watching and read state (forum.attention), then mail (forum.mail):
    # once for the whole batch.
    await hooks.run(
        hooks.POSTS_WRITTEN,
        session,
        posts=[
            StoredPost(post, found.thread, found.space, user)
            for post, (_, user, found) in zip(posts, accepted, strict=True)
        ],
    )
    return [PostWritten(post, True, events[at].seq) for post, at in zip(posts, own_event, strict=True)]
