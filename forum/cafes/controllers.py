"""HTTP: world cafés, their tables, table messages and harvests."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from litestar import Controller, Request, Response, get, post, put
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.cafes import access, archive, lifecycle, messages, views
from forum.cafes.schemas import (
    AnnounceIn,
    CafeIn,
    CafeOut,
    CloseOut,
    ExtendIn,
    HarvestIn,
    JoinOut,
    MessageIn,
    MessageOut,
    TableOut,
)
from forum.lib.http import ListOut
from forum.lib.openapi import ANYONE, SIGNED_IN
from forum.lib.pagination import Cursor, Limit

# A repeated client_id stores nothing new: the answer is the first message, with 200.
REPEATED_MESSAGE = ResponseSpec(
    MessageOut, description="A message sent earlier with this client_id: nothing new was stored"
)


async def _present(
    request: Request, session: AsyncSession, viewer: Viewer, cafe_id: int
) -> Collection[int] | None:
    """Who is connected to the café's tables (None: nobody, or no live layer: unknown).

    Asked only of someone who may run the café, after the same check the service makes."""
    hub = getattr(request.app.state, "hub", None)
    if hub is None:
        return None
    _, space = await access.find_cafe(session, viewer, cafe_id)
    access.require_runner(viewer, space, "start a round")
    present = await hub.present_at([t.id for t in await access.tables_of(session, cafe_id)])
    return present or None


class CafeController(Controller):
    tags = ["cafes"]

    @post(
        "/api/spaces/{slug:str}/cafes",
        status_code=HTTP_201_CREATED,
        summary="Create a café (moderators)",
        security=SIGNED_IN,
    )
    async def create_cafe(
        self, slug: str, data: CafeIn, transaction: AsyncSession, viewer: Viewer
    ) -> CafeOut:
        cafe = await lifecycle.create_cafe(transaction, viewer, slug, data)
        return await views.cafe_view(transaction, cafe, viewer)

    @get("/api/spaces/{slug:str}/cafes", summary="Cafés of a space, newest first", security=ANYONE)
    async def list_cafes(
        self,
        slug: str,
        db_session: AsyncSession,
        viewer: Viewer,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[CafeOut]:
        page = await lifecycle.list_cafes(db_session, viewer, slug, limit=limit, cursor=cursor)
        return ListOut(items=page.items, next=page.next)

    @get(
        "/api/cafes/{cafe_id:int}",
        summary="One café with its tables",
        security=ANYONE,
        description=(
            "A table's `message_count` is how many of its messages the caller may see: all of them"
            " for a moderator of the space, else those not hidden plus the caller's own hidden ones."
        ),
    )
    async def get_cafe(self, cafe_id: int, db_session: AsyncSession, viewer: Viewer) -> CafeOut:
        return await views.cafe_view(db_session, await access.get_cafe(db_session, viewer, cafe_id), viewer)

    @post(
        "/api/cafes/{cafe_id:int}/join",
        status_code=HTTP_200_OK,
        summary="Take a seat: the least full table",
        security=SIGNED_IN,
        operation_id="join_cafe",
    )
    async def join(self, cafe_id: int, transaction: AsyncSession, viewer: Viewer) -> JoinOut:
        table = await lifecycle.join_cafe(transaction, viewer, cafe_id)
        return JoinOut(table_id=table.id, cafe_id=table.cafe_id)

    @post(
        "/api/cafes/{cafe_id:int}/rounds",
        status_code=HTTP_200_OK,
        summary="Start the next round (moderators)",
        security=SIGNED_IN,
        description=(
            "Participants connected to a table move; those not connected keep their seat; tables"
            " whose host is not connected get nobody (docs/cafes.md, seating rule 6). When nobody"
            " is connected, everyone moves."
        ),
    )
    async def start_round(
        self, cafe_id: int, request: Request, transaction: AsyncSession, viewer: Viewer
    ) -> CafeOut:
        present = await _present(request, transaction, viewer, cafe_id)
        cafe = await lifecycle.start_round(transaction, viewer, cafe_id, present)
        return await views.cafe_view(transaction, cafe, viewer)

    @post(
        "/api/cafes/{cafe_id:int}/rounds/extend",
        status_code=HTTP_200_OK,
        summary="More minutes for the round under way (moderators)",
        security=SIGNED_IN,
        operation_id="extend_cafe_round",
        description=(
            "Adds `minutes` (1 to 60) to the round's end, or to now once the end has passed;"
            " every table hears `cafe.round_extended`, and the one-minute warning and the end"
            " are said again as the new end comes. 409 when no round was started."
        ),
    )
    async def extend_round(
        self, cafe_id: int, data: ExtendIn, transaction: AsyncSession, viewer: Viewer
    ) -> CafeOut:
        cafe = await lifecycle.extend_round(transaction, viewer, cafe_id, data.minutes)
        return await views.cafe_view(transaction, cafe, viewer)

    @post(
        "/api/cafes/{cafe_id:int}/announce",
        status_code=HTTP_204_NO_CONTENT,
        summary="Speak to every table (moderators)",
        security=SIGNED_IN,
    )
    async def announce(
        self, cafe_id: int, data: AnnounceIn, transaction: AsyncSession, viewer: Viewer
    ) -> None:
        await lifecycle.announce(transaction, viewer, cafe_id, data.text)

    @post(
        "/api/cafes/{cafe_id:int}/close",
        status_code=HTTP_200_OK,
        summary="Close the café; its tables are kept as a thread (moderators)",
        security=SIGNED_IN,
        operation_id="close_cafe",
    )
    async def close(self, cafe_id: int, transaction: AsyncSession, viewer: Viewer) -> CloseOut:
        return CloseOut(thread_id=await archive.close_cafe(transaction, viewer, cafe_id))

    @get(
        "/api/tables/{table_id:int}",
        summary="One table (who sits or sat there, its host, moderators)",
        security=SIGNED_IN,
    )
    async def get_table(self, table_id: int, db_session: AsyncSession, viewer: Viewer) -> TableOut:
        table = await access.get_table_for_reader(db_session, viewer, table_id)
        return await views.table_view(db_session, table, viewer)

    @post(
        "/api/tables/{table_id:int}/messages",
        status_code=HTTP_201_CREATED,
        summary="Say something at a table",
        security=SIGNED_IN,
        responses={200: REPEATED_MESSAGE},
    )
    async def post_message(
        self, table_id: int, data: MessageIn, transaction: AsyncSession, viewer: Viewer
    ) -> Response[MessageOut]:
        message, created = await messages.post_message(
            transaction, viewer, table_id, data.body, client_id=data.client_id
        )
        view = await views.message_view(transaction, message)
        return Response(view, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get(
        "/api/tables/{table_id:int}/messages",
        summary="Table messages with number > after, ascending",
        security=SIGNED_IN,
    )
    async def list_messages(
        self,
        table_id: int,
        db_session: AsyncSession,
        viewer: Viewer,
        after: Annotated[int, Parameter(ge=0)] = 0,
        limit: Limit = None,
    ) -> ListOut[MessageOut]:
        page = await messages.list_messages(db_session, viewer, table_id, after=after, limit=limit)
        return ListOut(items=page.items, next=page.next)

    @put(
        "/api/tables/{table_id:int}/harvest",
        summary="Write the table's harvest (its host)",
        security=SIGNED_IN,
    )
    async def set_harvest(
        self, table_id: int, data: HarvestIn, transaction: AsyncSession, viewer: Viewer
    ) -> TableOut:
        table = await messages.set_harvest(transaction, viewer, table_id, data.body)
        return await views.table_view(transaction, table, viewer)
