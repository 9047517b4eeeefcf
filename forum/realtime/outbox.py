"""The outbox: how every domain announces a change.

`append()` writes the event with the topic's next seq inside the caller's transaction;
the events are handed to the publisher only after that transaction commits (a rolled-back
change announces nothing). `signal()` sends a passing signal (presence) with no seq.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import bindparam, event, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, make_transient_to_detached

from forum.lib.db import utcnow
from forum.realtime.models import Event, TopicCounter

OUTBOX_KEY = "outbox"
LAST_SEQ_KEY = "last_seq"

# Every change appends an event, so its statements are built once, here: SQLAlchemy finds
# a statement's compiled form by its cache key, and a statement object built per call
# computes that key again each time. Core statements on the tables also skip the ORM's
# unit of work: the event row is written at once, not flushed at commit.
_counters = TopicCounter.__table__
_events = Event.__table__

# The bind is not named "topic": in an UPDATE that name belongs to the column's SET value.
_BUMP_SEQ = (
    update(_counters)
    .where(_counters.c.topic == bindparam("counter_topic"))
    .values(seq=_counters.c.seq + 1)
    .returning(_counters.c.seq)
)
# A topic's first event makes its counter row; a concurrent first writer may make it too.
_CREATE_COUNTER = {
    dialect: insert_(_counters)
    .values(topic=bindparam("counter_topic"), seq=0)
    .on_conflict_do_nothing(index_elements=["topic"])
    for dialect, insert_ in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_INSERT_EVENT = insert(_events)


class Publisher(Protocol):
    def publish(self, envelopes: list[dict[str, Any]]) -> None: ...


async def next_seq(session: AsyncSession, topic: str) -> int:
    """Bump the topic's counter; the row lock serializes writers of one topic."""
    params = {"counter_topic": topic}
    seq = (await session.execute(_BUMP_SEQ, params)).scalar_one_or_none()
    if seq is not None:
        return seq
    assert session.bind is not None
    await session.execute(_CREATE_COUNTER[session.bind.dialect.name], params)
    return (await session.execute(_BUMP_SEQ, params)).scalar_one()


def envelope(ev: Event) -> dict[str, Any]:
    return {
        "topic": ev.topic,
        "seq": ev.seq,
        "type": ev.type,
        "data": ev.data,
        "restricted": ev.restricted,
        "owner_id": ev.owner_id,
        "space_id": ev.space_id,
        "public_type": ev.public_type,
        "public_data": ev.public_data,
    }


async def append(
    session: AsyncSession,
    topic: str,
    type_: str,
    data: dict[str, Any],
    *,
    owner_id: int | None = None,
    space_id: int | None = None,
    public_type: str | None = None,
    public_data: dict[str, Any] | None = None,
) -> Event:
    """Store an event for `topic` in the current transaction; publish it after commit.

    Pass `public_type`/`public_data` to restrict the full event to its owner and the
    moderators of `space_id`; everyone else receives the public version.

    The row is written at once; the Event returned is detached (not in the session), as
    if loaded and the session closed.
    """
    seq = await next_seq(session, topic)
    values = {
        "topic": topic,
        "seq": seq,
        "type": type_,
        "data": data,
        "restricted": public_type is not None,
        "owner_id": owner_id,
        "space_id": space_id,
        "public_type": public_type,
        "public_data": public_data,
        "created_at": utcnow(),
    }
    result = await session.execute(_INSERT_EVENT, values)
    ev = Event(id=result.inserted_primary_key[0], **values)
    make_transient_to_detached(ev)
    session.info.setdefault(OUTBOX_KEY, []).append(envelope(ev))
    # The last seq each topic got in this session: the websocket's `ack` reports it.
    session.info.setdefault(LAST_SEQ_KEY, {})[topic] = seq
    return ev


def signal(
    session_or_publisher: AsyncSession | Publisher, topic: str, type_: str, data: dict[str, Any]
) -> None:
    """Send a passing signal with no seq, now (it is not stored and not replayed)."""
    publisher = (
        session_or_publisher.info.get("publisher")
        if isinstance(session_or_publisher, AsyncSession)
        else session_or_publisher
    )
    if publisher is not None:
        publisher.publish([{"topic": topic, "seq": None, "type": type_, "data": data, "restricted": False}])


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    pending = session.info.pop(OUTBOX_KEY, None)
    publisher = session.info.get("publisher")
    if pending and publisher is not None:
        publisher.publish(pending)


@event.listens_for(Session, "after_rollback")
def _discard_after_rollback(session: Session) -> None:
    session.info.pop(OUTBOX_KEY, None)
