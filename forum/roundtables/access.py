"""Finding round tables and interventions for a viewer, the lock that orders writes, the topic.

A round table in a space the viewer may not read is a 404 (`find_roundtable`); chair's
acts need a moderator of the space (`require_chair`); writes lock the round table's row
first (`lock_roundtable`), so two chairs' clicks or a request and a give are ordered."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.lib.errors import Conflict, Forbidden, NotFound
from forum.roundtables import policy
from forum.roundtables.models import Intervention, RoundTable, RoundTableState
from forum.spaces.models import Space
from forum.spaces.policy import can_see_space


def roundtable_topic(roundtable_id: int) -> str:
    return f"roundtable:{roundtable_id}"


async def find_roundtable(
    session: AsyncSession, viewer: Viewer, roundtable_id: int
) -> tuple[RoundTable, Space]:
    rt = await session.get(RoundTable, roundtable_id) if isinstance(roundtable_id, int) else None
    space = await session.get(Space, rt.space_id) if rt is not None else None
    if rt is None or space is None or not can_see_space(viewer, space):
        raise NotFound(f"no round table with id {roundtable_id}")
    return rt, space


async def find_intervention(
    session: AsyncSession, viewer: Viewer, intervention_id: int
) -> tuple[Intervention, Space]:
    found = await session.get(Intervention, intervention_id)
    if found is None:
        raise NotFound(f"no intervention with id {intervention_id}")
    try:
        _, space = await find_roundtable(session, viewer, found.roundtable_id)
    except NotFound:
        raise NotFound(f"no intervention with id {intervention_id}") from None
    return found, space


async def lock_roundtable(session: AsyncSession, roundtable_id: int) -> RoundTable:
    """Re-read the round table under a row lock (a no-op on SQLite, whose writers are serialized)."""
    rt = await session.scalar(
        select(RoundTable)
        .where(RoundTable.id == roundtable_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if rt is None:
        raise NotFound(f"no round table with id {roundtable_id}")
    return rt


def require_open(rt: RoundTable) -> None:
    if rt.state == RoundTableState.closed.value:
        raise Conflict(f"round table {rt.id} is closed")


def require_chair(viewer: Viewer, space: Space, what: str) -> None:
    viewer.require_user()
    if not policy.can_chair(viewer, space.id):
        raise Forbidden(f"only a moderator of this space may {what}")
