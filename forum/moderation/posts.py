"""Moderators' actions on posts and table messages, and the flags anyone raises."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.cafes import messages
from forum.cafes.schemas import MessageOut, message_out
from forum.lib import hooks, markdown
from forum.lib.db import utcnow
from forum.lib.errors import Conflict, Invalid
from forum.moderation import access, policy
from forum.moderation.schemas import FlagIn
from forum.search import index as search_index
from forum.spaces.models import SpaceModerator
from forum.threads import counts, events, lookup, queue
from forum.threads.models import Flag, FlagReason, Post, PostRevision, PostStatus
from forum.threads.schemas import FlagOut
from forum.threads.services import post_entry

# --- acting on posts ----------------------------------------------------------------------


async def _open_flag_count(session: AsyncSession, post_id: int) -> int:
    return (
        await session.scalar(
            select(func.count(func.distinct(Flag.user_id))).where(
                Flag.post_id == post_id, Flag.resolved_at.is_(None)
            )
        )
        or 0
    )


async def _resolve_flags(session: AsyncSession, post_id: int, actor_id: int) -> int:
    result = await session.execute(
        update(Flag)
        .where(Flag.post_id == post_id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by=actor_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _state(post: Post) -> dict[str, Any]:
    return {"status": post.status, "moderation_reason": post.moderation_reason}


async def _settle(
    session: AsyncSession,
    actor: User,
    post: Post,
    found: lookup.VisibleThread,
    *,
    action: str,
    status: str,
    reason: str | None,
    extra_after: dict[str, Any] | None = None,
    publish_thread: bool = False,
) -> Post:
    """Give the post its new status, close its flags, log it once, announce it.

    With `publish_thread` (the thread's status was just set to published with its first
    post), `thread.updated` goes out first, with the thread's figures after the change.
    """
    was_waiting = post.status == PostStatus.pending.value or await _open_flag_count(session, post.id) > 0
    before = _state(post)
    post.status = status
    post.moderation_reason = reason if status == PostStatus.hidden.value else None
    post.rejected = action == "reject"
    await counts.status_changed(session, found.thread, post, before["status"])
    if publish_thread:
        await events.announce_thread(session, found)
    resolved = await _resolve_flags(session, post.id, actor.id)
    await queue.refresh(session, post.id)
    after = _state(post) | {"flags_resolved": resolved} | (extra_after or {})
    await audit.record(
        session,
        actor_id=actor.id,
        action=f"post.{action}",
        target_type="post",
        target_id=post.id,
        space_id=found.space.id,
        reason=reason,
        before=before,
        after=after,
    )
    await events.announce_post(
        session, "post.hidden" if status == PostStatus.hidden.value else "post.updated", post, found.space.id
    )
    if was_waiting:
        await queue.announce_resolved(session, post, found.space, action, actor)
    return post


async def approve_post(session: AsyncSession, viewer: Viewer, post_id: int, body: str | None = None) -> Post:
    """Publish a pending post, optionally correcting its text (the original stays as a revision)."""
    actor, post, found = await access.moderated_post(session, viewer, post_id)
    if post.status != PostStatus.pending.value:
        raise Conflict(f"only a pending post can be approved; this one is {post.status}")
    now = utcnow()
    corrected = body is not None and body != post.body
    if corrected:
        # The original was only ever seen as pending: its revision stays private (see
        # forum.threads.policy.visible_revisions_clause).
        session.add(
            PostRevision(
                post_id=post.id, body=post.body, edited_at=now, editor_id=actor.id, status=post.status
            )
        )
        post.body = body
        post.html = markdown.render(body)
        post.edited_at = now
        await search_index.put(session, post_entry(post))  # search: the corrected text
    thread = found.thread
    extra: dict[str, Any] = {"corrected": corrected}
    if thread.status != "published" and post.number == 1:
        # The thread waited with its first post: approving the post publishes the thread.
        thread.status = "published"
        extra["thread_published"] = True
    if thread.last_post_at is None or thread.last_post_at < now:
        thread.last_post_at = now
    await _settle(
        session,
        actor,
        post,
        found,
        action="approve",
        status=PostStatus.published.value,
        reason=None,
        extra_after=extra,
        publish_thread=bool(extra.get("thread_published")),
    )
    # Its author hears of it; mentions and watchers now do (forum.attention).
    await hooks.run(hooks.POST_APPROVED, session, post=post, thread=thread, space=found.space, actor=actor)
    return post


async def reject_post(session: AsyncSession, viewer: Viewer, post_id: int, reason: str) -> Post:
    """Refuse a pending post: it stays hidden, and its author sees why."""
    actor, post, found = await access.moderated_post(session, viewer, post_id)
    reason = access.clean_reason(reason)
    if post.status != PostStatus.pending.value:
        raise Conflict(f"only a pending post can be rejected; this one is {post.status} (hide it instead)")
    await _settle(session, actor, post, found, action="reject", status=PostStatus.hidden.value, reason=reason)
    await hooks.run(
        hooks.POST_REJECTED, session, post=post, thread=found.thread, space=found.space, actor=actor
    )
    return post


async def hide_post(session: AsyncSession, viewer: Viewer, post_id: int, reason: str) -> Post:
    """Hide a post from everyone but its author and the space's moderators.

    Hiding a post that flags hid automatically confirms it, with the moderator's reason.
    """
    actor, post, found = await access.moderated_post(session, viewer, post_id)
    reason = access.clean_reason(reason)
    if post.status == PostStatus.deleted.value:
        raise Conflict("this post was deleted")
    if post.status == PostStatus.hidden.value and await _open_flag_count(session, post.id) == 0:
        raise Conflict("this post is already hidden")
    return await _settle(
        session, actor, post, found, action="hide", status=PostStatus.hidden.value, reason=reason
    )


async def unhide_post(session: AsyncSession, viewer: Viewer, post_id: int, reason: str | None = None) -> Post:
    """Publish a hidden post again (also how a post that flags hid is cleared)."""
    reason = (reason.strip() or None) if reason else None
    actor, post, found = await access.moderated_post(session, viewer, post_id)
    if post.status != PostStatus.hidden.value:
        raise Conflict(f"only a hidden post can be unhidden; this one is {post.status}")
    publish_thread = found.thread.status != "published" and post.number == 1
    if publish_thread:
        # A rejected first post of a thread that never published: approve is not the way
        # back, but unhiding it publishes the thread with it.
        found.thread.status = "published"
    return await _settle(
        session,
        actor,
        post,
        found,
        action="unhide",
        status=PostStatus.published.value,
        reason=reason,
        publish_thread=publish_thread,
    )


async def dismiss_flags(
    session: AsyncSession, viewer: Viewer, post_id: int, reason: str | None = None
) -> Post:
    """A moderator looked at a flagged post and keeps it as it is: its open flags close."""
    reason = (reason.strip() or None) if reason else None
    actor, post, found = await access.moderated_post(session, viewer, post_id)
    if await _open_flag_count(session, post.id) == 0:
        raise Conflict("this post has no open flags")
    status = PostStatus.published.value if post.status == PostStatus.hidden.value else post.status
    if post.status == PostStatus.hidden.value:
        # Flags hid it automatically; dismissing them publishes it again.
        return await _settle(
            session, actor, post, found, action="dismiss_flags", status=status, reason=reason
        )
    resolved = await _resolve_flags(session, post.id, actor.id)
    await queue.refresh(session, post.id)
    await audit.record(
        session,
        actor_id=actor.id,
        action="post.dismiss_flags",
        target_type="post",
        target_id=post.id,
        space_id=found.space.id,
        reason=reason,
        before=_state(post),
        after=_state(post) | {"flags_resolved": resolved},
    )
    await queue.announce_resolved(session, post, found.space, "dismiss_flags", actor)
    return post


AUTO_HIDE_REASON = "hidden automatically after {n} people flagged it; a moderator will review it"


async def flag_post(
    session: AsyncSession, viewer: Viewer, post_id: int, data: FlagIn, *, hide_threshold: int
) -> FlagOut:
    """Flag a post for the space's moderators; enough flags hide it until one of them looks."""
    user = viewer.require_user()
    post, found = await lookup.get_visible_post(session, viewer, post_id)
    note = (data.note or "").strip() or None
    if data.reason == FlagReason.other.value and note is None:
        raise Invalid("note: say what is wrong when the reason is 'other'", field="note")
    if post.author_id == user.id:
        raise Invalid("you cannot flag your own post", field="post_id")
    if post.status != PostStatus.published.value:
        raise Conflict(f"only a published post can be flagged; this one is {post.status}")
    taken = await session.scalar(select(Flag.id).where(Flag.post_id == post.id, Flag.user_id == user.id))
    if taken is not None:
        raise Conflict("you have already flagged this post")
    flag = Flag(post_id=post.id, user_id=user.id, reason=data.reason, note=note)
    session.add(flag)
    try:
        await session.flush()
    except IntegrityError:  # the same person's flag raced in from another request
        raise Conflict("you have already flagged this post") from None
    count = await _open_flag_count(session, post.id)
    if count >= hide_threshold and not await _escapes_auto_hide(session, post, found.space.id):
        before = _state(post)
        post.status = PostStatus.hidden.value
        post.moderation_reason = AUTO_HIDE_REASON.format(n=count)
        await counts.status_changed(session, found.thread, post, before["status"])
        await audit.record(
            session,
            actor_id=None,
            action="post.auto_hide",
            target_type="post",
            target_id=post.id,
            space_id=found.space.id,
            reason=post.moderation_reason,
            before=before,
            after=_state(post) | {"flag_count": count},
        )
        await events.announce_post(session, "post.hidden", post, found.space.id)
    await queue.refresh(session, post.id)
    await queue.announce_waiting(session, post, found.space.id)
    if count == 1:
        # Its first open flag puts the post in the queue: its moderators hear of it (forum.attention).
        await hooks.run(
            hooks.POST_FLAGGED, session, post=post, thread=found.thread, space=found.space, actor=user
        )
    return queue.flag_out(flag, user)


async def _escapes_auto_hide(session: AsyncSession, post: Post, space_id: int) -> bool:
    author = await session.get(User, post.author_id)
    assert author is not None
    moderated = set(
        await session.scalars(select(SpaceModerator.space_id).where(SpaceModerator.user_id == author.id))
    )
    return policy.author_escapes_auto_hide(author, moderated, space_id)


# --- café table messages ----------------------------------------------------------------------


async def set_table_message_status(
    session: AsyncSession, viewer: Viewer, message_id: int, status: str, reason: str | None
) -> MessageOut:
    """Hide or unhide a café table message; the cafés domain holds its visibility rule, its
    live event and its log entry (`message.hide` / `message.unhide`)."""

    if status == "hidden":
        reason = access.clean_reason(reason or "")
    message = await messages.set_message_status(session, viewer, message_id, status, reason)
    author = await session.get(User, message.author_id)
    assert author is not None
    return message_out(message, author)
