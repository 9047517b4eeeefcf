"""The reminder when a turn's time is up: server work derived from the stored end times.

Every process runs `run_reminders` (the hub starts it). It sleeps until the earliest
`turn_ends_at` not yet announced (at most `POLL_SECONDS`, so a turn given in another
process is seen), then marks each such turn reminded with a conditional UPDATE and, in the
same transaction, appends `roundtable.time_up`. Only the process whose UPDATE changed the
row appends: the reminder goes out once however many processes run, and a restart loses
nothing, since what is due is read from the database, never held in memory."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.accounts.schemas import iso
from forum.lib.db import transaction, utcnow
from forum.lib.deadlines import keep_time
from forum.roundtables import events
from forum.roundtables.models import RoundTable, RoundTableState

log = logging.getLogger("forum.roundtables")

# The longest sleep between two looks at the stored end times.
POLL_SECONDS = 2.0


async def remind(session: AsyncSession, roundtable_id: int, now: datetime) -> bool:
    """Announce that the turn under way at this round table is over time, if it is and
    nobody announced it yet; whether this call did."""
    changed = await session.execute(
        update(RoundTable)
        .where(
            RoundTable.id == roundtable_id,
            RoundTable.turn_reminded.is_(False),
            RoundTable.turn_ends_at <= now,
            RoundTable.state == RoundTableState.open.value,
        )
        .values(turn_reminded=True)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    rt = await session.scalar(
        select(RoundTable).where(RoundTable.id == roundtable_id).execution_options(populate_existing=True)
    )
    assert rt is not None
    await events.announce(
        session,
        rt,
        events.TIME_UP,
        intervention_id=rt.current_intervention_id,
        ends_at=iso(rt.turn_ends_at),
    )
    return True


async def remind_due(
    writer: async_sessionmaker[AsyncSession], reader: async_sessionmaker[AsyncSession] | None = None
) -> float:
    """Announce every turn over time, each in its own transaction; the seconds until the
    next one is due (at most POLL_SECONDS).

    The looks go through `reader` (the hub's autocommit sessions): on SQLite a writer's
    transaction takes the write lock from its first statement, which a look every two
    seconds must not. Only a turn that is due costs a write transaction."""
    reader = reader or writer
    now = utcnow()
    async with reader() as session:
        due = (
            await session.scalars(
                select(RoundTable.id).where(
                    RoundTable.turn_reminded.is_(False),
                    RoundTable.turn_ends_at <= now,
                    RoundTable.state == RoundTableState.open.value,
                )
            )
        ).all()
        await session.rollback()
    for roundtable_id in due:
        async with writer() as session, transaction(session):
            await remind(session, roundtable_id, now)
    async with reader() as session:
        upcoming = await session.scalar(
            select(func.min(RoundTable.turn_ends_at)).where(
                RoundTable.turn_reminded.is_(False),
                RoundTable.turn_ends_at > now,
                RoundTable.state == RoundTableState.open.value,
            )
        )
        await session.rollback()
    if upcoming is None:
        return POLL_SECONDS
    return max(0.05, min(POLL_SECONDS, (upcoming - utcnow()).total_seconds()))


async def run_reminders(
    writer: async_sessionmaker[AsyncSession], reader: async_sessionmaker[AsyncSession]
) -> None:
    """Remind, forever (cancelled at shutdown; see forum.lib.deadlines)."""
    await keep_time(
        lambda: remind_due(writer, reader), name="round-table reminders", log=log, poll_seconds=POLL_SECONDS
    )
