"""Every moderation read and write: the queue, approve/reject/hide/unhide, flags, silences,
suspensions, hiding café table messages, and reading the audit log.

Live delivery (all through `forum.realtime.outbox`):

- On the post's `thread:{id}` topic (via `threads.services.announce_post`): `post.hidden` when
  a post is hidden or rejected (restricted: its author and the space's moderators get the
  full post with `moderation_reason`, everyone else a stub), and `post.updated` with the
  full post when it is approved or unhidden: the post keeps its number, and clients that
  only knew the stub replace it by id. Approving post number 1 of a pending thread also
  publishes the thread (`thread.updated`).
- On the one `moderation` topic, every event restricted to the moderators of its
  `space_id` (everyone else gets `moderation.elsewhere` with no data):
  `moderation.item` (a queue item, when a post starts waiting or gets a flag) and
  `moderation.resolved` (`{post_id, space, action, status, by}` when a moderator deals
  with a waiting post).
- A suspension sends the passing signal `account.suspended` on `user:{id}` after commit
  (a silence, or lifting either, sends `account.changed`)
  (its tokens are already revoked, so every later request and frame of theirs is refused).

Flags from `flag_hide_threshold` different people hide a published post until a moderator
looks (log action `post.auto_hide`, actor none), except posts of the space's moderators,
global moderators and admins, which only a person hides.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import and_, exists, func, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.accounts.schemas import author_out, iso
from forum.accounts.viewer import Viewer
from forum.lib import markdown
from forum.lib.db import utcnow
from forum.lib.errors import Conflict, Forbidden, Invalid, NotFound
from forum.lib.pagination import Page, check_limit, decode_cursor, encode_cursor
from forum.moderation import audit, policy
from forum.moderation.models import AuditEntry, Flag, FlagReason
from forum.moderation.schemas import (
    MAX_RESTRICTION_SECONDS,
    AuditEntryOut,
    FlagIn,
    FlagOut,
    QueueItemOut,
    RestrictionIn,
    StandingOut,
    TargetRef,
    ThreadRef,
)
from forum.realtime import outbox, signals
from forum.spaces import services as spaces
from forum.spaces.models import Space, SpaceModerator
from forum.threads import services as threads
from forum.threads.models import Post, PostRevision, PostStatus, Thread
from forum.threads.schemas import post_out

if TYPE_CHECKING:
    from forum.rooms.schemas import MessageOut

MODERATION_TOPIC = "moderation"
ELSEWHERE = "moderation.elsewhere"


# --- who moderates what -------------------------------------------------------------------


def _require_moderator(viewer: Viewer) -> User:
    user = viewer.require_user()
    if not viewer.moderates_anything:
        raise Forbidden("only moderators may do this")
    return user


async def _moderated_space(session: AsyncSession, viewer: Viewer, slug: str) -> Space:
    space = await spaces.get_space(session, viewer, slug)
    if not viewer.moderates(space.id):
        raise Forbidden(f"you do not moderate the space {slug!r}")
    return space


async def _moderated_post(
    session: AsyncSession, viewer: Viewer, post_id: int
) -> tuple[User, Post, threads.VisibleThread]:
    """The post, if the viewer sees it (else 404) and moderates its space (else 403)."""
    actor = viewer.require_user()
    post, found = await threads.get_visible_post(session, viewer, post_id)
    if not viewer.moderates(found.space.id):
        raise Forbidden("only a moderator of this space may do this")
    return actor, post, found


# --- the queue ----------------------------------------------------------------------------


def _waiting():
    """Posts waiting for a moderator, with the time they started waiting.

    A pending post waits since it was written; a flagged one since its oldest open flag.
    """
    pending = select(Post.id.label("post_id"), Post.created_at.label("since")).where(
        Post.status == PostStatus.pending.value
    )
    flagged = select(Flag.post_id.label("post_id"), Flag.created_at.label("since")).where(
        Flag.resolved_at.is_(None)
    )
    both = union_all(pending, flagged).subquery()
    return select(both.c.post_id, func.min(both.c.since).label("since")).group_by(both.c.post_id).subquery()


async def _queue_items(
    session: AsyncSession,
    *,
    space_ids: frozenset[int] | None = None,
    space_id: int | None = None,
    post_id: int | None = None,
    kind: str | None = None,
    after: tuple[str, int] | None = None,
    limit: int | None = None,
) -> list[QueueItemOut]:
    waiting = _waiting()
    query = (
        select(Post, User, Thread, Space, waiting.c.since)
        .join(waiting, waiting.c.post_id == Post.id)
        .join(User, User.id == Post.author_id)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Space, Space.id == Thread.space_id)
        .where(Post.status != PostStatus.deleted.value)
    )
    if space_ids is not None:
        query = query.where(Space.id.in_(space_ids))
    if space_id is not None:
        query = query.where(Space.id == space_id)
    if post_id is not None:
        query = query.where(Post.id == post_id)
    if kind == "pending":
        query = query.where(Post.status == PostStatus.pending.value)
    elif kind == "flagged":
        query = query.where(Post.status != PostStatus.pending.value)
    if after is not None:
        since, last_id = after
        query = query.where(or_(waiting.c.since > since, and_(waiting.c.since == since, Post.id > last_id)))
    query = query.order_by(waiting.c.since, Post.id)
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
            flags[flag.post_id].append(_flag_out(flag, flagger))
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


async def list_queue(
    session: AsyncSession,
    viewer: Viewer,
    *,
    space: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[QueueItemOut]:
    """Pending and flagged posts of the spaces the viewer moderates, oldest first."""
    _require_moderator(viewer)
    limit = check_limit(limit)
    space_id = (await _moderated_space(session, viewer, space)).id if space else None
    position = decode_cursor(cursor, 2)
    after = None
    if position is not None:
        try:
            after = (_parse_time(position[0]), int(position[1]))
        except (TypeError, ValueError):
            raise Invalid("cursor is not one this service gave out", field="cursor") from None
    items = await _queue_items(
        session,
        space_ids=None if viewer.is_global_moderator else viewer.moderated_space_ids,
        space_id=space_id,
        kind=kind,
        after=after,
        limit=limit + 1,
    )
    nxt = None
    if len(items) > limit:
        items = items[:limit]
        nxt = encode_cursor([items[-1].since, items[-1].post.id])
    return Page(items=items, next=nxt)


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a time")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _announce_item(session: AsyncSession, post: Post, space_id: int) -> None:
    items = await _queue_items(session, post_id=post.id)
    if not items:
        return
    await outbox.append(
        session,
        MODERATION_TOPIC,
        "moderation.item",
        msgspec.to_builtins(items[0]),
        space_id=space_id,
        public_type=ELSEWHERE,
        public_data={},
    )


async def notify_pending(session: AsyncSession, post: Post, space_id: int) -> None:
    """Tell the space's moderators, live, that a post waits for approval (caller commits)."""
    await _announce_item(session, post, space_id)


