"""HTTP: the moderation queue, acting on posts, flags, silences and suspensions, the audit log.

The log is read-only over HTTP: no route writes, edits or deletes an entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from litestar import Controller, delete, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.cafes.schemas import MessageOut
from forum.lib.http import ListOut
from forum.lib.openapi import SIGNED_IN, problems
from forum.lib.pagination import Cursor, Limit
from forum.lib.raw_input import MAX_ID
from forum.moderation import log, posts, queue, users
from forum.moderation.policy import Restriction
from forum.moderation.schemas import (
    ApproveIn,
    AuditEntryOut,
    FlagIn,
    OptionalReasonIn,
    ReasonIn,
    RestrictionIn,
    StandingOut,
)
from forum.settings import Settings
from forum.threads import lookup
from forum.threads.schemas import FlagOut, PostOut, QueueItemOut

SpaceSlug = Annotated[
    str | None, Parameter(query="space", required=False, max_length=64, description="a space's slug")
]
LiftReason = Annotated[
    str | None, Parameter(query="reason", required=False, max_length=1000, description="why, for the log")
]


class ModerationController(Controller):
    tags = ["moderation"]

    @get(
        "/api/moderation/queue",
        summary="Pending and flagged posts of the spaces the caller moderates",
        security=SIGNED_IN,
        operation_id="moderation_queue",
        responses=problems(404),
    )
    async def queue(
        self,
        db_session: AsyncSession,
        viewer: Viewer,
        space: SpaceSlug = None,
        kind: Annotated[Literal["pending", "flagged"] | None, Parameter(query="kind", required=False)] = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[QueueItemOut]:
        page = await queue.list_queue(db_session, viewer, space=space, kind=kind, limit=limit, cursor=cursor)
        return ListOut(items=page.items, next=page.next)

    @get(
        "/api/moderation/queue/count",
        summary="How many posts wait in the caller's queue (0 and moderates=false for non-moderators)",
        security=SIGNED_IN,
        operation_id="moderation_queue_count",
    )
    async def queue_count(self, db_session: AsyncSession, viewer: Viewer) -> queue.QueueCountOut:
        return await queue.count_queue(db_session, viewer)

    @get(
        "/api/moderation/log",
        summary="The audit log, newest first (read-only)",
        security=SIGNED_IN,
        operation_id="moderation_log",
        responses=problems(404),
    )
    async def log(
        self,
        db_session: AsyncSession,
        viewer: Viewer,
        space: SpaceSlug = None,
        actor: Annotated[
            int | None, Parameter(query="actor", required=False, ge=1, le=MAX_ID, description="a user id")
        ] = None,
        action: Annotated[str | None, Parameter(query="action", required=False, max_length=40)] = None,
        since: Annotated[
            datetime | None,
            Parameter(
                query="since", required=False, description="acted at or after (ISO 8601; UTC if no zone)"
            ),
        ] = None,
        until: Annotated[
            datetime | None,
            Parameter(
                query="until", required=False, description="acted at or before (ISO 8601; UTC if no zone)"
            ),
        ] = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[AuditEntryOut]:
        page = await log.list_log(
            db_session,
            viewer,
            space=space,
            actor=actor,
            action=action,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
        return ListOut(items=page.items, next=page.next)

    @get(
        "/api/moderation/log/{entry_id:int}",
        summary="One audit log entry (read-only)",
        security=SIGNED_IN,
        operation_id="moderation_log_entry",
    )
    async def log_entry(self, entry_id: int, db_session: AsyncSession, viewer: Viewer) -> AuditEntryOut:
        return await log.get_log_entry(db_session, viewer, entry_id)

    @post(
        "/api/posts/{post_id:int}/approve",
        status_code=HTTP_200_OK,
        summary="Publish a pending post",
        security=SIGNED_IN,
        operation_id="approve_post",
    )
    async def approve(
        self, post_id: int, transaction: AsyncSession, viewer: Viewer, data: ApproveIn | None = None
    ) -> PostOut:
        row = await posts.approve_post(transaction, viewer, post_id, data.body if data else None)
        return await lookup.post_view(transaction, row)

    @post(
        "/api/posts/{post_id:int}/reject",
        status_code=HTTP_200_OK,
        summary="Refuse a pending post",
        security=SIGNED_IN,
        operation_id="reject_post",
    )
    async def reject(
        self, post_id: int, data: ReasonIn, transaction: AsyncSession, viewer: Viewer
    ) -> PostOut:
        row = await posts.reject_post(transaction, viewer, post_id, data.reason)
        return await lookup.post_view(transaction, row)

    @post(
        "/api/posts/{post_id:int}/hide",
        status_code=HTTP_200_OK,
        summary="Hide a post",
        security=SIGNED_IN,
        operation_id="hide_post",
    )
    async def hide(self, post_id: int, data: ReasonIn, transaction: AsyncSession, viewer: Viewer) -> PostOut:
        row = await posts.hide_post(transaction, viewer, post_id, data.reason)
        return await lookup.post_view(transaction, row)

    @post(
        "/api/posts/{post_id:int}/unhide",
        status_code=HTTP_200_OK,
        summary="Publish a hidden post again",
        security=SIGNED_IN,
        operation_id="unhide_post",
    )
    async def unhide(
        self, post_id: int, transaction: AsyncSession, viewer: Viewer, data: OptionalReasonIn | None = None
    ) -> PostOut:
        row = await posts.unhide_post(transaction, viewer, post_id, data.reason if data else None)
        return await lookup.post_view(transaction, row)

    @post(
        "/api/posts/{post_id:int}/flags",
        status_code=HTTP_201_CREATED,
        summary="Flag a post",
        security=SIGNED_IN,
        operation_id="flag_post",
    )
    async def flag(
        self, post_id: int, data: FlagIn, transaction: AsyncSession, viewer: Viewer, settings: Settings
    ) -> FlagOut:
        return await posts.flag_post(
            transaction, viewer, post_id, data, hide_threshold=settings.flag_hide_threshold
        )

    @post(
        "/api/posts/{post_id:int}/flags/dismiss",
        status_code=HTTP_200_OK,
        summary="Close a post's open flags and keep the post",
        security=SIGNED_IN,
    )
    async def dismiss_flags(
        self, post_id: int, transaction: AsyncSession, viewer: Viewer, data: OptionalReasonIn | None = None
    ) -> PostOut:
        row = await posts.dismiss_flags(transaction, viewer, post_id, data.reason if data else None)
        return await lookup.post_view(transaction, row)

    @get(
        "/api/users/{user_id:int}/standing",
        summary="A user's silence and suspension (moderators)",
        security=SIGNED_IN,
        operation_id="user_standing",
    )
    async def standing(self, user_id: int, db_session: AsyncSession, viewer: Viewer) -> StandingOut:
        return users.standing_out(await users.get_standing(db_session, viewer, user_id))

    @post(
        "/api/users/{user_id:int}/silence",
        status_code=HTTP_200_OK,
        summary="Silence a user for a while",
        security=SIGNED_IN,
        operation_id="silence_user",
    )
    async def silence(
        self, user_id: int, data: RestrictionIn, transaction: AsyncSession, viewer: Viewer
    ) -> StandingOut:
        user = await users.restrict_user(transaction, viewer, user_id, Restriction.silence, data)
        return users.standing_out(user)

    @delete(
        "/api/users/{user_id:int}/silence",
        status_code=HTTP_200_OK,
        summary="Lift a silence early",
        security=SIGNED_IN,
        operation_id="unsilence_user",
    )
    async def unsilence(
        self, user_id: int, transaction: AsyncSession, viewer: Viewer, reason: LiftReason = None
    ) -> StandingOut:
        user = await users.lift_restriction(transaction, viewer, user_id, Restriction.silence, reason)
        return users.standing_out(user)

    @post(
        "/api/users/{user_id:int}/suspend",
        status_code=HTTP_200_OK,
        summary="Suspend a user for a while",
        security=SIGNED_IN,
        operation_id="suspend_user",
    )
    async def suspend(
        self, user_id: int, data: RestrictionIn, transaction: AsyncSession, viewer: Viewer
    ) -> StandingOut:
        user = await users.restrict_user(transaction, viewer, user_id, Restriction.suspend, data)
        return users.standing_out(user)

    @delete(
        "/api/users/{user_id:int}/suspend",
        status_code=HTTP_200_OK,
        summary="Lift a suspension early",
        security=SIGNED_IN,
        operation_id="unsuspend_user",
    )
    async def unsuspend(
        self, user_id: int, transaction: AsyncSession, viewer: Viewer, reason: LiftReason = None
    ) -> StandingOut:
        user = await users.lift_restriction(transaction, viewer, user_id, Restriction.suspend, reason)
        return users.standing_out(user)

    @post(
        "/api/table-messages/{message_id:int}/hide",
        status_code=HTTP_200_OK,
        summary="Hide a café message",
        security=SIGNED_IN,
    )
    async def hide_table_message(
        self, message_id: int, data: ReasonIn, transaction: AsyncSession, viewer: Viewer
    ) -> MessageOut:
        return await posts.set_table_message_status(transaction, viewer, message_id, "hidden", data.reason)

    @post(
        "/api/table-messages/{message_id:int}/unhide",
        status_code=HTTP_200_OK,
        summary="Show a hidden café message again",
        security=SIGNED_IN,
    )
    async def unhide_table_message(
        self, message_id: int, transaction: AsyncSession, viewer: Viewer, data: OptionalReasonIn | None = None
    ) -> MessageOut:
        return await posts.set_table_message_status(
            transaction, viewer, message_id, "published", data.reason if data else None
        )
