"""Finding cafés and tables for a viewer, the locks that order café writes, and the topics.

Every café service starts here: a café or table the viewer may not read is a 404
(`find_cafe`, `find_table`), only the space's moderators run a café (`require_runner`),
and writes that depend on the café's state lock its row first (`lock_cafe`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.cafes import policy
from forum.cafes.models import Cafe, CafeSeat, CafeState, CafeTable, CafeVisit
from forum.lib.errors import Conflict, Forbidden, NotFound
from forum.spaces.models import Space
from forum.spaces.policy import can_see_space

# ---------------------------------------------------------------------------------------
# Topics and payloads


def cafe_topic(cafe_id: int) -> str:
    return f"cafe:{cafe_id}"


def table_topic(table_id: int) -> str:
    return f"table:{table_id}"


def presence_data(table_id: int, user_ids: list[int] | set[int]) -> dict:
    """The payload of a `presence` signal on `table:{id}`: who is at the table now."""
    return {"table_id": table_id, "user_ids": sorted(set(user_ids))}


# ---------------------------------------------------------------------------------------
# Finding what the viewer may see


@dataclass
class VisibleTable:
    table: CafeTable
    cafe: Cafe
    space: Space


async def find_cafe(session: AsyncSession, viewer: Viewer, cafe_id: int) -> tuple[Cafe, Space]:
    cafe = await session.get(Cafe, cafe_id) if isinstance(cafe_id, int) else None
    space = await session.get(Space, cafe.space_id) if cafe is not None else None
    if cafe is None or space is None or not can_see_space(viewer, space):
        raise NotFound(f"no café with id {cafe_id}")
    return cafe, space


async def get_cafe(session: AsyncSession, viewer: Viewer, cafe_id: int) -> Cafe:
    """The café, if the viewer may see its space; else NotFound."""
    cafe, _ = await find_cafe(session, viewer, cafe_id)
    return cafe


async def lock_cafe(session: AsyncSession, cafe_id: int, *, shared: bool = False) -> Cafe:
    """Re-read the café under a row lock (a no-op on SQLite, whose writers are serialized)."""
    cafe = await session.scalar(
        select(Cafe)
        .where(Cafe.id == cafe_id)
        .with_for_update(read=shared)
        .execution_options(populate_existing=True)
    )
    if cafe is None:
        raise NotFound(f"no café with id {cafe_id}")
    return cafe


async def has_sat_at(session: AsyncSession, user_id: int | None, table_id: int) -> bool:
    if user_id is None:
        return False
    visit = await session.scalar(
        select(CafeVisit.id).where(CafeVisit.user_id == user_id, CafeVisit.table_id == table_id).limit(1)
    )
    return visit is not None


async def seat_of(session: AsyncSession, cafe_id: int, user_id: int | None) -> CafeSeat | None:
    if user_id is None:
        return None
    return await session.scalar(
        select(CafeSeat).where(CafeSeat.cafe_id == cafe_id, CafeSeat.user_id == user_id)
    )


async def find_table(session: AsyncSession, viewer: Viewer, table_id: int) -> VisibleTable:
    """The table if the viewer may read it (see policy.can_read_table); else NotFound."""
    table = await session.get(CafeTable, table_id) if isinstance(table_id, int) else None
    if table is None:
        raise NotFound(f"no table with id {table_id}")
    try:
        cafe, space = await find_cafe(session, viewer, table.cafe_id)
    except NotFound:
        raise NotFound(f"no table with id {table_id}") from None
    sat = await has_sat_at(session, viewer.id, table.id)
    if not policy.can_read_table(viewer, table.host_id, space.id, has_sat_there=sat):
        raise NotFound(f"no table with id {table_id}")
    return VisibleTable(table, cafe, space)


async def sits_at(session: AsyncSession, viewer: Viewer, table_id: int) -> bool:
    """Whether the viewer is at the table in the café's sense: its host, or seated there now.

    A moderator who looks at a table (or someone reading a table they left) is observing:
    they may read it, but they are not "here now" and do not count for rotation.
    """
    if viewer.id is None:
        return False
    table = await session.get(CafeTable, table_id)
    if table is None:
        return False
    if table.host_id == viewer.id:
        return True
    seat = await seat_of(session, table.cafe_id, viewer.id)
    return seat is not None and seat.table_id == table.id


async def get_table_for_reader(session: AsyncSession, viewer: Viewer, table_id: int) -> CafeTable:
    """The table if the viewer may read it: seated there now or before, its host, or a
    moderator of the space (who must also see the space); else NotFound."""
    return (await find_table(session, viewer, table_id)).table


async def tables_of(session: AsyncSession, cafe_id: int) -> list[CafeTable]:
    return list(
        (
            await session.scalars(
                select(CafeTable).where(CafeTable.cafe_id == cafe_id).order_by(CafeTable.position)
            )
        ).all()
    )


def require_open(cafe: Cafe) -> None:
    require_open_state(cafe.id, cafe.state)


def require_open_state(cafe_id: int, state: str) -> None:
    if state == CafeState.closed.value:
        raise Conflict(f"café {cafe_id} is closed")


def require_runner(viewer: Viewer, space: Space, what: str) -> None:
    if not policy.can_run_cafe(viewer, space.id):
        raise Forbidden(f"only a moderator of this space may {what}")