async def _announce_resolved(
    session: AsyncSession, post: Post, found: threads.VisibleThread, action: str, actor: User
) -> None:
    await outbox.append(
        session,
        MODERATION_TOPIC,
        "moderation.resolved",
        {
            "post_id": post.id,
            "space": found.space.slug,
            "action": action,
            "status": post.status,
            "by": actor.id,
        },
        space_id=found.space.id,
        public_type=ELSEWHERE,
        public_data={},
    )


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
    found: threads.VisibleThread,
    *,
    action: str,
    status: str,
    reason: str | None,
    extra_after: dict[str, Any] | None = None,
) -> Post:
    """Give the post its new status, close its flags, log it once, announce it, commit."""
    was_waiting = post.status == PostStatus.pending.value or await _open_flag_count(session, post.id) > 0
    before = _state(post)
    post.status = status
    post.moderation_reason = reason if status == PostStatus.hidden.value else None
    resolved = await _resolve_flags(session, post.id, actor.id)
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
    await threads.announce_post(
        session, "post.hidden" if status == PostStatus.hidden.value else "post.updated", post, found.space.id
    )
    if was_waiting:
        await _announce_resolved(session, post, found, action, actor)
    await session.commit()
    return post


def _clean_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise Invalid("reason: say why, in a few words", field="reason")
    return reason


