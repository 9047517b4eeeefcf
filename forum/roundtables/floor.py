"""The floor: the chair gives it and ends the turn; summaries and attributions of interventions.

The countdown's end is the server's: `ends_at` is stored with the intervention and the
round table (`turn_ends_at`), and every client counts down to it. When it passes the
speaker is reminded (forum.roundtables.timer), never cut off: only the chair ends a turn."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit
from forum.accounts.schemas import iso
from forum.accounts.viewer import Viewer
from forum.lib.db import utcnow
from forum.lib.errors import Conflict, Forbidden
from forum.roundtables import events, policy
from forum.roundtables.access import (
    find_intervention,
    find_roundtable,
    lock_roundtable,
    require_chair,
    require_open,
)
from forum.roundtables.models import FloorRequest, Intervention, RequestState, RoundTable
from forum.roundtables.queue import find_waiting, renumber, waiting


async def give_floor(
    session: AsyncSession, viewer: Viewer, roundtable_id: int, request_id: int | None
) -> Intervention:
    """The chair gives the floor to a waiting request (the first in the queue when none is
    named); the countdown starts now and ends `turn_seconds` later."""
    actor = viewer.require_user()
    _, space = await find_roundtable(session, viewer, roundtable_id)
    require_chair(viewer, space, "give the floor")
    rt = await lock_roundtable(session, roundtable_id)
    require_open(rt)
    if rt.current_intervention_id is not None:
        raise Conflict("someone has the floor: end the turn first")
    queue = await waiting(session, rt.id)
    if request_id is None:
        if not queue:
            raise Conflict("nobody has asked for the floor")
        request = queue[0]
    else:
        request = await find_waiting(session, rt, request_id)
    now = utcnow()
    rt.intervention_count += 1
    item = Intervention(
        roundtable_id=rt.id,
        number=rt.intervention_count,
        request_id=request.id,
        speaker_id=request.user_id,
        capacity_kind=request.capacity_kind,
        capacity_code=request.capacity_code,
        attribution=request.attribution,
        started_at=now,
        ends_at=now + timedelta(seconds=rt.turn_seconds),
        summary="",
    )
    session.add(item)
    request.state = RequestState.speaking.value
    renumber([r for r in queue if r.id != request.id])
    await session.flush()
    rt.current_intervention_id = item.id
    # The server's clock is the only clock: every client counts down to this instant.
    rt.turn_ends_at = item.ends_at
    rt.turn_reminded = False
    await audit.record(
        session,
        actor_id=actor.id,
        action="roundtable.give_floor",
        target_type="roundtable",
        target_id=rt.id,
        space_id=space.id,
        after={"request_id": request.id, "user_id": request.user_id, "in_order": request is queue[0]},
    )
    await events.announce(
        session,
        rt,
        events.FLOOR_GIVEN,
        intervention_id=item.id,
        user_id=item.speaker_id,
        ends_at=iso(rt.turn_ends_at),
    )
    return item


async def finish_turn(session: AsyncSession, rt: RoundTable) -> Intervention | None:
    """End the turn under way, if any (the caller holds the round table's lock)."""
    if rt.current_intervention_id is None:
        return None
    item = await session.get(Intervention, rt.current_intervention_id)
    rt.current_intervention_id = None
    rt.turn_ends_at = None
    rt.turn_reminded = False
    if item is None:
        return None
    now = utcnow()
    item.ended_at = now
    item.duration_seconds = max(0, round((now - item.started_at).total_seconds()))
    request = await session.get(FloorRequest, item.request_id)
    if request is not None:
        request.state = RequestState.spoke.value
    return item


async def end_turn(session: AsyncSession, viewer: Viewer, roundtable_id: int) -> Intervention:
    actor = viewer.require_user()
    _, space = await find_roundtable(session, viewer, roundtable_id)
    require_chair(viewer, space, "end the turn")
    rt = await lock_roundtable(session, roundtable_id)
    require_open(rt)
    item = await finish_turn(session, rt)
    if item is None:
        raise Conflict("nobody has the floor")
    await audit.record(
        session,
        actor_id=actor.id,
        action="roundtable.end_turn",
        target_type="roundtable",
        target_id=rt.id,
        space_id=space.id,
        after={"intervention_id": item.id, "duration_seconds": item.duration_seconds},
    )
    await events.announce(
        session,
        rt,
        events.TURN_ENDED,
        intervention_id=item.id,
        user_id=item.speaker_id,
        duration_seconds=item.duration_seconds,
    )
    return item


async def record_summary(
    session: AsyncSession, viewer: Viewer, intervention_id: int, summary: str
) -> Intervention:
    """The written summary of an intervention: its speaker's own words, or the chair's or a
    rapporteur's. Written by someone else than the speaker, it goes to the audit log."""
    actor = viewer.require_can_write()
    item, space = await find_intervention(session, viewer, intervention_id)
    rt = await lock_roundtable(session, item.roundtable_id)
    if not policy.can_write_summary(viewer, space.id, list(rt.rapporteur_ids), item.speaker_id):
        raise Forbidden("only the speaker, the chair or a rapporteur may write this summary")
    require_open(rt)
    before = item.summary
    item.summary = summary.strip()
    item.summary_by = actor.id
    if actor.id != item.speaker_id:
        await audit.record(
            session,
            actor_id=actor.id,
            action="roundtable.summary",
            target_type="intervention",
            target_id=item.id,
            space_id=space.id,
            before={"summary": before},
            after={"summary": item.summary},
        )
    await events.announce(session, rt, events.SUMMARY_RECORDED, intervention_id=item.id)
    return item


async def set_attribution(
    session: AsyncSession, viewer: Viewer, intervention_id: int, attribution: str
) -> Intervention:
    """How the report names the speaker: by capacity, or 'a participant'. The speaker's choice."""
    user = viewer.require_user()
    item, _ = await find_intervention(session, viewer, intervention_id)
    if item.speaker_id != user.id:
        raise Forbidden("only the speaker chooses how the report names them")
    rt = await lock_roundtable(session, item.roundtable_id)
    require_open(rt)
    item.attribution = attribution
    await events.announce(
        session, rt, events.ATTRIBUTION_SET, intervention_id=item.id, attribution=attribution
    )
    return item
