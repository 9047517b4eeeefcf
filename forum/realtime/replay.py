"""Reads of the event log: a topic's latest seq, the events after a seq, an ack's seq.

Each call takes a session the caller opened for just this read; nothing here holds a
session for the life of a socket.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.realtime.envelope import Envelope
from forum.streams.models import Event, TopicCounter

# Events read from the database per page of a replay; a long replay is sent page by page.
REPLAY_PAGE = 200


async def latest_seq(session: AsyncSession, topic: str) -> int:
    seq = await session.scalar(select(TopicCounter.seq).where(TopicCounter.topic == topic))
    return seq or 0


async def latest_seqs(session: AsyncSession, topics: list[str]) -> dict[str, int]:
    if not topics:
        return {}
    rows = await session.execute(
        select(TopicCounter.topic, TopicCounter.seq).where(TopicCounter.topic.in_(topics))
    )
    return {topic: seq for topic, seq in rows.all()}


async def events_after(
    session: AsyncSession, topic: str, after: int, *, until: int | None = None, limit: int = REPLAY_PAGE
) -> list[Envelope]:
    """Events of `topic` with after < seq (<= until), ascending, at most `limit`."""
    query = select(Event).where(Event.topic == topic, Event.seq > after)
    if until is not None:
        query = query.where(Event.seq <= until)
    rows = await session.scalars(query.order_by(Event.seq).limit(limit))
    return [Envelope.from_row(ev) for ev in rows.all()]


async def seq_of_created(session: AsyncSession, topic: str, type_: str, object_id: int) -> int | None:
    """The seq of the event that announced an object (for the ack of a repeated send)."""
    return await session.scalar(
        select(Event.seq)
        .where(Event.topic == topic, Event.type == type_, Event.data["id"].as_integer() == object_id)
        .order_by(Event.seq)
        .limit(1)
    )