async def approve_post(session: AsyncSession, viewer: Viewer, post_id: int, body: str | None = None) -> Post:
    """Publish a pending post, optionally correcting its text (the original stays as a revision)."""
    actor, post, found = await _moderated_post(session, viewer, post_id)
    if post.status != PostStatus.pending.value:
        raise Conflict(f"only a pending post can be approved; this one is {post.status}")
    now = utcnow()
    corrected = body is not None and body != post.body
    if corrected:
        session.add(PostRevision(post_id=post.id, body=post.body, edited_at=now, editor_id=actor.id))
        post.body = body
        post.html = markdown.render(body)
        post.edited_at = now
    thread = found.thread
    extra: dict[str, Any] = {"corrected": corrected}
    if thread.status != "published" and post.number == 1:
        # The thread waited with its first post: approving the post publishes the thread.
        thread.status = "published"
        extra["thread_published"] = True
    if thread.last_post_at is None or thread.last_post_at < now:
        thread.last_post_at = now
    if extra.get("thread_published"):
        await threads.announce_thread(session, found)
    return await _settle(
        session,
        actor,
        post,
        found,
        action="approve",
        status=PostStatus.published.value,
        reason=None,
        extra_after=extra,
    )


async def reject_post(session: AsyncSession, viewer: Viewer, post_id: int, reason: str) -> Post:
    """Refuse a pending post: it stays hidden, and its author sees why."""
    actor, post, found = await _moderated_post(session, viewer, post_id)
    reason = _clean_reason(reason)
    if post.status != PostStatus.pending.value:
        raise Conflict(f"only a pending post can be rejected; this one is {post.status} (hide it instead)")
    return await _settle(
        session, actor, post, found, action="reject", status=PostStatus.hidden.value, reason=reason
    )


async def hide_post(session: AsyncSession, viewer: Viewer, post_id: int, reason: str) -> Post:
    """Hide a post from everyone but its author and the space's moderators.

    Hiding a post that flags hid automatically confirms it, with the moderator's reason.
    """
    actor, post, found = await _moderated_post(session, viewer, post_id)
    reason = _clean_reason(reason)
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
    actor, post, found = await _moderated_post(session, viewer, post_id)
    if post.status != PostStatus.hidden.value:
        raise Conflict(f"only a hidden post can be unhidden; this one is {post.status}")
    if found.thread.status != "published" and post.number == 1:
        # A rejected first post of a thread that never published: approve is not the way
        # back, but unhiding it publishes the thread with it.
        found.thread.status = "published"
        await threads.announce_thread(session, found)
    return await _settle(
        session, actor, post, found, action="unhide", status=PostStatus.published.value, reason=reason
    )


async def dismiss_flags(
    session: AsyncSession, viewer: Viewer, post_id: int, reason: str | None = None
) -> Post:
    """A moderator looked at a flagged post and keeps it as it is: its open flags close."""
    reason = (reason.strip() or None) if reason else None
    actor, post, found = await _moderated_post(session, viewer, post_id)
    if await _open_flag_count(session, post.id) == 0:
        raise Conflict("this post has no open flags")
    status = PostStatus.published.value if post.status == PostStatus.hidden.value else post.status
    if post.status == PostStatus.hidden.value:
        # Flags hid it automatically; dismissing them publishes it again.
        return await _settle(
            session, actor, post, found, action="dismiss_flags", status=status, reason=reason
        )
    resolved = await _resolve_flags(session, post.id, actor.id)
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
    await _announce_resolved(session, post, found, "dismiss_flags", actor)
    await session.commit()
    return post


# --- flags --------------------------------------------------------------------------------


def _flag_out(flag: Flag, user: User) -> FlagOut:
    return FlagOut(
        id=flag.id,
        post_id=flag.post_id,
        reason=flag.reason,
        note=flag.note,
        user=author_out(user),
        created_at=iso(flag.created_at) or "",
    )


AUTO_HIDE_REASON = "hidden automatically after {n} people flagged it; a moderator will review it"


