"""What cafés, tables and table messages look like to clients, read with a fixed number of
queries however many tables a café has.

A table's `message_count` is what its reader may see: every message for a moderator of the
space, else the messages not hidden plus the reader's own hidden ones. Without a reader
(`viewer` None: the data of events, which go to everyone) it is the public figure."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.schemas import author_out, iso
from forum.accounts.viewer import Viewer
from forum.cafes import policy
from forum.cafes.models import ROUND_ENDED, Cafe, CafeSeat, CafeTable, TableMessage
from forum.cafes.schemas import (
    CafeOut,
    MessageOut,
    TableOut,
    message_out,
)
from forum.spaces.models import Space


async def _own_hidden(
    session: AsyncSession, viewer: Viewer | None, tables: list[CafeTable]
) -> dict[int, int]:
    """The reader's own hidden messages per table, where the reader does not moderate the
    space and the table has hidden messages at all (one query for all such tables, or none)."""
    if viewer is None or viewer.id is None:
        return {}
    asked = [t.id for t in tables if t.hidden_count > 0]
    if not asked:
        return {}
    rows = await session.execute(
        select(TableMessage.table_id, func.count(TableMessage.id))
        .where(
            TableMessage.table_id.in_(asked),
            TableMessage.author_id == viewer.id,
            ~policy.VISIBLE_MESSAGE_SQL,
        )
        .group_by(TableMessage.table_id)
    )
    return dict(rows.tuples().all())


def _message_count(table: CafeTable, space_id: int, viewer: Viewer | None, own_hidden: dict[int, int]) -> int:
    if viewer is not None and viewer.moderates(space_id):
        return table.message_count
    return table.message_count - table.hidden_count + own_hidden.get(table.id, 0)


async def cafe_views(session: AsyncSession, cafes: list[Cafe], viewer: Viewer | None) -> list[CafeOut]:
    """Café views for many cafés with a fixed number of queries, as `viewer` may see them
    (None: what everyone may see)."""
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
    space_of = {c.id: c.space_id for c in cafes}
    unmoderated = [t for t in tables if viewer is None or not viewer.moderates(space_of[t.cafe_id])]
    own_hidden = await _own_hidden(session, viewer, unmoderated)
    by_cafe: dict[int, list[TableOut]] = defaultdict(list)
    for table in tables:
        count = _message_count(table, space_of[table.cafe_id], viewer, own_hidden)
        by_cafe[table.cafe_id].append(table_out(table, hosts[table.host_id], seated[table.id], count))
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
            auto_rotate=c.auto_rotate,
            round_over=c.round_notice >= ROUND_ENDED,
        )
        for c in cafes
    ]


async def cafe_view(session: AsyncSession, cafe: Cafe, viewer: Viewer | None) -> CafeOut:
    return (await cafe_views(session, [cafe], viewer))[0]


def table_out(table: CafeTable, host: User, seated: list[int], message_count: int) -> TableOut:
    """The Table; `message_count` is what its reader may see (see the module's docstring)."""
    participants = [uid for uid in seated if uid != table.host_id]
    return TableOut(
        id=table.id,
        cafe_id=table.cafe_id,
        position=table.position,
        topic=table.topic,
        host=author_out(host),
        participant_ids=participants,
        harvest=table.harvest,
        message_count=message_count,
        seated_count=len(participants) + 1,
    )


async def table_view(session: AsyncSession, table: CafeTable, viewer: Viewer | None) -> TableOut:
    """The table as `viewer` may see it (None: what everyone may see)."""
    # Found with the table (forum.cafes.access.find_table): no query.
    cafe = await session.get(Cafe, table.cafe_id)
    assert cafe is not None
    space_id = cafe.space_id
    host = await session.get(User, table.host_id)
    assert host is not None
    seated = (
        await session.scalars(
            select(CafeSeat.user_id).where(CafeSeat.table_id == table.id).order_by(CafeSeat.user_id)
        )
    ).all()
    unmoderated = [table] if viewer is None or not viewer.moderates(space_id) else []
    count = _message_count(table, space_id, viewer, await _own_hidden(session, viewer, unmoderated))
    return table_out(table, host, list(seated), count)


async def message_view(session: AsyncSession, message: TableMessage) -> MessageOut:
    author = await session.get(User, message.author_id)
    assert author is not None
    return message_out(message, author)
