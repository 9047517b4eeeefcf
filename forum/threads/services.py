"""Every write on threads and posts, in the caller's transaction, for HTTP and the websocket
alike: opening a thread, posting (idempotent by client_id, pre-moderated where the space
says so), editing, deleting, and the moderators' changes to a thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from msgspec import UNSET
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from forum import audit
from forum.accounts import handles
from forum.accounts.viewer import Viewer
from forum.lib import hooks, markdown
from forum.lib.db import race_savepoint, utcnow
from forum.lib.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from forum.lib.raw_input import check_text
from forum.search import index as search_index
from forum.search.models import EntryKind
from forum.spaces import services as spaces
from forum.streams import signals
from forum.threads import counts, queue
from forum.threads.events import announce_post, announce_thread, move_events, thread_topic
from forum.threads.lookup import VisibleThread, get_thread, get_visible_post
from forum.threads.models import Post, PostRevision, PostStatus, Thread
from forum.threads.policy import (
    can_edit_post,
    can_see_post,
    publishes_at_once,
)
from forum.threads.schemas import (
    ThreadIn,
    ThreadPatchIn,
)


async def _existing_by_client_id(session: AsyncSession, author_id: int, client_id: str) -> Post | None:
    return await session.scalar(select(Post).where(Post.author_id == author_id, Post.client_id == client_id))


async def render_body(session: AsyncSession, body: str) -> str:
    """A post's HTML, its `@handle`s of existing users made mention links (one query, only
    when the text has an @ at all)."""
    candidates = markdown.mention_candidates(body)
    known = await handles.ids_of(session, candidates) if candidates else {}
    return markdown.render(body, known.keys())


@dataclass(frozen=True)
class PostWritten:
    """What `create_post` stored: the post, whether it is new (a repeated client_id returns
    the first one), and the seq of its `post.created` event when it is new."""

    post: Post
    created: bool
    seq: int | None


async def create_post(
    session: AsyncSession,
    viewer: Viewer,
    thread_id: int,
    body: str,
    *,
    reply_to: int | None = None,
    client_id: str | None = None,
    archive: dict[str, Any] | None = None,
) -> PostWritten:
    """Store a post in the caller's transaction. A repeated client_id returns the first post.

    `archive` is the record behind a post the service writes (see Post.archive)."""
    user = viewer.require_can_write()
    if client_id is not None:
        existing = await _existing_by_client_id(session, user.id, client_id)
        if existing is not None:
            if existing.thread_id != thread_id:
                raise Conflict(
                    "this client_id was already used for a post in another thread", field="client_id"
                )
            return PostWritten(existing, False, None)
    found = await get_thread(session, viewer, thread_id)
    thread, space = found.thread, found.space
    moderator = viewer.moderates(space.id)
    if thread.locked and not moderator:
        raise Forbidden("this thread is locked: only its moderators may post")
    if thread.slow_mode_seconds and not moderator:
        last = await session.scalar(
            select(Post.created_at)
            .where(Post.thread_id == thread.id, Post.author_id == user.id)
            .order_by(Post.number.desc())
            .limit(1)
        )
        if last is not None:
            wait = (last + timedelta(seconds=thread.slow_mode_seconds) - utcnow()).total_seconds()
            if wait > 0:
                raise RateLimited(
                    f"slow mode: one post every {thread.slow_mode_seconds} seconds in this thread",
                    retry_after=int(wait) + 1,
                )
    if reply_to is not None:
        target = await session.get(Post, reply_to)
        if target is None or target.thread_id != thread.id or not can_see_post(viewer, target, space.id):
            raise Invalid(f"reply_to: no post {reply_to} in this thread", field="reply_to")
    return await _insert_post(
        session, viewer, found, body, reply_to=reply_to, client_id=client_id, archive=archive
    )


async def _insert_post(
    session: AsyncSession,
    viewer: Viewer,
    found: VisibleThread,
    body: str,
    *,
    reply_to: int | None,
    client_id: str | None,
    archive: dict[str, Any] | None = None,
) -> PostWritten:
    user = viewer.require_user()
    check_text(body, "body")
    status = (
        PostStatus.published.value if publishes_at_once(viewer, found.space) else PostStatus.pending.value
    )
    now = utcnow()
    values: dict = {"post_count": Thread.post_count + 1}
    if status == PostStatus.published.value:
        values["last_post_at"] = now
    else:  # a pending post: only its author and the moderators count it (forum.threads.counts)
        values["restricted_count"] = Thread.restricted_count + 1
    try:
        async with race_savepoint(session):
            number, restricted, space_id = (
                await session.execute(
                    update(Thread)
                    .where(Thread.id == found.thread.id)
                    .values(**values)
                    .returning(Thread.post_count, Thread.restricted_count, Thread.space_id)
                    .execution_options(synchronize_session=False)
                )
            ).one()
            if space_id != found.space.id:
                # The thread moved after it was read (this update waited for the move's row
                # lock, on PostgreSQL): the rules checked were the old space's, and the
                # event would name it. Nothing is written; the client tries again.
                raise Conflict("this thread was just moved to another space: post again")
            post = Post(
                thread_id=found.thread.id,
                number=number,
                author_id=user.id,
                body=body,
                html=await render_body(session, body),
                status=status,
                reply_to=reply_to,
                client_id=client_id,
                created_at=now,
                archive=archive,
            )
            session.add(post)
            await session.flush()
    except IntegrityError:
        # The same client_id raced in from another transaction: return the stored post.
        existing = await _existing_by_client_id(session, user.id, client_id) if client_id else None
        if existing is None:
            raise
        return PostWritten(existing, False, None)
    # The thread's counters changed in the database, not in the object the caller holds.
    set_committed_value(found.thread, "post_count", number)
    set_committed_value(found.thread, "restricted_count", restricted)
    if status == PostStatus.published.value:
        set_committed_value(found.thread, "last_post_at", now)
    await search_index.put(session, post_entry(post))  # search: the new text, in this transaction
    event = await announce_post(session, "post.created", post, found.space.id, author=user)
    if status == PostStatus.pending.value:
        await queue.refresh(session, post.id)
        await queue.announce_waiting(session, post, found.space.id)
    # Notifications, watching and read state (forum.attention), in this transaction. A
    # writer that stores posts another way makes this same call for each post it stores.
    await hooks.run(
        hooks.POST_WRITTEN, session, post=post, thread=found.thread, space=found.space, author=user
    )
    return PostWritten(post, True, event.seq)


async def _thread_of_client_id(
    session: AsyncSession, viewer: Viewer, client_id: str
) -> tuple[Thread, Post] | None:
    """The thread this author already opened with `client_id`, if any."""
    user = viewer.require_user()
    existing = await _existing_by_client_id(session, user.id, client_id)
    if existing is None:
        return None
    if existing.number != 1:
        raise Conflict("client_id: already used for a post in a thread", field="client_id")
    thread = await session.get(Thread, existing.thread_id)
    assert thread is not None
    return thread, existing


async def open_thread(
    session: AsyncSession, viewer: Viewer, slug: str, data: ThreadIn, *, archive: dict[str, Any] | None = None
) -> tuple[Thread, Post, bool]:
    """Open a thread whose body is post 1; returns (thread, post, created).

    `archive` is the record behind post 1 when the service writes it (see Post.archive).

    A repeated `client_id` from the same author returns the thread it opened first.
    """
    user = viewer.require_can_write()
    space = await spaces.get_space(session, viewer, slug)
    if data.client_id is not None and (found := await _thread_of_client_id(session, viewer, data.client_id)):
        if found[0].space_id != space.id:
            raise Conflict("client_id: already used for a thread in another space", field="client_id")
        return found[0], found[1], False
    check_text(data.title, "title")
    check_text(data.body, "body")
    pending = not publishes_at_once(viewer, space)
    try:
        async with race_savepoint(session):
            thread = Thread(
                space_id=space.id,
                title=data.title.strip(),
                author_id=user.id,
                status="pending" if pending else "published",
            )
            session.add(thread)
            await session.flush()
            await search_index.put(session, thread_entry(thread))  # search: the title
            written = await _insert_post(
                session,
                viewer,
                VisibleThread(thread, space),
                data.body,
                reply_to=None,
                client_id=data.client_id,
                archive=archive,
            )
            if not written.created:
                # The same client_id raced in from another transaction: drop this thread.
                raise _LostRace
    except _LostRace:
        assert data.client_id is not None
        found = await _thread_of_client_id(session, viewer, data.client_id)
        assert found is not None
        return found[0], found[1], False
    await session.refresh(thread)
    return thread, written.post, True


def post_entry(post: Post) -> search_index.Entry:
    """What the search index keeps of a post (its current text; who may read it is decided
    when searching)."""
    return search_index.Entry(
        EntryKind.post, post.id, post.body, post.author_id, post.created_at, thread_id=post.thread_id
    )


def thread_entry(thread: Thread) -> search_index.Entry:
    """What the search index keeps of a thread: its title."""
    return search_index.Entry(
        EntryKind.thread, thread.id, thread.title, thread.author_id, thread.created_at, thread_id=thread.id
    )


class _LostRace(Exception):
    """Unwinds `open_thread`'s savepoint when its first post lost a client_id race."""