async def flag_post(
    session: AsyncSession, viewer: Viewer, post_id: int, data: FlagIn, *, hide_threshold: int
) -> FlagOut:
    """Flag a post for the space's moderators; enough flags hide it until one of them looks."""
    user = viewer.require_user()
    post, found = await threads.get_visible_post(session, viewer, post_id)
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
        await session.rollback()
        raise Conflict("you have already flagged this post") from None
    count = await _open_flag_count(session, post.id)
    if count >= hide_threshold and not await _escapes_auto_hide(session, post, found.space.id):
        before = _state(post)
        post.status = PostStatus.hidden.value
        post.moderation_reason = AUTO_HIDE_REASON.format(n=count)
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
        await threads.announce_post(session, "post.hidden", post, found.space.id)
    await _announce_item(session, post, found.space.id)
    await session.commit()
    return _flag_out(flag, user)


async def _escapes_auto_hide(session: AsyncSession, post: Post, space_id: int) -> bool:
    author = await session.get(User, post.author_id)
    assert author is not None
    moderated = set(
        await session.scalars(select(SpaceModerator.space_id).where(SpaceModerator.user_id == author.id))
    )
    return policy.author_escapes_auto_hide(author, moderated, space_id)


# --- silences and suspensions ---------------------------------------------------------------

_FIELDS = {
    policy.Restriction.silence: ("silenced_until", "silence_reason"),
    policy.Restriction.suspend: ("suspended_until", "suspend_reason"),
}


def standing_out(user: User) -> StandingOut:
    return StandingOut(
        id=user.id,
        display_name=user.display_name,
        role=user.role,
        party=user.party,
        silenced_until=iso(user.silenced_until),
        silence_reason=user.silence_reason,
        suspended_until=iso(user.suspended_until),
        suspend_reason=user.suspend_reason,
    )


async def _restrictable(
    session: AsyncSession, viewer: Viewer, user_id: int, kind: policy.Restriction
) -> tuple[User, User]:
    actor = _require_moderator(viewer)
    target = await accounts.get_user(session, user_id)
    moderates_a_space = bool(
        await session.scalar(select(exists().where(SpaceModerator.user_id == target.id)))
    )
    refusal = policy.restriction_refusal(viewer, target, moderates_a_space, kind)
    if refusal:
        raise Forbidden(refusal)
    return actor, target


def _restriction_end(data: RestrictionIn) -> datetime:
    now = utcnow()
    if (data.until is None) == (data.duration_seconds is None):
        raise Invalid("until: give either 'until' (RFC 3339) or 'duration_seconds', not both", field="until")
    if data.duration_seconds is not None:
        return now + timedelta(seconds=data.duration_seconds)
    assert data.until is not None
    if data.until <= now:
        raise Invalid("until: the end must be in the future", field="until")
    if data.until > now + timedelta(seconds=MAX_RESTRICTION_SECONDS):
        raise Invalid("until: at most ten years from now", field="until")
    return data.until


def _restriction_state(user: User, kind: policy.Restriction) -> dict[str, Any]:
    until_field, reason_field = _FIELDS[kind]
    return {"until": iso(getattr(user, until_field)), "reason": getattr(user, reason_field)}


async def restrict_user(
    session: AsyncSession, viewer: Viewer, user_id: int, kind: policy.Restriction, data: RestrictionIn
) -> User:
    """Silence (reads, cannot post) or suspend (cannot sign in; every token ends now)."""
    actor, target = await _restrictable(session, viewer, user_id, kind)
    reason = _clean_reason(data.reason)
    until = _restriction_end(data)
    until_field, reason_field = _FIELDS[kind]
    before = _restriction_state(target, kind)
    setattr(target, until_field, until)
    setattr(target, reason_field, reason)
    if kind is policy.Restriction.suspend:
        await accounts.revoke_all_tokens(session, target.id)
    await audit.record(
        session,
        actor_id=actor.id,
        action=f"user.{kind}",
        target_type="user",
        target_id=target.id,
        reason=reason,
        before=before,
        after=_restriction_state(target, kind),
    )
    await session.commit()
    if kind is policy.Restriction.suspend:
        # Live sockets of this user: the hub ends them on this signal (and refuses the
        # revoked token on any new frame or connection regardless).
        signals.account_suspended(session, target.id)
    else:
        # A silenced user's sockets re-read their session, so a `send` is refused now.
        signals.account_changed(session, target.id)
    return target


