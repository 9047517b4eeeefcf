"""Every read and write of world cafés, for HTTP and the websocket alike.

A café belongs to a workshop space and is run by that space's moderators. Writes are
named functions that commit, appending their events to the outbox in the same
transaction: `cafe:{id}` hears `cafe.updated`, `cafe.round_started`, `cafe.announcement`
and `cafe.closed`; `table:{id}` hears `message.created`, `message.hidden`,
`message.updated` and `table.harvest`. Presence is a passing signal the websocket layer
sends (see `presence_data`).

Concurrency: writes that depend on the café's state take a lock on its row first (FOR
UPDATE to change seating or close it, FOR SHARE to post or harvest; SQLite serializes
every writer anyway), so a message is either in the archive thread or refused because
the café is closed: nothing said at a table is lost.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import Row, bindparam, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from forum import audit, streams
from forum.accounts.models import User
from forum.accounts.schemas import author_out, iso
from forum.accounts.viewer import Viewer, load_viewer
from forum.cafes import policy
from forum.cafes.models import Cafe, CafeSeat, CafeState, CafeTable, CafeVisit, TableMessage
from forum.cafes.schemas import (
    MAX_CLIENT_ID_CHARS,
    MAX_HARVEST_CHARS,
    MAX_MESSAGE_CHARS,
    CafeIn,
    CafeOut,
    MessageOut,
    TableOut,
    message_out,
    message_stub,
)
from forum.cafes.seating import TableSlot, choose_table_for_join, plan_round
from forum.lib import counters, markdown
from forum.lib.db import race_savepoint, utcnow
from forum.lib.errors import Conflict, Forbidden, ForumError, Invalid, NotFound
from forum.lib.pagination import Page, check_limit, decode_cursor, encode_cursor
from forum.spaces import services as spaces
from forum.spaces.models import Space, SpaceKind
from forum.spaces.policy import can_see_space, can_see_space_of
from forum.threads import services as threads
from forum.threads.schemas import ThreadIn

# ---------------------------------------------------------------------------------------
# Topics and payloads


def cafe_topic(cafe_id: int) -> str:
    return f"cafe:{cafe_id}"


def table_topic(table_id: int) -> str:
    return f"table:{table_id}"


def presence_data(table_id: int, user_ids: list[int] | set[int]) -> dict:
    """The payload of a `presence` signal on `table:{id}`: who is at the table now."""
    return {"table_id": table_id, "user_ids": sorted(set(user_ids))}


async def cafe_views(session: AsyncSession, cafes: list[Cafe]) -> list[CafeOut]:
    """Café views for many cafés with a fixed number of queries."""
    if not cafes:
        return []
    cafe_ids = [c.id for c in cafes]
    slugs = dict(
        (await session.execute(select(Space.id, Space.slug).where(Space.id.in_({c.space_id for c in cafes}))))
        .tuples()
        .all()
    )
    tables = (
        await session.scalars(
            select(CafeTable).where(CafeTable.cafe_id.in_(cafe_ids)).order_by(CafeTable.position)
        )
    ).all()
    hosts = {
        u.id: u
        for u in (await session.scalars(select(User).where(User.id.in_({t.host_id for t in tables})))).all()
    }
    seated: dict[int, list[int]] = defaultdict(list)
    for user_id, table_id in (
        await session.execute(
            select(CafeSeat.user_id, CafeSeat.table_id)
            .where(CafeSeat.cafe_id.in_(cafe_ids))
            .order_by(CafeSeat.user_id)
        )
    ).tuples():
        seated[table_id].append(user_id)
    by_cafe: dict[int, list[TableOut]] = defaultdict(list)
    for table in tables:
        by_cafe[table.cafe_id].append(_table_out(table, hosts[table.host_id], seated[table.id]))
    return [
        CafeOut(
            id=c.id,
            space=slugs[c.space_id],
            title=c.title,
            state=c.state,
            round=c.round,
            round_seconds=c.round_seconds,
            round_ends_at=iso(c.round_ends_at),
            tables=by_cafe[c.id],
            created_by=c.created_by,
            created_at=iso(c.created_at) or "",
            thread_id=c.archive_thread_id,
        )
        for c in cafes
    ]


async def cafe_view(session: AsyncSession, cafe: Cafe) -> CafeOut:
    return (await cafe_views(session, [cafe]))[0]


def _table_out(table: CafeTable, host: User, seated: list[int]) -> TableOut:
    return TableOut(
        id=table.id,
        cafe_id=table.cafe_id,
        position=table.position,
        topic=table.topic,
        host=author_out(host),
        participant_ids=[uid for uid in seated if uid != table.host_id],
        harvest=table.harvest,
        message_count=table.message_count,
    )


async def table_view(session: AsyncSession, table: CafeTable) -> TableOut:
    host = await session.get(User, table.host_id)
    assert host is not None
    seated = (
        await session.scalars(
            select(CafeSeat.user_id).where(CafeSeat.table_id == table.id).order_by(CafeSeat.user_id)
        )
    ).all()
    return _table_out(table, host, list(seated))


async def message_view(session: AsyncSession, message: TableMessage) -> MessageOut:
    author = await session.get(User, message.author_id)
    assert author is not None
    return message_out(message, author)


async def message_data(session: AsyncSession, message: TableMessage) -> dict:
    """The Message as plain JSON data, for event payloads and websocket frames."""
    return msgspec.to_builtins(await message_view(session, message))


# ---------------------------------------------------------------------------------------
# Finding what the viewer may see


@dataclass
class VisibleTable:
    table: CafeTable
    cafe: Cafe
    space: Space


async def _find_cafe(session: AsyncSession, viewer: Viewer, cafe_id: int) -> tuple[Cafe, Space]:
    cafe = await session.get(Cafe, cafe_id) if isinstance(cafe_id, int) else None
    space = await session.get(Space, cafe.space_id) if cafe is not None else None
    if cafe is None or space is None or not can_see_space(viewer, space):
        raise NotFound(f"no café with id {cafe_id}")
    return cafe, space


async def get_cafe(session: AsyncSession, viewer: Viewer, cafe_id: int) -> Cafe:
    """The café, if the viewer may see its space; else NotFound."""
    cafe, _ = await _find_cafe(session, viewer, cafe_id)
    return cafe


async def _lock_cafe(session: AsyncSession, cafe_id: int, *, shared: bool = False) -> Cafe:
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


async def _has_sat_at(session: AsyncSession, user_id: int | None, table_id: int) -> bool:
    if user_id is None:
        return False
    visit = await session.scalar(
        select(CafeVisit.id).where(CafeVisit.user_id == user_id, CafeVisit.table_id == table_id).limit(1)
    )
    return visit is not None


async def _seat_of(session: AsyncSession, cafe_id: int, user_id: int | None) -> CafeSeat | None:
    if user_id is None:
        return None
    return await session.scalar(
        select(CafeSeat).where(CafeSeat.cafe_id == cafe_id, CafeSeat.user_id == user_id)
    )


async def _find_table(session: AsyncSession, viewer: Viewer, table_id: int) -> VisibleTable:
    """The table if the viewer may read it (see policy.can_read_table); else NotFound."""
    table = await session.get(CafeTable, table_id) if isinstance(table_id, int) else None
    if table is None:
        raise NotFound(f"no table with id {table_id}")
    try:
        cafe, space = await _find_cafe(session, viewer, table.cafe_id)
    except NotFound:
        raise NotFound(f"no table with id {table_id}") from None
    sat = await _has_sat_at(session, viewer.id, table.id)
    if not policy.can_read_table(viewer, table.host_id, space.id, has_sat_there=sat):
        raise NotFound(f"no table with id {table_id}")
    return VisibleTable(table, cafe, space)


async def get_table_for_reader(session: AsyncSession, viewer: Viewer, table_id: int) -> CafeTable:
    """The table if the viewer may read it: seated there now or before, its host, or a
    moderator of the space (who must also see the space); else NotFound."""
    return (await _find_table(session, viewer, table_id)).table


async def _tables(session: AsyncSession, cafe_id: int) -> list[CafeTable]:
    return list(
        (
            await session.scalars(
                select(CafeTable).where(CafeTable.cafe_id == cafe_id).order_by(CafeTable.position)
            )
        ).all()
    )


def _require_open(cafe: Cafe) -> None:
    _require_open_state(cafe.id, cafe.state)


def _require_open_state(cafe_id: int, state: str) -> None:
    if state == CafeState.closed.value:
        raise Conflict(f"café {cafe_id} is closed")


def _require_runner(viewer: Viewer, space: Space, what: str) -> None:
    if not policy.can_run_cafe(viewer, space.id):
        raise Forbidden(f"only a moderator of this space may {what}")


# ---------------------------------------------------------------------------------------
# Cafés


async def create_cafe(session: AsyncSession, viewer: Viewer, slug: str, data: CafeIn) -> Cafe:
    """A new café in a workshop space, its hosts seated at their tables."""
    actor = viewer.require_user()
    space = await spaces.get_space(session, viewer, slug)
    _require_runner(viewer, space, "create a café")
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
        after={"title": cafe.title, "tables": len(tables), "round_seconds": cafe.round_seconds},
    )
    return cafe


async def list_cafes(
    session: AsyncSession, viewer: Viewer, slug: str, *, limit: int | None = None, cursor: str | None = None
) -> Page[CafeOut]:
    """The cafés of a space, newest first."""
    limit = check_limit(limit)
    space = await spaces.get_space(session, viewer, slug)
    query = select(Cafe).where(Cafe.space_id == space.id)
    position = decode_cursor(cursor, 1)
    if position is not None:
        if not isinstance(position[0], int):
            raise Invalid("cursor is not one this service gave out", field="cursor")
        query = query.where(Cafe.id < position[0])
    cafes = list((await session.scalars(query.order_by(Cafe.id.desc()).limit(limit + 1))).all())
    nxt = encode_cursor([cafes[limit - 1].id]) if len(cafes) > limit else None
    return Page(items=await cafe_views(session, cafes[:limit]), next=nxt)


async def join_cafe(session: AsyncSession, viewer: Viewer, cafe_id: int) -> CafeTable:
    """Seat the viewer: a host at their table, anyone else at the least full table.

    Joining again returns the seat the viewer already has.
    """
    user = viewer.require_user()
    cafe, space = await _find_cafe(session, viewer, cafe_id)
    cafe = await _lock_cafe(session, cafe.id)
    _require_open(cafe)
    tables = await _tables(session, cafe.id)
    seat = await _seat_of(session, cafe.id, user.id)
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
        seat = await _seat_of(session, cafe_id, user.id)
        if seat is None:
            raise
        table = await session.get(CafeTable, seat.table_id)
        assert table is not None
        return table
    await streams.append(
        session,
        cafe_topic(cafe.id),
        "cafe.updated",
        msgspec.to_builtins(await cafe_view(session, cafe)),
        space_id=space.id,
    )
    return next(t for t in tables if t.id == table_id)


async def start_round(session: AsyncSession, viewer: Viewer, cafe_id: int) -> Cafe:
    """The next round: every participant moves (forum.cafes.seating.plan_round), the clock restarts."""
    actor = viewer.require_user()
    _, space = await _find_cafe(session, viewer, cafe_id)
    _require_runner(viewer, space, "start a round")
    cafe = await _lock_cafe(session, cafe_id)
    _require_open(cafe)
    tables = await _tables(session, cafe.id)
    seats = list((await session.scalars(select(CafeSeat).where(CafeSeat.cafe_id == cafe.id))).all())
    visits: dict[int, Counter[int]] = defaultdict(Counter)
    for user_id, table_id in (
        await session.execute(
            select(CafeVisit.user_id, CafeVisit.table_id).where(CafeVisit.cafe_id == cafe.id)
        )
    ).tuples():
        visits[user_id][table_id] += 1
    slots = [TableSlot(id=t.id, position=t.position, host_id=t.host_id) for t in tables]
    plan = plan_round(slots, {s.user_id: s.table_id for s in seats}, visits)
    now = utcnow()
    cafe.round += 1
    cafe.state = CafeState.running.value
    # The server's clock is the only clock: every client counts down to this instant.
    cafe.round_ends_at = now + timedelta(seconds=cafe.round_seconds)
    for seat in seats:
        seat.table_id = plan[seat.user_id]
        seat.joined_at = now
        session.add(
            CafeVisit(cafe_id=cafe.id, user_id=seat.user_id, table_id=seat.table_id, round=cafe.round)
        )
    await session.flush()
    view = await cafe_view(session, cafe)
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
        },
        space_id=space.id,
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action="cafe.round",
        target_type="cafe",
        target_id=cafe.id,
        space_id=space.id,
        after={"round": cafe.round},
    )
    return cafe


async def announce(session: AsyncSession, viewer: Viewer, cafe_id: int, text: str) -> None:
    """A moderator speaks to every table at once (event `cafe.announcement`)."""
    actor = viewer.require_user()
    _, space = await _find_cafe(session, viewer, cafe_id)
    _require_runner(viewer, space, "announce to the café")
    cafe = await _lock_cafe(session, cafe_id, shared=True)
    _require_open(cafe)
    if not text.strip():
        raise Invalid("text: an announcement needs some text", field="text")
    await streams.append(
        session,
        cafe_topic(cafe.id),
        "cafe.announcement",
        {"cafe_id": cafe.id, "text": text, "at": iso(utcnow()), "by": msgspec.to_builtins(author_out(actor))},
        space_id=space.id,
    )


# ---------------------------------------------------------------------------------------
# Table messages and harvests


async def _existing_message(session: AsyncSession, author_id: int, client_id: str) -> TableMessage | None:
    return await session.scalar(
        select(TableMessage).where(TableMessage.author_id == author_id, TableMessage.client_id == client_id)
    )


@dataclass(frozen=True)
class MessageDraft:
    """One message someone asks to say at a table (see `post_messages`)."""

    viewer: Viewer
    table_id: int
    body: str
    client_id: str | None = None


@dataclass(frozen=True)
class Posted:
    """What became of a draft: the stored message, whether it is new, and for a new one the
    seq of its `message.created` event (None for a repeat: the first send's event has it)."""

    message: TableMessage
    created: bool
    seq: int | None = None


def _check_draft(draft: MessageDraft) -> User:
    """What needs no database: the writer may write, the body and client_id are well formed."""
    user = draft.viewer.require_can_write()
    if not isinstance(draft.body, str) or not draft.body.strip():
        raise Invalid("body: a message needs some text", field="body")
    if len(draft.body) > MAX_MESSAGE_CHARS:
        raise Invalid(f"body: at most {MAX_MESSAGE_CHARS} characters", field="body")
    client_id = draft.client_id
    if client_id is not None and not (
        isinstance(client_id, str) and 1 <= len(client_id) <= MAX_CLIENT_ID_CHARS
    ):
        raise Invalid(f"client_id: 1 to {MAX_CLIENT_ID_CHARS} characters", field="client_id")
    if not isinstance(draft.table_id, int):
        raise NotFound(f"no table with id {draft.table_id}")
    return user


def _repeat(existing: TableMessage, table_id: int) -> Posted:
    """A client_id sent again: the stored message if it was said at this table."""
    if existing.table_id != table_id:
        raise Conflict("this client_id was already used for a message at another table", field="client_id")
    return Posted(existing, False)


# The write path's reads, built once: SQLAlchemy finds a statement's compiled form by its
# cache key, and a statement object built per call computes that key again each time. They
# are Core statements on the tables, run on the session's connection: plain rows, no
# entities to build, no identity map to consult (the ORM's share of a read is most of it).
_cafe_tables = CafeTable.__table__
_cafes = Cafe.__table__
_spaces = Space.__table__
_seats = CafeSeat.__table__
_table_messages = TableMessage.__table__

# What the rules need of the tables written to, their cafés and spaces (FOR SHARE of the
# cafés on PostgreSQL, so a closing café waits for these messages or refuses them; SQLite
# serializes writers with BEGIN IMMEDIATE and ignores it).
_WRITE_CONTEXT = (
    select(
        _cafe_tables.c.id,
        _cafe_tables.c.host_id,
        _cafes.c.id.label("cafe_id"),
        _cafes.c.state.label("cafe_state"),
        _spaces.c.id.label("space_id"),
        _spaces.c.visibility,
        _spaces.c.allowed_roles,
    )
    .select_from(
        _cafe_tables.join(_cafes, _cafes.c.id == _cafe_tables.c.cafe_id).join(
            _spaces, _spaces.c.id == _cafes.c.space_id
        )
    )
    .where(_cafe_tables.c.id.in_(bindparam("table_ids", expanding=True)))
    .with_for_update(read=True, of=_cafes)
)
# Where the writers sit now in those cafés.
_WRITER_SEATS = select(_seats.c.cafe_id, _seats.c.user_id, _seats.c.table_id).where(
    _seats.c.cafe_id.in_(bindparam("cafe_ids", expanding=True)),
    _seats.c.user_id.in_(bindparam("user_ids", expanding=True)),
)
# Messages stored before under the drafts' client_ids (pairs are matched in Python); a
# repeat is rare, so only its id is read here and the message is loaded when one is found.
_EARLIER_SENDS = select(_table_messages.c.id, _table_messages.c.author_id, _table_messages.c.client_id).where(
    _table_messages.c.author_id.in_(bindparam("author_ids", expanding=True)),
    _table_messages.c.client_id.in_(bindparam("client_ids", expanding=True)),
)
_INSERT_MESSAGES = insert(_table_messages).returning(_table_messages.c.id, sort_by_parameter_order=True)


async def post_message(
    session: AsyncSession, viewer: Viewer, table_id: int, body: str, client_id: str | None = None
) -> tuple[TableMessage, bool]:
    """Say something at a table; returns (message, created). See `post_messages`."""
    (result,) = await post_messages(session, [MessageDraft(viewer, table_id, body, client_id)])
    if isinstance(result, ForumError):
        raise result
    return result.message, result.created


async def post_messages(session: AsyncSession, drafts: list[MessageDraft]) -> list[Posted | ForumError]:
    """Say several things at tables in one transaction; one result or error per draft, in order.

    Each draft follows the rules of one message: allowed to who sits at the table now, its
    host and the space's moderators, if not silenced, while the café is not closed. A
    repeated client_id (stored before, or earlier in the same call) returns the first
    message, whatever has changed since, or a Conflict if it was said at another table.

    Three reads for the whole call (the tables with their cafés and spaces, the writers'
    seats, earlier sends of the client_ids), then one counter update for all the tables, one
    insert for all messages, and the same two for their events (`streams.append_many`): the
    cost of a transaction is shared by everything written in it (`forum.cafes.writer`).
    New messages are returned detached (not in the session), as if loaded and the session
    closed.
    """
    results: list[Posted | ForumError | None] = [None] * len(drafts)
    writers: dict[int, User] = {}
    for i, draft in enumerate(drafts):
        try:
            writers[i] = _check_draft(draft)
        except ForumError as exc:
            results[i] = exc
    if not writers:
        return _all_answered(results)

    table_ids = sorted({drafts[i].table_id for i in writers})
    connection = await session.connection()
    tables = {row.id: row for row in await connection.execute(_WRITE_CONTEXT, {"table_ids": table_ids})}
    cafe_ids = sorted({row.cafe_id for row in tables.values()})
    user_ids = sorted({user.id for user in writers.values()})
    seats = (
        {
            (cafe_id, user_id): table_id
            for cafe_id, user_id, table_id in await connection.execute(
                _WRITER_SEATS, {"cafe_ids": cafe_ids, "user_ids": user_ids}
            )
        }
        if cafe_ids
        else {}
    )
    client_ids = sorted({drafts[i].client_id for i in writers if drafts[i].client_id is not None})
    earlier: dict[tuple[int, str], TableMessage] = {}
    if client_ids:
        found_ids = {
            message_id: (author_id, client_id)
            for message_id, author_id, client_id in await connection.execute(
                _EARLIER_SENDS, {"author_ids": user_ids, "client_ids": client_ids}
            )
        }
        if found_ids:
            for message in await session.scalars(select(TableMessage).where(TableMessage.id.in_(found_ids))):
                earlier[found_ids[message.id]] = message

    accepted: list[int] = []
    first_of: dict[tuple[int, str], int] = {}  # a client_id's first draft in this call
    repeats: dict[int, int] = {}  # a later draft -> that first draft
    for i, user in writers.items():
        draft = drafts[i]
        key = (user.id, draft.client_id) if draft.client_id is not None else None
        try:
            if key is not None and key in earlier:
                results[i] = _repeat(earlier[key], draft.table_id)
                continue
            if key is not None and key in first_of:
                repeats[i] = first_of[key]
                continue
            table = tables.get(draft.table_id)
            if table is None or not can_see_space_of(
                draft.viewer, table.space_id, table.visibility, table.allowed_roles
            ):
                raise NotFound(f"no table with id {draft.table_id}")
            seated_now = seats.get((table.cafe_id, user.id)) == table.id
            if not policy.can_write_table(draft.viewer, table.host_id, table.space_id, seated_now=seated_now):
                # Refused either way; whether the table exists for the writer decides how.
                # Writing needs a seat there now, which implies having sat there, so only a
                # refusal asks.
                sat = await _has_sat_at(session, user.id, table.id)
                if policy.can_read_table(draft.viewer, table.host_id, table.space_id, has_sat_there=sat):
                    raise Forbidden("you no longer sit at this table: write at the table where you sit now")
                raise NotFound(f"no table with id {draft.table_id}")
            _require_open_state(table.cafe_id, table.cafe_state)
        except ForumError as exc:
            results[i] = exc
            continue
        accepted.append(i)
        if key is not None:
            first_of[key] = i

    if accepted:
        try:
            async with race_savepoint(session):
                created = await _store(
                    session, [(drafts[i], writers[i], tables[drafts[i].table_id]) for i in accepted]
                )
        except IntegrityError:
            # A client_id raced in from another process after the read above: the savepoint
            # undid this batch's writes.
            if len(drafts) > 1:
                # Alone, each draft finds what is stored now.
                return [(await post_messages(session, [draft]))[0] for draft in drafts]
            (i,) = accepted
            draft = drafts[i]
            existing = (
                await _existing_message(session, writers[i].id, draft.client_id) if draft.client_id else None
            )
            if existing is None:
                raise
            try:
                return [_repeat(existing, draft.table_id)]
            except ForumError as exc:
                return [exc]
        for i, posted in zip(accepted, created, strict=True):
            results[i] = posted
    for i, first in repeats.items():
        first_result = results[first]
        results[i] = Posted(first_result.message, False) if isinstance(first_result, Posted) else first_result
    return _all_answered(results)


def _all_answered(results: list[Posted | ForumError | None]) -> list[Posted | ForumError]:
    answered = [r for r in results if r is not None]
    assert len(answered) == len(results), "every draft gets a result or an error"
    return answered


async def _store(session: AsyncSession, accepted: list[tuple[MessageDraft, User, Row[Any]]]) -> list[Posted]:
    """Number, insert and announce the accepted drafts, in order, in the open transaction."""
    table_ids = [table.id for _, _, table in accepted]
    last = await counters.bump(session, _cafe_tables.c.id, _cafe_tables.c.message_count, Counter(table_ids))
    numbers = counters.numbers_in_order(table_ids, last)
    now = utcnow()
    rows = []
    for (draft, user, table), number in zip(accepted, numbers, strict=True):
        rows.append(
            {
                "table_id": table.id,
                "number": number,
                "author_id": user.id,
                "body": draft.body,
                "html": markdown.render(draft.body),
                "client_id": draft.client_id,
                "status": "published",
                "moderation_reason": None,
                "created_at": now,
            }
        )
    ids = (await session.execute(_INSERT_MESSAGES, rows)).scalars().all()
    # A table this session already holds keeps its count as stored, without a write of its own.
    for table_id, count in last.items():
        held = session.identity_map.get(identity_key(CafeTable, table_id))
        if held is not None:
            set_committed_value(held, "message_count", count)
    messages = []
    for message_id, values in zip(ids, rows, strict=True):
        message = TableMessage(id=message_id, **values)
        make_transient_to_detached(message)
        messages.append(message)
    events = await streams.append_many(
        session,
        [
            streams.EventDraft(
                table_topic(message.table_id),
                "message.created",
                msgspec.to_builtins(message_out(message, user)),
                owner_id=user.id,
                space_id=table.space_id,
            )
            for message, (_, user, table) in zip(messages, accepted, strict=True)
        ],
    )
    return [Posted(message, True, ev.seq) for message, ev in zip(messages, events, strict=True)]


async def list_messages(
    session: AsyncSession, viewer: Viewer, table_id: int, *, after: int = 0, limit: int | None = None
) -> Page[MessageOut]:
    """Messages with number > after, ascending; hidden ones only to their author and moderators."""
    if after < 0:
        raise Invalid("after must be 0 or more", field="after")
    limit = check_limit(limit)
    found = await _find_table(session, viewer, table_id)
    query = (
        select(TableMessage, User)
        .join(User, User.id == TableMessage.author_id)
        .where(TableMessage.table_id == table_id, TableMessage.number > after)
    )
    if not viewer.moderates(found.space.id):
        visible = TableMessage.status.in_(policy.VISIBLE_MESSAGE_STATUSES)
        query = query.where(or_(visible, TableMessage.author_id == viewer.id) if viewer.id else visible)
    rows = (await session.execute(query.order_by(TableMessage.number).limit(limit + 1))).tuples().all()
    items = [message_out(m, author) for m, author in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next=str(items[-1].number) if more and items else None)


async def set_harvest(session: AsyncSession, viewer: Viewer, table_id: int, body: str) -> CafeTable:
    """The host writes what their table harvested (replacing the previous text)."""
    user = viewer.require_can_write()
    if len(body) > MAX_HARVEST_CHARS:
        raise Invalid(f"body: at most {MAX_HARVEST_CHARS} characters", field="body")
    found = await _find_table(session, viewer, table_id)
    table, space = found.table, found.space
    if table.host_id != user.id:
        raise Forbidden("only the table's host writes its harvest")
    cafe = await _lock_cafe(session, table.cafe_id, shared=True)
    _require_open(cafe)
    if body == table.harvest:
        return table
    table.harvest = body
    await session.flush()
    await streams.append(
        session,
        table_topic(table.id),
        "table.harvest",
        msgspec.to_builtins(await table_view(session, table)),
        space_id=space.id,
    )
    return table


async def set_message_status(
    session: AsyncSession, viewer: Viewer, message_id: int, status: str, reason: str | None
) -> TableMessage:
    """Hide (`hidden`) or unhide (`published`) a table message: moderators of the space.

    Appends `message.hidden` (the full message to its author and moderators, a stub to
    everyone else) or `message.updated`, and writes the audit log.
    """
    actor = viewer.require_user()
    if status not in policy.MESSAGE_STATUSES:
        raise Invalid(f"status must be one of {sorted(policy.MESSAGE_STATUSES)}", field="status")
    message = await session.get(TableMessage, message_id)
    if message is None:
        raise NotFound(f"no message with id {message_id}")
    try:
        found = await _find_table(session, viewer, message.table_id)
    except NotFound:
        raise NotFound(f"no message with id {message_id}") from None
    space = found.space
    if not policy.can_see_message(viewer, message, space.id):
        raise NotFound(f"no message with id {message_id}")
    if not viewer.moderates(space.id):
        raise Forbidden("only a moderator of this space may hide or unhide table messages")
    if message.status == status:
        return message
    before = {"status": message.status}
    message.status = status
    message.moderation_reason = reason if status == "hidden" else None
    await session.flush()
    author = await session.get(User, message.author_id)
    assert author is not None
    data = msgspec.to_builtins(message_out(message, author))
    hidden = status == "hidden"
    await streams.append(
        session,
        table_topic(message.table_id),
        "message.hidden" if hidden else "message.updated",
        data,
        owner_id=message.author_id,
        space_id=space.id,
        public_type="message.hidden" if hidden else None,
        public_data=message_stub(message) if hidden else None,
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action="message.hide" if hidden else "message.unhide",
        target_type="message",
        target_id=message.id,
        space_id=space.id,
        reason=reason,
        before=before,
        after={"status": status},
    )
    return message


# ---------------------------------------------------------------------------------------
# Closing: the archive thread

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _escape(text: str) -> str:
    """Plain text inside Markdown (names, topics): shown as typed, never as markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _quote(body: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in body.splitlines() or [""])


def table_archive(table: CafeTable, host: User, messages: list[tuple[TableMessage, User]]) -> str:
    """The Markdown post that keeps one table: topic, host, harvest, the whole transcript.

    Hidden messages keep their number and author but not their text, which stays in the
    table's record for moderators: the archive is public to the space.
    """
    parts = [
        f"## Table {table.position}: {_escape(table.topic)}",
        f"Host: {_escape(host.display_name)}",
        "### Harvest",
        table.harvest.strip() or "_No harvest was written at this table._",
        f"### Transcript ({len(messages)} messages)",
    ]
    if not messages:
        parts.append("_Nothing was written at this table._")
    for message, author in messages:
        when = message.created_at.strftime("%Y-%m-%d %H:%M UTC")
        parts.append(f"**{_escape(author.display_name)}** · {when} · #{message.number}")
        if message.status in policy.VISIBLE_MESSAGE_STATUSES:
            parts.append(_quote(message.body))
        else:
            parts.append("> _(hidden by a moderator)_")
    return "\n\n".join(parts) + "\n"


async def close_cafe(session: AsyncSession, viewer: Viewer, cafe_id: int) -> int:
    """Close the café and keep it as a thread in its space, one post per table, published
    at once under the closing moderator's name. Returns the thread id; closing a closed
    café returns the same thread."""
    actor = viewer.require_user()
    _, space = await _find_cafe(session, viewer, cafe_id)
    _require_runner(viewer, space, "close the café")
    cafe = await _lock_cafe(session, cafe_id)
    if cafe.state == CafeState.closed.value and cafe.archive_thread_id is not None:
        return cafe.archive_thread_id
    tables = await _tables(session, cafe.id)
    table_ids = [t.id for t in tables]
    rows = (
        await session.execute(
            select(TableMessage, User)
            .join(User, User.id == TableMessage.author_id)
            .where(TableMessage.table_id.in_(table_ids))
            .order_by(TableMessage.table_id, TableMessage.number)
        )
    ).tuples()
    by_table: dict[int, list[tuple[TableMessage, User]]] = defaultdict(list)
    for message, author in rows:
        by_table[message.table_id].append((message, author))
    hosts = {
        u.id: u
        for u in (await session.scalars(select(User).where(User.id.in_({t.host_id for t in tables})))).all()
    }
    bodies = [table_archive(table, hosts[table.host_id], by_table[table.id]) for table in tables]
    # The archive is written as the closing moderator would write it by hand: a thread
    # whose first post keeps the first table, then a post per further table.
    thread, _, _ = await threads.open_thread(
        session, viewer, space.slug, ThreadIn(title=f"World café: {cafe.title}"[:200], body=bodies[0])
    )
    for body in bodies[1:]:
        await threads.create_post(session, viewer, thread.id, body)
    cafe.state = CafeState.closed.value
    cafe.round_ends_at = None
    cafe.archive_thread_id = thread.id
    await streams.append(
        session,
        cafe_topic(cafe.id),
        "cafe.closed",
        {"cafe_id": cafe.id, "thread_id": thread.id},
        space_id=space.id,
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action="cafe.close",
        target_type="cafe",
        target_id=cafe.id,
        space_id=space.id,
        after={"thread_id": thread.id},
    )
    return thread.id