async def edit_post(session: AsyncSession, viewer: Viewer, post_id: int, body: str) -> Post:
    actor = viewer.require_can_write()
    post, found = await get_visible_post(session, viewer, post_id)
    if not can_edit_post(viewer, post, found.space.id):
        raise Forbidden("only the author or a moderator of this space may edit this post")
    if post.status == PostStatus.deleted.value:
        raise Conflict("this post was deleted and cannot be edited")
    if found.thread.locked and not viewer.moderates(found.space.id):
        raise Forbidden("this thread is locked: only its moderators may edit posts in it")
    check_text(body, "body")
    if body == post.body:
        return post
    now = utcnow()
    # A revision keeps the text this edit replaced, with who replaced it, when, and the
    # status it was read under (pending and hidden texts stay private once published).
    session.add(
        PostRevision(post_id=post.id, body=post.body, edited_at=now, editor_id=actor.id, status=post.status)
    )
    post.body = body
    post.html = await render_body(session, body)
    post.edited_at = now
    post.archive = None  # the record no longer says what the text says
    await search_index.put(session, post_entry(post))  # search: the new text replaces the old
    if actor.id != post.author_id:
        await audit.record(
            session,
            actor_id=actor.id,
            action="post.edit",
            target_type="post",
            target_id=post.id,
            space_id=found.space.id,
        )
    await announce_post(session, "post.updated", post, found.space.id)
    return post


