"""HTTP: the inbox, watching levels, read positions and unread counts."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get, post, put
from litestar.params import Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.attention import following, inbox
from forum.attention.schemas import (
    LevelIn,
    LevelOut,
    NotificationOut,
    NotificationPageOut,
    ReadIn,
    UnreadOut,
    WatchingOut,
)
from forum.lib.openapi import SIGNED_IN
from forum.lib.pagination import Cursor, Limit

OrderParam = Annotated[
    Literal["newest", "unread_first"],
    Parameter(query="order", required=False, description="`newest` (default) or `unread_first`"),
]


class AttentionController(Controller):
    tags = ["notifications"]

    @get(
        "/api/notifications",
        summary="Your notifications, newest first or unread first",
        description=(
            "Each is checked again against what you may read now: one about a thread you can no"
            " longer read is left out, so a page may hold fewer than `limit`; `next` goes on."
            " `unread` counts your unread notifications (at most 99)."
        ),
        security=SIGNED_IN,
    )
    async def list_notifications(
        self,
        db_session: AsyncSession,
        viewer: Viewer,
        order: OrderParam = "newest",
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> NotificationPageOut:
        return await inbox.list_notifications(db_session, viewer, order=order, limit=limit, cursor=cursor)

    @get(
        "/api/notifications/{notification_id:int}",
        summary="One notification, if you may still read its subject",
        security=SIGNED_IN,
    )
    async def get_notification(
        self, notification_id: int, db_session: AsyncSession, viewer: Viewer
    ) -> NotificationOut:
        return await inbox.get_notification(db_session, viewer, notification_id)

    @post(
        "/api/notifications/{notification_id:int}/read",
        status_code=HTTP_204_NO_CONTENT,
        summary="Mark one notification read",
        security=SIGNED_IN,
    )
    async def read_one(self, notification_id: int, transaction: AsyncSession, viewer: Viewer) -> None:
        await inbox.mark_read(transaction, viewer, notification_id)

    @post(
        "/api/notifications/read-all",
        status_code=HTTP_204_NO_CONTENT,
        summary="Mark every notification read",
        security=SIGNED_IN,
    )
    async def read_all(self, transaction: AsyncSession, viewer: Viewer) -> None:
        await inbox.mark_all_read(transaction, viewer)

    @get(
        "/api/me/unread",
        summary="Unread posts of the threads you track or watch, and unread notifications",
        security=SIGNED_IN,
    )
    async def unread(self, db_session: AsyncSession, viewer: Viewer) -> UnreadOut:
        return await following.unread(db_session, viewer)

    @get("/api/me/watching", summary="The levels you chose for spaces and threads", security=SIGNED_IN)
    async def watching(self, db_session: AsyncSession, viewer: Viewer) -> WatchingOut:
        return await following.watching(db_session, viewer)

    @post(
        "/api/threads/{thread_id:int}/read",
        status_code=HTTP_204_NO_CONTENT,
        summary="You have read the thread up to post `number` (never moves back)",
        security=SIGNED_IN,
    )
    async def read_thread(
        self, thread_id: int, data: ReadIn, transaction: AsyncSession, viewer: Viewer
    ) -> None:
        await following.mark_read(transaction, viewer, thread_id, data.number)

    @get("/api/threads/{thread_id:int}/watch", summary="Your level for a thread", security=SIGNED_IN)
    async def thread_level(self, thread_id: int, db_session: AsyncSession, viewer: Viewer) -> LevelOut:
        return await following.thread_level(db_session, viewer, thread_id)

    @put(
        "/api/threads/{thread_id:int}/watch",
        summary="Watch, track, follow normally or mute a thread",
        security=SIGNED_IN,
    )
    async def set_thread_level(
        self, thread_id: int, data: LevelIn, transaction: AsyncSession, viewer: Viewer
    ) -> LevelOut:
        return await following.set_thread_level(transaction, viewer, thread_id, data.level)

    @get("/api/spaces/{slug:str}/watch", summary="Your level for a space", security=SIGNED_IN)
    async def space_level(self, slug: str, db_session: AsyncSession, viewer: Viewer) -> LevelOut:
        return await following.space_level(db_session, viewer, slug)

    @put(
        "/api/spaces/{slug:str}/watch",
        summary="Watch (every new thread), track, follow normally or mute a space",
        security=SIGNED_IN,
    )
    async def set_space_level(
        self, slug: str, data: LevelIn, transaction: AsyncSession, viewer: Viewer
    ) -> LevelOut:
        return await following.set_space_level(transaction, viewer, slug, data.level)
