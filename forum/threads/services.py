"""Every write on threads and posts, in the caller's transaction, for HTTP and the websocket
alike: opening a thread, posting (idempotent by client_id, pre-moderated where the space
says so), editing, deleting, and the moderators' changes to a thread."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts import handles
from forum.accounts.viewer import Viewer
from forum.lib import markdown
from forum.lib.db import race_savepoint, utcnow
from forum.lib.errors import Conflict, Forbidden, ForumError, Invalid, NotFound
from forum.lib.raw_input import check_text
from forum.search import index as search_index
from forum.search.models import EntryKind
from forum.spaces import services as spaces
from forum.streams import signals
from forum.threads import counts, posting, queue
from forum.threads.events import announce_post, announce_thread, move_events, thread_topic
from forum.threads.lookup import VisibleThread, get_thread, get_visible_post
from forum.threads.models import Post, PostRevision, PostStatus, Thread
from forum.threads.policy import (
    can_edit_post,
    publishes_at_once,
)
from forum.threads.posting import PostDraft, PostWritten, post_entry
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
    """Store a post in the caller's transaction: a batch of one of `posting.create_posts`,
    where the rules of a new post live (one write path for HTTP, the socket, the archives
    and the demo). A repeated client_id returns the first post; a refusal is raised. The
    new post is returned detached from the session.

    `archive` is the record behind a post the service writes (see Post.archive)."""
    (result,) = await posting.create_posts(
        session,
        [PostDraft(viewer, thread_id, body, client_id=client_id, reply_to=reply_to, archive=archive)],
    )
    if isinstance(result, ForumError):
        raise result
    return result


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
            written = await posting.store_opening_post(
                session, viewer, VisibleThread(thread, space), data.body, data.client_id, archive=archive
            )
    except IntegrityError:
        # The same client_id raced in from another transaction: the savepoint dropped this
        # thread; the one opened first is the answer.
        found = await _thread_of_client_id(session, viewer, data.client_id) if data.client_id else None
        if found is None:
            raise
        return found[0], found[1], False
    await session.refresh(thread)
    return thread, written.post, True


def thread_entry(thread: Thread) -> search_index.Entry:
    """What the search index keeps of a thread: its title."""
    return search_index.Entry(
        EntryKind.thread, thread.id, thread.title, thread.author_id, thread.created_at, thread_id=thread.id
    )


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