async def lift_restriction(
    session: AsyncSession,
    viewer: Viewer,
    user_id: int,
    kind: policy.Restriction,
    reason: str | None = None,
) -> User:
    """End a silence or suspension early; lifting one that is not in force changes nothing."""
    reason = (reason.strip() or None) if reason else None
    actor, target = await _restrictable(session, viewer, user_id, kind)
    until_field, reason_field = _FIELDS[kind]
    current = getattr(target, until_field)
    if current is None or current <= utcnow():
        return target
    before = _restriction_state(target, kind)
    setattr(target, until_field, None)
    setattr(target, reason_field, None)
    await audit.record(
        session,
        actor_id=actor.id,
        action=f"user.un{kind}",
        target_type="user",
        target_id=target.id,
        reason=reason,
        before=before,
        after=_restriction_state(target, kind),
    )
    await session.commit()
    signals.account_changed(session, target.id)
    return target


async def get_standing(session: AsyncSession, viewer: Viewer, user_id: int) -> User:
    _require_moderator(viewer)
    return await accounts.get_user(session, user_id)


# --- café table messages ----------------------------------------------------------------------


async def set_table_message_status(
    session: AsyncSession, viewer: Viewer, message_id: int, status: str, reason: str | None
) -> MessageOut:
    """Hide or unhide a café table message; the cafés domain holds its visibility rule, its
    live event and its log entry (`message.hide` / `message.unhide`)."""
    from forum.rooms import services as rooms  # the cafés domain imports threads, not the reverse
    from forum.rooms.schemas import message_out

    if status == "hidden":
        reason = _clean_reason(reason or "")
    message = await rooms.set_message_status(session, viewer, message_id, status, reason)
    author = await session.get(User, message.author_id)
    assert author is not None
    return message_out(message, author)


# --- the audit log ----------------------------------------------------------------------------


async def list_log(
    session: AsyncSession,
    viewer: Viewer,
    *,
    space: str | None = None,
    actor: int | None = None,
    action: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[AuditEntryOut]:
    """The audit log, newest first: all of it for global moderators, the rest see their spaces'
    entries and their own actions."""
    _require_moderator(viewer)
    limit = check_limit(limit)
    query = _log_query(viewer)
    if space:
        query = query.where(AuditEntry.space_id == (await _moderated_space(session, viewer, space)).id)
    if actor is not None:
        query = query.where(AuditEntry.actor_id == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    position = decode_cursor(cursor, 1)
    if position is not None:
        if not isinstance(position[0], int):
            raise Invalid("cursor is not one this service gave out", field="cursor")
        query = query.where(AuditEntry.id < position[0])
    rows = (await session.execute(query.order_by(AuditEntry.id.desc()).limit(limit + 1))).all()
    items = [_entry_out(*row) for row in rows[:limit]]
    nxt = encode_cursor([items[-1].id]) if len(rows) > limit and items else None
    return Page(items=items, next=nxt)


async def get_log_entry(session: AsyncSession, viewer: Viewer, entry_id: int) -> AuditEntryOut:
    _require_moderator(viewer)
    row = (await session.execute(_log_query(viewer).where(AuditEntry.id == entry_id))).first()
    if row is None:
        raise NotFound(f"no log entry {entry_id} that you may read")
    return _entry_out(*row)


def _log_query(viewer: Viewer):
    actor_user = aliased(User)
    query = (
        select(AuditEntry, actor_user, Space.slug)
        .outerjoin(actor_user, actor_user.id == AuditEntry.actor_id)
        .outerjoin(Space, Space.id == AuditEntry.space_id)
    )
    if not viewer.is_global_moderator:
        query = query.where(
            or_(AuditEntry.space_id.in_(viewer.moderated_space_ids), AuditEntry.actor_id == viewer.id)
        )
    return query


def _entry_out(entry: AuditEntry, actor: User | None, space_slug: str | None) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id,
        actor=author_out(actor) if actor is not None else None,
        action=entry.action,
        target=TargetRef(type=entry.target_type, id=entry.target_id),
        reason=entry.reason,
        at=iso(entry.at) or "",
        before=entry.before,
        after=entry.after,
        space=space_slug,
    )