async def delete_post(session: AsyncSession, viewer: Viewer, post_id: int) -> None:
    actor = viewer.require_user()
    post, found = await get_visible_post(session, viewer, post_id)
    if not can_edit_post(viewer, post, found.space.id):
        raise Forbidden("only the author or a moderator of this space may delete this post")
    if post.status == PostStatus.deleted.value:
        return
    before = {"status": post.status}
    post.status = PostStatus.deleted.value
    await counts.status_changed(session, found.thread, post, before["status"])
    # The text is gone from every read, revisions included.
    post.body = ""
    post.html = ""
    await session.execute(delete(PostRevision).where(PostRevision.post_id == post.id))
    await search_index.remove(session, EntryKind.post, post.id)  # search: the text is gone
    # A deleted post waits for no one (it may have been pending, or flagged).
    await queue.refresh(session, post.id)
    if actor.id != post.author_id:
        await audit.record(
            session,
            actor_id=actor.id,
            action="post.delete",
            target_type="post",
            target_id=post.id,
            space_id=found.space.id,
            before=before,
            after={"status": post.status},
        )
    await announce_post(session, "post.deleted", post, found.space.id)


async def update_thread(
    session: AsyncSession, viewer: Viewer, thread_id: int, patch: ThreadPatchIn
) -> VisibleThread:
    """Rename, pin, lock, set slow mode or move a thread: moderators of its space (and of the target)."""
    actor = viewer.require_user()
    found = await get_thread(session, viewer, thread_id)
    thread = found.thread
    if not viewer.moderates(found.space.id):
        raise Forbidden("only a moderator of this space may change this thread")
    changes: list[tuple[str, dict, dict]] = []
    if patch.title is not UNSET:
        check_text(patch.title, "title")
    if patch.title is not UNSET and patch.title.strip() != thread.title:
        changes.append(("thread.rename", {"title": thread.title}, {"title": patch.title.strip()}))
        thread.title = patch.title.strip()
        await search_index.put(session, thread_entry(thread))  # search: the new title
    if patch.pinned is not UNSET and patch.pinned != thread.pinned:
        changes.append(
            (
                "thread.pin" if patch.pinned else "thread.unpin",
                {"pinned": thread.pinned},
                {"pinned": patch.pinned},
            )
        )
        thread.pinned = patch.pinned
    if patch.locked is not UNSET and patch.locked != thread.locked:
        changes.append(
            (
                "thread.lock" if patch.locked else "thread.unlock",
                {"locked": thread.locked},
                {"locked": patch.locked},
            )
        )
        thread.locked = patch.locked
    if patch.slow_mode_seconds is not UNSET and patch.slow_mode_seconds != thread.slow_mode_seconds:
        changes.append(
            (
                "thread.slow_mode",
                {"slow_mode_seconds": thread.slow_mode_seconds},
                {"slow_mode_seconds": patch.slow_mode_seconds},
            )
        )
        thread.slow_mode_seconds = patch.slow_mode_seconds
    if patch.space is not UNSET and patch.space != found.space.slug:
        try:
            target = await spaces.get_space(session, viewer, patch.space)
        except NotFound:
            raise Invalid(f"space: no space {patch.space!r}", field="space") from None
        if not viewer.moderates(target.id):
            raise Forbidden("moving a thread needs moderating both spaces")
        changes.append(("thread.move", {"space": found.space.slug}, {"space": target.slug}))
        thread.space_id = target.id
        found = VisibleThread(thread, target)
        await move_events(session, thread.id, target.id)
        await queue.move_items(session, thread.id, target.id)
        # Who may read the thread changed: every process checks its sockets on it before
        # delivering anything more (the signal goes out first, after the commit).
        signals.access_changed(session, topics=[thread_topic(thread.id)])
    for action, before, after in changes:
        await audit.record(
            session,
            actor_id=actor.id,
            action=action,
            target_type="thread",
            target_id=thread.id,
            space_id=found.space.id,
            reason=patch.reason,
            before=before,
            after=after,
        )
    if changes:
        await announce_thread(session, found)
    return found
