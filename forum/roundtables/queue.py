"""The queue: requesting the floor in a capacity, withdrawing, and the chair's moves and skips.

The queue is the round table's waiting requests by `position` (1 is next). A new request
joins at the end, or, under the `parties_first` policy, a Party's request joins behind
the Parties' already waiting and before everyone else's. The chair's moves stay where the
chair put them: later requests are placed by the same rule around them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts.viewer import Viewer
from forum.lib.errors import Conflict, Invalid, NotFound
from forum.roundtables import events, policy
from forum.roundtables.access import find_roundtable, lock_roundtable, require_chair, require_open
from forum.roundtables.models import CapacityKind, FloorRequest, RequestState, RoundTable
from forum.roundtables.schemas import FloorRequestIn

ACTIVE = (RequestState.waiting.value, RequestState.speaking.value)


async def waiting(session: AsyncSession, roundtable_id: int) -> list[FloorRequest]:
    return list(
        (
            await session.scalars(
                select(FloorRequest)
                .where(
                    FloorRequest.roundtable_id == roundtable_id,
                    FloorRequest.state == RequestState.waiting.value,
                )
                .order_by(FloorRequest.position)
            )
        ).all()
    )


def renumber(queue: list[FloorRequest]) -> None:
    """Positions 1..n in the order given (only the rows that move are written)."""
    for i, request in enumerate(queue, start=1):
        if request.position != i:
            request.position = i


async def find_waiting(session: AsyncSession, rt: RoundTable, request_id: int) -> FloorRequest:
    request = await session.get(FloorRequest, request_id)
    if request is None or request.roundtable_id != rt.id:
        raise Invalid(f"request_id: no request {request_id} at this round table", field="request_id")
    if request.state != RequestState.waiting.value:
        raise Conflict(f"request {request_id} is not waiting (it is {request.state})")
    return request


def _capacity(viewer: Viewer, data: FloorRequestIn) -> tuple[str, str | None]:
    user = viewer.require_user()
    kind = data.capacity
    if kind == CapacityKind.party.value:
        code = data.party or policy.default_code(user, kind)
        field = "party" if data.party else "capacity"
    elif kind == CapacityKind.observer.value:
        code = data.organisation.strip() if data.organisation else policy.default_code(user, kind)
        field = "organisation" if data.organisation else "capacity"
    else:
        if data.party is not None:
            raise Invalid(f"party: only the capacity 'party' names a Party, not {kind!r}", field="party")
        if data.organisation is not None:
            raise Invalid(
                f"organisation: only the capacity 'observer' names an organisation, not {kind!r}",
                field="organisation",
            )
        code, field = None, "capacity"
    refusal = policy.capacity_refusal(user, kind, code)
    if refusal is not None:
        raise Invalid(f"{field}: {refusal}", field=field)
    return kind, code


async def request_floor(
    session: AsyncSession, viewer: Viewer, roundtable_id: int, data: FloorRequestIn
) -> FloorRequest:
    """Join the queue in a capacity the viewer holds; one request at a time per person."""
    user = viewer.require_can_write()
    await find_roundtable(session, viewer, roundtable_id)
    kind, code = _capacity(viewer, data)
    rt = await lock_roundtable(session, roundtable_id)
    require_open(rt)
    mine = await session.scalar(
        select(FloorRequest.id).where(
            FloorRequest.roundtable_id == rt.id,
            FloorRequest.user_id == user.id,
            FloorRequest.state.in_(ACTIVE),
        )
    )
    if mine is not None:
        raise Conflict("you already asked for the floor here: withdraw first, or wait for your turn")
    queue = await waiting(session, rt.id)
    tier = policy.queue_tier(rt.policy, kind)
    at = len(queue)
    if tier == 0 and rt.policy != "request_order":
        # Behind the last Party waiting, before everyone else.
        at = 0
        for i, other in enumerate(queue):
            if policy.queue_tier(rt.policy, other.capacity_kind) == 0:
                at = i + 1
    rt.request_count += 1
    request = FloorRequest(
        roundtable_id=rt.id,
        user_id=user.id,
        capacity_kind=kind,
        capacity_code=code,
        attribution=data.attribution,
        state=RequestState.waiting.value,
        position=at + 1,
    )
    session.add(request)
    queue.insert(at, request)
    renumber(queue)
    await session.flush()
    await events.announce(session, rt, events.FLOOR_REQUESTED, request_id=request.id, user_id=user.id)
    return request


async def withdraw(session: AsyncSession, viewer: Viewer, roundtable_id: int) -> RoundTable:
    """Leave the queue (the viewer's own waiting request)."""
    user = viewer.require_user()
    await find_roundtable(session, viewer, roundtable_id)
    rt = await lock_roundtable(session, roundtable_id)
    require_open(rt)
    queue = await waiting(session, rt.id)
    request = next((r for r in queue if r.user_id == user.id), None)
    if request is None:
        raise NotFound("you have no request waiting at this round table")
    request.state = RequestState.withdrawn.value
    renumber([r for r in queue if r is not request])
    await events.announce(session, rt, events.FLOOR_WITHDRAWN, request_id=request.id, user_id=user.id)
    return rt


async def move_request(
    session: AsyncSession, viewer: Viewer, roundtable_id: int, request_id: int, position: int
) -> RoundTable:
    """The chair puts a waiting request at `position` (1 is next; past the end is the end)."""
    actor = viewer.require_user()
    _, space = await find_roundtable(session, viewer, roundtable_id)
    require_chair(viewer, space, "reorder the queue")
    rt = await lock_roundtable(session, roundtable_id)
    require_open(rt)
    request = await find_waiting(session, rt, request_id)
    queue = [r for r in await waiting(session, rt.id) if r.id != request.id]
    before = request.position
    queue.insert(min(position, len(queue) + 1) - 1, request)
    renumber(queue)
    await audit.record(
        session,
        actor_id=actor.id,
        action="roundtable.move",
        target_type="roundtable",
        target_id=rt.id,
        space_id=space.id,
        before={"request_id": request.id, "position": before},
        after={"request_id": request.id, "position": request.position},
    )
    await events.announce(session, rt, events.REQUEST_MOVED, request_id=request.id, position=request.position)
    return rt


async def skip_request(
    session: AsyncSession, viewer: Viewer, roundtable_id: int, request_id: int
) -> RoundTable:
    """The chair takes a waiting request off the queue without giving it the floor."""
    actor = viewer.require_user()
    _, space = await find_roundtable(session, viewer, roundtable_id)
    require_chair(viewer, space, "skip a request")
    rt = await lock_roundtable(session, roundtable_id)
    require_open(rt)
    request = await find_waiting(session, rt, request_id)
    request.state = RequestState.skipped.value
    renumber([r for r in await waiting(session, rt.id) if r.id != request.id])
    await audit.record(
        session,
        actor_id=actor.id,
        action="roundtable.skip",
        target_type="roundtable",
        target_id=rt.id,
        space_id=space.id,
        after={"request_id": request.id, "user_id": request.user_id},
    )
    await events.announce(session, rt, events.REQUEST_SKIPPED, request_id=request.id, user_id=request.user_id)
    return rt
