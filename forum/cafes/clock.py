"""The round clock: a café round's one-minute warning and its end, derived from the stored
end times, and the automatic rotation at the end where the café asks for it.

Every process runs `run_round_clock` (the hub starts it), as the round tables' reminder
does (forum.roundtables.timer): it sleeps until the next warning or end is due (at most
`POLL_SECONDS`), then moves `Cafe.round_notice` forward with a conditional UPDATE and, in
the same transaction, appends `cafe.round_warning` or `cafe.round_ended` (and, with
`auto_rotate`, starts the next round). Only the process whose UPDATE changed the row
appends, so each goes out once however many processes run, and a restart loses nothing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum import streams
from forum.accounts.schemas import iso
from forum.cafes.access import cafe_topic, lock_cafe, tables_of
from forum.cafes.lifecycle import rotate
from forum.cafes.models import ROUND_ENDED, ROUND_WARNED, Cafe, CafeState
from forum.cafes.schemas import WARNING_SECONDS
from forum.lib.db import transaction, utcnow
from forum.lib.deadlines import keep_time

log = logging.getLogger("forum.cafes")

# The longest sleep between two looks at the stored end times.
POLL_SECONDS = 2.0
WARNING = timedelta(seconds=WARNING_SECONDS)

# Who is connected at these tables (user ids), answered by the realtime layer.
PresenceOf = Callable[[list[int]], Awaitable[Collection[int]]]


async def _advance(session: AsyncSession, cafe_id: int, notice: int, due: datetime) -> bool:
    """Move the café's notice to `notice` if its round is due for it and nobody did yet."""
    changed = await session.execute(
        update(Cafe)
        .where(
            Cafe.id == cafe_id,
            Cafe.round_notice < notice,
            Cafe.round_ends_at <= due,
            Cafe.state == CafeState.running.value,
        )
        .values(round_notice=notice)
        .execution_options(synchronize_session=False)
    )
    return changed.rowcount == 1  # type: ignore[attr-defined]


async def tick(
    session: AsyncSession, cafe_id: int, now: datetime, presence_of: PresenceOf | None = None
) -> str | None:
    """Say what is due for this café's round, if anything and nobody said it yet: the event
    type appended (`cafe.round_ended` or `cafe.round_warning`), else None."""
    if await _advance(session, cafe_id, ROUND_ENDED, now):
        kind = "cafe.round_ended"
    elif await _advance(session, cafe_id, ROUND_WARNED, now + WARNING):
        kind = "cafe.round_warning"
    else:
        return None
    cafe = await lock_cafe(session, cafe_id)
    assert cafe.round_ends_at is not None
    data: dict = {"cafe_id": cafe.id, "round": cafe.round, "ends_at": iso(cafe.round_ends_at)}
    if kind == "cafe.round_warning":
        data["seconds_left"] = max(0, round((cafe.round_ends_at - now).total_seconds()))
    else:
        data["auto_rotate"] = cafe.auto_rotate
    await streams.append(session, cafe_topic(cafe.id), kind, data, space_id=cafe.space_id)
    if kind == "cafe.round_ended" and cafe.auto_rotate:
        present: Collection[int] | None = None
        if presence_of is not None:
            present = await presence_of([t.id for t in await tables_of(session, cafe.id)])
        # Nobody connected says nothing about who is there: everyone moves, as by hand.
        await rotate(session, cafe, cafe.created_by, present or None, auto=True)
    return kind


async def tick_due(
    writer: async_sessionmaker[AsyncSession],
    reader: async_sessionmaker[AsyncSession] | None = None,
    presence_of: PresenceOf | None = None,
) -> float:
    """Say everything due, each café in its own transaction; the seconds until the next
    warning or end (at most POLL_SECONDS). Looks go through `reader` (see the round
    tables' reminder: no write lock for a look)."""
    reader = reader or writer
    now = utcnow()
    pending = (Cafe.state == CafeState.running.value, Cafe.round_notice < ROUND_ENDED)
    async with reader() as session:
        due = (
            await session.scalars(
                select(Cafe.id).where(
                    *pending,
                    # Only what is due costs a write: a warned round is looked at again at its end.
                    or_(
                        Cafe.round_ends_at <= now,
                        and_(Cafe.round_notice < ROUND_WARNED, Cafe.round_ends_at <= now + WARNING),
                    ),
                )
            )
        ).all()
        await session.rollback()
    for cafe_id in due:
        async with writer() as session, transaction(session):
            await tick(session, cafe_id, now, presence_of)
    async with reader() as session:
        upcoming = await session.scalar(
            select(func.min(Cafe.round_ends_at)).where(*pending, Cafe.round_ends_at > now)
        )
        warned = await session.scalar(
            select(func.min(Cafe.round_ends_at)).where(
                *pending, Cafe.round_notice < ROUND_WARNED, Cafe.round_ends_at > now + WARNING
            )
        )
        await session.rollback()
    waits = [POLL_SECONDS]
    if upcoming is not None:
        waits.append((upcoming - utcnow()).total_seconds())
    if warned is not None:
        waits.append((warned - WARNING - utcnow()).total_seconds())
    return max(0.05, min(waits))


async def run_round_clock(
    writer: async_sessionmaker[AsyncSession],
    reader: async_sessionmaker[AsyncSession],
    presence_of: PresenceOf | None = None,
) -> None:
    """Keep time, forever (cancelled at shutdown; see forum.lib.deadlines)."""
    await keep_time(
        lambda: tick_due(writer, reader, presence_of),
        name="the café round clock",
        log=log,
        poll_seconds=POLL_SECONDS,
    )
