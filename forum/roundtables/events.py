"""The events of `roundtable:{id}`: each carries the whole public state of the round table
(`roundtable`, as `views` shows it to everyone) and what changed, so that a client draws
the room from any one event, and a client that resumes draws it from the last."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from forum import streams
from forum.roundtables.access import roundtable_topic
from forum.roundtables.models import RoundTable
from forum.roundtables.views import roundtable_view

OPENED = "roundtable.opened"
FLOOR_REQUESTED = "roundtable.floor_requested"
FLOOR_WITHDRAWN = "roundtable.floor_withdrawn"
REQUEST_MOVED = "roundtable.request_moved"
REQUEST_SKIPPED = "roundtable.request_skipped"
FLOOR_GIVEN = "roundtable.floor_given"
TIME_UP = "roundtable.time_up"
TURN_ENDED = "roundtable.turn_ended"
SUMMARY_RECORDED = "roundtable.summary_recorded"
ATTRIBUTION_SET = "roundtable.attribution_set"
CLOSED = "roundtable.closed"

TYPES = (
    OPENED,
    FLOOR_REQUESTED,
    FLOOR_WITHDRAWN,
    REQUEST_MOVED,
    REQUEST_SKIPPED,
    FLOOR_GIVEN,
    TIME_UP,
    TURN_ENDED,
    SUMMARY_RECORDED,
    ATTRIBUTION_SET,
    CLOSED,
)


async def announce(session: AsyncSession, rt: RoundTable, type_: str, **changed: Any) -> None:
    """Append one event in the caller's transaction; it goes out after the commit."""
    await session.flush()
    view = await roundtable_view(session, rt, None)
    await streams.append(
        session,
        roundtable_topic(rt.id),
        type_,
        {"roundtable_id": rt.id, **changed, "roundtable": msgspec.to_builtins(view)},
        space_id=rt.space_id,
    )
