"""HTTP: round tables, the queue, the floor, summaries and attributions.

Every write answers with the round table as the caller may see it; everything it changed
also goes out as an event on `roundtable:{id}`."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.lib.http import ListOut
from forum.lib.openapi import ANYONE, SIGNED_IN
from forum.lib.pagination import Cursor, Limit
from forum.roundtables import archive, floor, lifecycle, queue, views
from forum.roundtables.models import RoundTable
from forum.roundtables.schemas import (
    AttributionIn,
    FloorRequestIn,
    GiveFloorIn,
    MoveIn,
    RoundTableCloseOut,
    RoundTableIn,
    RoundTableOut,
    SkipIn,
    SummaryIn,
)


async def _view(session: AsyncSession, roundtable_id: int, viewer: Viewer) -> RoundTableOut:
    rt = await session.get(RoundTable, roundtable_id)
    assert rt is not None
    return await views.roundtable_view(session, rt, viewer)


class RoundTableController(Controller):
    tags = ["roundtables"]

    @post(
        "/api/spaces/{slug:str}/roundtables",
        status_code=HTTP_201_CREATED,
        summary="Open a round table (moderators of a workshop space)",
        security=SIGNED_IN,
    )
    async def open_roundtable(
        self, slug: str, data: RoundTableIn, transaction: AsyncSession, viewer: Viewer
    ) -> RoundTableOut:
        rt = await lifecycle.open_roundtable(transaction, viewer, slug, data)
        return await views.roundtable_view(transaction, rt, viewer)

    @get(
        "/api/spaces/{slug:str}/roundtables", summary="Round tables of a space, newest first", security=ANYONE
    )
    async def list_roundtables(
        self,
        slug: str,
        db_session: AsyncSession,
        viewer: Viewer,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[RoundTableOut]:
        page = await lifecycle.list_roundtables(db_session, viewer, slug, limit=limit, cursor=cursor)
        return ListOut(items=page.items, next=page.next)

    @get(
        "/api/roundtables/{roundtable_id:int}",
        summary="One round table: the question, the floor, the queue, the interventions",
        security=ANYONE,
    )
    async def get_roundtable(
        self, roundtable_id: int, db_session: AsyncSession, viewer: Viewer
    ) -> RoundTableOut:
        rt = await lifecycle.get_roundtable(db_session, viewer, roundtable_id)
        return await views.roundtable_view(db_session, rt, viewer)

    @post(
        "/api/roundtables/{roundtable_id:int}/requests",
        status_code=HTTP_201_CREATED,
        summary="Request the floor, saying in what capacity",
        security=SIGNED_IN,
        description=(
            "`capacity` is `party` (focal points, for the Party they hold), `lcipp` or `fwg` (LCIPP"
            " representatives), `observer` (for the organisation on the caller's profile) or"
            " `secretariat` (admins and moderators). One request at a time per person."
        ),
    )
    async def request_floor(
        self, roundtable_id: int, data: FloorRequestIn, transaction: AsyncSession, viewer: Viewer
    ) -> RoundTableOut:
        await queue.request_floor(transaction, viewer, roundtable_id, data)
        return await _view(transaction, roundtable_id, viewer)

    @post(
        "/api/roundtables/{roundtable_id:int}/withdraw",
        status_code=HTTP_200_OK,
        summary="Withdraw one's own request for the floor",
        security=SIGNED_IN,
        operation_id="withdraw_request",
    )
    async def withdraw(self, roundtable_id: int, transaction: AsyncSession, viewer: Viewer) -> RoundTableOut:
        await queue.withdraw(transaction, viewer, roundtable_id)
        return await _view(transaction, roundtable_id, viewer)

    @post(
        "/api/roundtables/{roundtable_id:int}/floor",
        status_code=HTTP_200_OK,
        summary="Give the floor (the chair): the first request, or the one named",
        security=SIGNED_IN,
    )
    async def give_floor(
        self, roundtable_id: int, data: GiveFloorIn, transaction: AsyncSession, viewer: Viewer
    ) -> RoundTableOut:
        await floor.give_floor(transaction, viewer, roundtable_id, data.request_id)
        return await _view(transaction, roundtable_id, viewer)

    @post(
        "/api/roundtables/{roundtable_id:int}/end-turn",
        status_code=HTTP_200_OK,
        summary="End the turn under way (the chair)",
        security=SIGNED_IN,
    )
    async def end_turn(self, roundtable_id: int, transaction: AsyncSession, viewer: Viewer) -> RoundTableOut:
        await floor.end_turn(transaction, viewer, roundtable_id)
        return await _view(transaction, roundtable_id, viewer)

    @post(
        "/api/roundtables/{roundtable_id:int}/move",
        status_code=HTTP_200_OK,
        summary="Move a waiting request to a position in the queue (the chair)",
        security=SIGNED_IN,
        operation_id="move_request",
    )
    async def move(
        self, roundtable_id: int, data: MoveIn, transaction: AsyncSession, viewer: Viewer
    ) -> RoundTableOut:
        await queue.move_request(transaction, viewer, roundtable_id, data.request_id, data.position)
        return await _view(transaction, roundtable_id, viewer)

    @post(
        "/api/roundtables/{roundtable_id:int}/skip",
        status_code=HTTP_200_OK,
        summary="Take a waiting request off the queue (the chair)",
        security=SIGNED_IN,
        operation_id="skip_request",
    )
    async def skip(
        self, roundtable_id: int, data: SkipIn, transaction: AsyncSession, viewer: Viewer
    ) -> RoundTableOut:
        await queue.skip_request(transaction, viewer, roundtable_id, data.request_id)
        return await _view(transaction, roundtable_id, viewer)

    @post(
        "/api/roundtables/{roundtable_id:int}/close",
        status_code=HTTP_200_OK,
        summary="Close the round table; it is kept as a thread (the chair)",
        security=SIGNED_IN,
        operation_id="close_roundtable",
    )
    async def close(
        self, roundtable_id: int, transaction: AsyncSession, viewer: Viewer
    ) -> RoundTableCloseOut:
        return RoundTableCloseOut(
            thread_id=await archive.close_roundtable(transaction, viewer, roundtable_id)
        )

    @put(
        "/api/interventions/{intervention_id:int}/summary",
        summary="Write an intervention's summary (its speaker, the chair, a rapporteur)",
        security=SIGNED_IN,
    )
    async def set_summary(
        self, intervention_id: int, data: SummaryIn, transaction: AsyncSession, viewer: Viewer
    ) -> RoundTableOut:
        item = await floor.record_summary(transaction, viewer, intervention_id, data.summary)
        return await _view(transaction, item.roundtable_id, viewer)

    @put(
        "/api/interventions/{intervention_id:int}/attribution",
        summary="Choose how the report names the speaker (the speaker)",
        security=SIGNED_IN,
    )
    async def set_attribution(
        self, intervention_id: int, data: AttributionIn, transaction: AsyncSession, viewer: Viewer
    ) -> RoundTableOut:
        item = await floor.set_attribution(transaction, viewer, intervention_id, data.attribution)
        return await _view(transaction, item.roundtable_id, viewer)
