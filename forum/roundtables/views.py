"""What round tables look like to clients, read with a fixed number of queries however long
the queue and the list of interventions.

`viewer` None is what everyone may see: the data of events, which go to everyone. A
finished intervention whose speaker chose to stay anonymous then names neither speaker nor
capacity; its speaker and the chairs still see both."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.schemas import author_out, iso
from forum.accounts.viewer import Viewer
from forum.lib.db import utcnow
from forum.roundtables import policy, wording
from forum.roundtables.models import (
    Attribution,
    FloorRequest,
    Intervention,
    RequestState,
    RoundTable,
)
from forum.roundtables.schemas import CapacityOut, InterventionOut, RequestOut, RoundTableOut
from forum.spaces.models import Space


def capacity_out(kind: str, code: str | None) -> CapacityOut:
    return CapacityOut(kind=kind, code=code, label=wording.capacity_label(kind, code))


def intervention_out(
    item: Intervention, speaker: User, *, current: bool, viewer: Viewer | None, space_id: int
) -> InterventionOut:
    named = (
        item.attribution != Attribution.anonymous.value
        or current
        or (viewer is not None and (viewer.id == item.speaker_id or policy.can_chair(viewer, space_id)))
    )
    return InterventionOut(
        id=item.id,
        number=item.number,
        speaker=author_out(speaker) if named else None,
        capacity=capacity_out(item.capacity_kind, item.capacity_code) if named else None,
        attribution=item.attribution,
        attributed_as=wording.attributed_as(item.capacity_kind, item.capacity_code, item.attribution),
        started_at=iso(item.started_at) or "",
        ends_at=iso(item.ends_at) or "",
        ended_at=iso(item.ended_at),
        duration_seconds=item.duration_seconds,
        summary=item.summary,
        summary_by=item.summary_by,
    )


async def roundtable_views(
    session: AsyncSession, rts: list[RoundTable], viewer: Viewer | None
) -> list[RoundTableOut]:
    """Views of many round tables in five queries."""
    if not rts:
        return []
    ids = [rt.id for rt in rts]
    slugs = dict(
        (await session.execute(select(Space.id, Space.slug).where(Space.id.in_({rt.space_id for rt in rts}))))
        .tuples()
        .all()
    )
    requests = (
        await session.scalars(
            select(FloorRequest)
            .where(FloorRequest.roundtable_id.in_(ids), FloorRequest.state == RequestState.waiting.value)
            .order_by(FloorRequest.position)
        )
    ).all()
    interventions = (
        await session.scalars(
            select(Intervention).where(Intervention.roundtable_id.in_(ids)).order_by(Intervention.number)
        )
    ).all()
    user_ids = (
        {rt.chair_id for rt in rts} | {r.user_id for r in requests} | {i.speaker_id for i in interventions}
    )
    users = {u.id: u for u in (await session.scalars(select(User).where(User.id.in_(user_ids)))).all()}
    queues: dict[int, list[RequestOut]] = defaultdict(list)
    for r in requests:
        queues[r.roundtable_id].append(
            RequestOut(
                id=r.id,
                user=author_out(users[r.user_id]),
                capacity=capacity_out(r.capacity_kind, r.capacity_code),
                attribution=r.attribution,
                position=len(queues[r.roundtable_id]) + 1,
                requested_at=iso(r.requested_at) or "",
            )
        )
    space_of = {rt.id: rt.space_id for rt in rts}
    current_of = {rt.id: rt.current_intervention_id for rt in rts}
    done: dict[int, list[InterventionOut]] = defaultdict(list)
    floor: dict[int, InterventionOut] = {}
    for item in interventions:
        current = current_of[item.roundtable_id] == item.id
        out = intervention_out(
            item,
            users[item.speaker_id],
            current=current,
            viewer=viewer,
            space_id=space_of[item.roundtable_id],
        )
        done[item.roundtable_id].append(out)
        if current:
            floor[item.roundtable_id] = out
    now = iso(utcnow()) or ""
    return [
        RoundTableOut(
            id=rt.id,
            space=slugs[rt.space_id],
            question=rt.question,
            turn_seconds=rt.turn_seconds,
            policy=rt.policy,
            state=rt.state,
            chair=author_out(users[rt.chair_id]),
            rapporteur_ids=list(rt.rapporteur_ids),
            queue=queues[rt.id],
            floor=floor.get(rt.id),
            turn_reminded=rt.turn_reminded,
            interventions=done[rt.id],
            server_time=now,
            created_at=iso(rt.created_at) or "",
            closed_at=iso(rt.closed_at),
            thread_id=rt.archive_thread_id,
        )
        for rt in rts
    ]


async def roundtable_view(session: AsyncSession, rt: RoundTable, viewer: Viewer | None) -> RoundTableOut:
    return (await roundtable_views(session, [rt], viewer))[0]
