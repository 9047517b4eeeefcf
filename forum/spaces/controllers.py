"""HTTP: spaces and their moderators."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.lib.http import ListOut
from forum.lib.openapi import ANYONE, SIGNED_IN
from forum.lib.pagination import Cursor, Limit
from forum.spaces import activity, services
from forum.spaces.schemas import ModeratorsIn, SpaceIn, SpaceOut, space_out


class SpaceController(Controller):
    path = "/api/spaces"
    tags = ["spaces"]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Create a space (admin)",
        security=SIGNED_IN,
        operation_id="create_space",
    )
    async def create(self, data: SpaceIn, transaction: AsyncSession, viewer: Viewer) -> SpaceOut:
        space = await services.create_space(transaction, viewer, data)
        return space_out(space, [])

    @get(
        "/",
        summary="The spaces the caller may see",
        description=(
            "Each with its activity as the caller may see it: `thread_count`, `post_count`"
            " (every post in a space the caller moderates; elsewhere the public ones and the"
            " caller's own pending or hidden ones), `last_post_at` (the latest activity"
            " everyone may see) and `running_cafe_id` (a café whose round is under way)."
        ),
        security=ANYONE,
        operation_id="list_spaces",
    )
    async def list(
        self, db_session: AsyncSession, viewer: Viewer, limit: Limit = None, cursor: Cursor = None
    ) -> ListOut[SpaceOut]:
        page = await services.list_spaces(db_session, viewer, limit=limit, cursor=cursor)
        mods = await services.moderator_ids(db_session, [s.id for s in page.items])
        figures = await activity.read(db_session, viewer, page.items)
        return ListOut(
            items=[space_out(s, mods[s.id], figures.get(s.id)) for s in page.items], next=page.next
        )

    @get("/{slug:str}", summary="One space", security=ANYONE, operation_id="get_space")
    async def get(self, slug: str, db_session: AsyncSession, viewer: Viewer) -> SpaceOut:
        space = await services.get_space(db_session, viewer, slug)
        mods = await services.moderator_ids(db_session, [space.id])
        return space_out(space, mods[space.id])

    @put("/{slug:str}/moderators", summary="Name the space's moderators (admin)", security=SIGNED_IN)
    async def set_moderators(
        self, slug: str, data: ModeratorsIn, transaction: AsyncSession, viewer: Viewer
    ) -> SpaceOut:
        space = await services.set_moderators(transaction, viewer, slug, data)
        mods = await services.moderator_ids(transaction, [space.id])
        return space_out(space, mods[space.id])
