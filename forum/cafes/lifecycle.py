"""A café's life: opening it, listing, joining (seating), rounds, announcements."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from datetime import timedelta

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from forum import audit, streams
from forum.accounts.models import User
from forum.accounts.schemas import author_out, iso
from forum.accounts.viewer import Viewer
from forum.cafes.access import (
    cafe_topic,
    find_cafe,
    lock_cafe,
    require_open,
    require_runner,
    seat_of,
    tables_of,
)
from forum.cafes.models import (
    ROUND_QUIET,
    ROUND_WARNED,
    Cafe,
    CafeSeat,
    CafeState,
    CafeTable,
    CafeVisit,
)
from forum.cafes.schemas import WARNING_SECONDS, CafeIn, CafeOut
from forum.cafes.seating import TableSlot, choose_table_for_join, plan_round
from forum.cafes.views import cafe_view, cafe_views
from forum.lib import hooks
from forum.lib.db import race_savepoint, utcnow
from forum.lib.errors import Conflict, Invalid
from forum.lib.pagination import Page, check_limit, decode_cursor, encode_cursor
from forum.lib.raw_input import Id
from forum.spaces import services as spaces
from forum.spaces.models import SpaceKind
from forum.spaces.policy import can_see_space
from forum.spaces.viewers import load_viewer

# ---------------------------------------------------------------------------------------
# Cafés


async def create_cafe(session: AsyncSession, viewer: Viewer, slug: str, data: CafeIn) -> Cafe:
    """A new café in a workshop space, its hosts seated at their tables."""
    actor = viewer.require_user()
    space = await spaces.get_space(session, viewer, slug)
    require_runner(viewer, space, "create a café")
    if space.kind != SpaceKind.workshop.value:
        raise Invalid(
            f"cafés are held in workshop spaces; {slug!r} is a space of kind {space.kind!r}", field="slug"
        )
    if not data.title.strip():
        raise Invalid("title: a café needs a title", field="title")
    for i, t in enumerate(data.tables):
        if not t.topic.strip():
            raise Invalid(f"tables[{i}].topic: a table needs a topic", field="tables")
    host_ids = [t.host_id for t in data.tables]
    seen: set[int] = set()
    for i, host_id in enumerate(host_ids):
        if host_id in seen:
            raise Invalid(f"tables[{i}].host_id: user {host_id} already hosts another table", field="tables")
        seen.add(host_id)
    users = {u.id: u for u in (await session.scalars(select(User).where(User.id.in_(seen)))).all()}
    for i, host_id in enumerate(host_ids):
        user = users.get(host_id)
        if user is None:
            raise Invalid(f"tables[{i}].host_id: no user with id {host_id}", field="tables")
        if not can_see_space(await load_viewer(session, user), space):
            raise Invalid(f"tables[{i}].host_id: user {host_id} may not see this space", field="tables")
    cafe = Cafe(
        space_id=space.id,
        title=data.title.strip(),
        state=CafeState.open.value,
        round=0,
        round_seconds=data.round_seconds,
        auto_rotate=data.auto_rotate,
        created_by=actor.id,
    )
    session.add(cafe)
    await session.flush()
    tables = [
        CafeTable(cafe_id=cafe.id, position=i + 1, topic=t.topic.strip(), host_id=t.host_id)
        for i, t in enumerate(data.tables)
    ]
    session.add_all(tables)
    await session.flush()
    for table in tables:
        session.add(CafeSeat(cafe_id=cafe.id, user_id=table.host_id, table_id=table.id))
        session.add(CafeVisit(cafe_id=cafe.id, user_id=table.host_id, table_id=table.id, round=0))
    await audit.record(
        session,
        actor_id=actor.id,
        action="cafe.create",
        target_type="cafe",
        target_id=cafe.id,
        space_id=space.id,
        after={
            "title": cafe.title,
            "tables": len(tables),
            "round_seconds": cafe.round_seconds,
            "auto_rotate": cafe.auto_rotate,
        },
    )
    # Watchers of the space hear of it (forum.attention).
    await hooks.run(hooks.CAFE_OPENED, session, cafe=cafe, space=space, actor=actor)
    return cafe


async def list_cafes(
    session: AsyncSession, viewer: Viewer, slug: str, *, limit: int | None = None, cursor: str | None = None
) -> Page[CafeOut]:
    """The cafés of a space, newest first."""
    limit = check_limit(limit)
    space = await spaces.get_space(session, viewer, slug)
    query = select(Cafe).where(Cafe.space_id == space.id)
    position = decode_cursor(cursor, tuple[Id])
    if position is not None:
        query = query.where(Cafe.id < position[0])
    cafes = list((await session.scalars(query.order_by(Cafe.id.desc()).limit(limit + 1))).all())
    nxt = encode_cursor([cafes[limit - 1].id]) if len(cafes) > limit else None
    return Page(items=await cafe_views(session, cafes[:limit], viewer), next=nxt)


async def join_cafe(session: AsyncSession, viewer: Viewer, cafe_id: int) -> CafeTable:
    """Seat the viewer: a host at their table, anyone else at the least full table.

    Joining again returns the seat the viewer already has.
    """
    user = viewer.require_user()
    cafe, space = await find_cafe(session, viewer, cafe_id)
    cafe = await lock_cafe(session, cafe.id)
    require_open(cafe)
    tables = await tables_of(session, cafe.id)
    seat = await seat_of(session, cafe.id, user.id)
    if seat is not None:
        return next(t for t in tables if t.id == seat.table_id)
    seating = dict(
        (
            await session.execute(
                select(CafeSeat.user_id, CafeSeat.table_id).where(CafeSeat.cafe_id == cafe.id)
            )
        )
        .tuples()
        .all()
    )
    slots = [TableSlot(id=t.id, position=t.position, host_id=t.host_id) for t in tables]
    table_id = choose_table_for_join(slots, seating, user.id)
    try:
        async with race_savepoint(session):
            session.add(CafeSeat(cafe_id=cafe.id, user_id=user.id, table_id=table_id))
            session.add(CafeVisit(cafe_id=cafe.id, user_id=user.id, table_id=table_id, round=cafe.round))
            await session.flush()
    except IntegrityError:
        # The same person joined at the same moment from another request: keep that seat.
        seat = await seat_of(session, cafe_id, user.id)
        if seat is None:
            raise
        table = await session.get(CafeTable, seat.table_id)
        assert table is not None
        return table
    await streams.append(
        session,
        cafe_topic(cafe.id),
        "cafe.updated",
        # Events go to everyone: what everyone may see.
        msgspec.to_builtins(await cafe_view(session, cafe, None)),
        space_id=space.id,
    )
    return next(t for t in tables if t.id == table_id)


async def start_round(
    session: AsyncSession, viewer: Viewer, cafe_id: int, present: Collection[int] | None = None
) -> Cafe:
    """The next round: every participant moves (forum.cafes.seating.plan_round), the clock
    restarts. `present` is who is connected now (None: unknown, everyone moves)."""
    actor = viewer.require_user()
    _, space = await find_cafe(session, viewer, cafe_id)
    require_runner(viewer, space, "start a round")
    cafe = await lock_cafe(session, cafe_id)
    require_open(cafe)
    await rotate(session, cafe, actor.id, present)
    return cafe


async def rotate(
    session: AsyncSession, cafe: Cafe, actor_id: int, present: Collection[int] | None, *, auto: bool = False
) -> None:
    """Move everyone to the next round's tables and restart the clock, on a café already
    locked and open; the event `cafe.round_started` and the audit entry (`auto`: started
    by the round clock at the end of the last round, on the facilitator's setting)."""
    tables = await tables_of(session, cafe.id)
    seats = list((await session.scalars(select(CafeSeat).where(CafeSeat.cafe_id == cafe.id))).all())
    visits: dict[int, Counter[int]] = defaultdict(Counter)
    for user_id, table_id in (
        await session.execute(
            select(CafeVisit.user_id, CafeVisit.table_id).where(CafeVisit.cafe_id == cafe.id)
        )
    ).tuples():
        visits[user_id][table_id] += 1
    slots = [TableSlot(id=t.id, position=t.position, host_id=t.host_id) for t in tables]
    plan = plan_round(slots, {s.user_id: s.table_id for s in seats}, visits, present)
    now = utcnow()
    cafe.round += 1
    cafe.state = CafeState.running.value
    # The server's clock is the only clock: every client counts down to this instant.
    cafe.round_ends_at = now + timedelta(seconds=cafe.round_seconds)
    # A round of a minute or less has no one-minute warning: only its end is said.
    cafe.round_notice = ROUND_WARNED if cafe.round_seconds <= WARNING_SECONDS else ROUND_QUIET
    for seat in seats:
        seat.table_id = plan[seat.user_id]
        seat.joined_at = now
        session.add(
            CafeVisit(cafe_id=cafe.id, user_id=seat.user_id, table_id=seat.table_id, round=cafe.round)
        )
    await session.flush()
    view = await cafe_view(session, cafe, None)  # for the event, which goes to everyone
    await streams.append(
        session,
        cafe_topic(cafe.id),
        "cafe.round_started",
        {
            "cafe_id": cafe.id,
            "round": cafe.round,
            "ends_at": view.round_ends_at,
            "round_seconds": cafe.round_seconds,
            "seating": {str(uid): tid for uid, tid in sorted(plan.items())},
            "tables": msgspec.to_builtins(view.tables),
            "auto": auto,
        },
        space_id=cafe.space_id,
    )
    await audit.record(
        session,
        actor_id=actor_id,
        action="cafe.round",
        target_type="cafe",
        target_id=cafe.id,
        space_id=cafe.space_id,
        after={"round": cafe.round, "auto": auto, "present": None if present is None else len(present)},
    )


async def extend_round(session: AsyncSession, viewer: Viewer, cafe_id: int, minutes: int) -> Cafe:
    """More time for the round under way (event `cafe.round_extended`, audit `cafe.extend`).

    The minutes are added to the end, or to now once the end has passed (a round that
    ended gets `minutes` from now). The round clock speaks again as the new end comes."""
    actor = viewer.require_user()
    _, space = await find_cafe(session, viewer, cafe_id)
    require_runner(viewer, space, "extend a round")
    cafe = await lock_cafe(session, cafe_id)
    require_open(cafe)
    if cafe.round_ends_at is None:
        raise Conflict("no round is under way: start one first")
    before = iso(cafe.round_ends_at)
    now = utcnow()
    cafe.round_ends_at = max(cafe.round_ends_at, now) + timedelta(minutes=minutes)
    # The warning is due again only if the new end is more than a minute away.
    left = (cafe.round_ends_at - now).total_seconds()
    cafe.round_notice = ROUND_QUIET if left > WARNING_SECONDS else ROUND_WARNED
    await session.flush()
    await streams.append(
        session,
        cafe_topic(cafe.id),
        "cafe.round_extended",
        {"cafe_id": cafe.id, "round": cafe.round, "ends_at": iso(cafe.round_ends_at), "minutes": minutes},
        space_id=space.id,
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action="cafe.extend",
        target_type="cafe",
        target_id=cafe.id,
        space_id=space.id,
        before={"ends_at": before},
        after={"ends_at": iso(cafe.round_ends_at), "minutes": minutes, "round": cafe.round},
    )
    return cafe


async def announce(session: AsyncSession, viewer: Viewer, cafe_id: int, text: str) -> None:
    """A moderator speaks to every table at once (event `cafe.announcement`)."""
    actor = viewer.require_user()
    _, space = await find_cafe(session, viewer, cafe_id)
    require_runner(viewer, space, "announce to the café")
    cafe = await lock_cafe(session, cafe_id, shared=True)
    require_open(cafe)
    if not text.strip():
        raise Invalid("text: an announcement needs some text", field="text")
    await streams.append(
        session,
        cafe_topic(cafe.id),
        "cafe.announcement",
        {"cafe_id": cafe.id, "text": text, "at": iso(utcnow()), "by": msgspec.to_builtins(author_out(actor))},
        space_id=space.id,
    )
