"""What cafés, tables and table messages look like to clients, read with a fixed number of
queries however many tables a café has."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.schemas import author_out, iso
from forum.cafes.models import Cafe, CafeSeat, CafeTable, TableMessage
from forum.cafes.schemas import (
    CafeOut,
    MessageOut,
    TableOut,
    message_out,
)
from forum.spaces.models import Space


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
        by_cafe[table.cafe_id].append(table_out(table, hosts[table.host_id], seated[table.id]))
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


def table_out(table: CafeTable, host: User, seated: list[int]) -> TableOut:
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
    return table_out(table, host, list(seated))


async def message_view(session: AsyncSession, message: TableMessage) -> MessageOut:
    author = await session.get(User, message.author_id)
    assert author is not None
    return message_out(message, author)
