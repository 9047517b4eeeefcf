"""Silences and suspensions: restricting a user, lifting it, and reading their standing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.accounts.schemas import iso
from forum.accounts.viewer import Viewer
from forum.lib.db import utcnow
from forum.lib.errors import Forbidden, Invalid
from forum.moderation import access, policy
from forum.moderation.schemas import MAX_RESTRICTION_SECONDS, RestrictionIn, StandingOut
from forum.spaces.models import SpaceModerator
from forum.streams import signals

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
    actor = access.require_moderator(viewer)
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
    reason = access.clean_reason(data.reason)
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
    signals.account_changed(session, target.id)
    return target


async def get_standing(session: AsyncSession, viewer: Viewer, user_id: int) -> User:
    access.require_moderator(viewer)
    return await accounts.get_user(session, user_id)
