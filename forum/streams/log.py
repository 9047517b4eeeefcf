"""Writing the event log: how every domain announces a change.

`append()` writes the event with the topic's next seq inside the caller's transaction;
the events are handed to the publisher only after that transaction commits (a rolled-back
change announces nothing). `signal()` sends a passing signal (presence, an account's
change) with no seq. `StreamEvent` is the one typed record of an event: what the writer
hands the broker, what the broker carries, and what a replay reads back.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec
from sqlalchemy import bindparam, event, insert, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached

from forum.lib import counters
from forum.lib.db import AFTER_COMMIT_WAITS, utcnow
from forum.streams.models import Event, TopicCounter

log = logging.getLogger("forum")

OUTBOX_KEY = "outbox"

# Every change appends an event, so its statements are built once, here: SQLAlchemy finds
# a statement's compiled form by its cache key, and a statement object built per call
# computes that key again each time. Core statements on the tables also skip the ORM's
# unit of work: the event row is written at once, not flushed at commit.
_counters = TopicCounter.__table__
_events = Event.__table__

# A topic's first event makes its counter row; a concurrent first writer may make it too.
_CREATE_COUNTER = {
    dialect: insert_(_counters)
    .values(topic=bindparam("counter_topic"), seq=0)
    .on_conflict_do_nothing(index_elements=["topic"])
    for dialect, insert_ in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
# Several rows in one statement (SQLAlchemy's insertmanyvalues). Each id is matched to its
# row by (topic, seq), which is unique: asking for the ids in the order given instead
# (`sort_by_parameter_order`) makes SQLAlchemy send SQLite one INSERT per row, since that
# dialect has no way to keep RETURNING in order.
_INSERT_EVENTS = insert(_events).returning(_events.c.id, _events.c.topic, _events.c.seq)


class StreamEvent(msgspec.Struct, frozen=True, omit_defaults=True):
    """One event of a topic, or a passing signal (`seq` None).

    When `restricted`, viewers who are neither `owner_id` nor a moderator of `space_id`
    receive `public_type`/`public_data` instead (forum.realtime.envelope holds that rule).
    """

    topic: str
    seq: int | None
    type: str
    data: dict[str, Any]
    restricted: bool = False
    owner_id: int | None = None
    space_id: int | None = None
    public_type: str | None = None
    public_data: dict[str, Any] | None = None


class Publisher(Protocol):
    def publish(self, events: list[StreamEvent]) -> Awaitable[Any] | None:
        """Hand the events on; what it returns, if anything, is awaited by the HTTP edge
        before it answers (forum.lib.db.wait_after_commit)."""
        ...


async def next_seqs(session: AsyncSession, counts: dict[str, int]) -> dict[str, int]:
    """Bump each topic's counter by its count, in one statement; the last seq handed out
    per topic. A topic's first events make its counter row."""
    last = await counters.bump(session, _counters.c.topic, _counters.c.seq, counts)
    first_events = sorted(set(counts) - set(last))
    if first_events:
        assert session.bind is not None
        create = _CREATE_COUNTER[session.bind.dialect.name]
        # One executemany for all of them: a notification's fan-out opens many inboxes at once.
        await session.execute(create, [{"counter_topic": topic} for topic in first_events])
        last.update(
            await counters.bump(
                session, _counters.c.topic, _counters.c.seq, {t: counts[t] for t in first_events}
            )
        )
    return last


def record_of(ev: Event) -> StreamEvent:
    """The record of a stored event."""
    return StreamEvent(
        topic=ev.topic,
        seq=ev.seq,
        type=ev.type,
        data=ev.data,
        restricted=ev.restricted,
        owner_id=ev.owner_id,
        space_id=ev.space_id,
        public_type=ev.public_type,
        public_data=ev.public_data,
    )


@dataclass(frozen=True)
class EventDraft:
    """One event to append (see `append`)."""

    topic: str
    type: str
    data: dict[str, Any]
    owner_id: int | None = None
    space_id: int | None = None
    public_type: str | None = None
    public_data: dict[str, Any] | None = None


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
    draft = EventDraft(topic, type_, data, owner_id, space_id, public_type, public_data)
    (ev,) = await append_many(session, [draft])
    return ev


async def append_many(session: AsyncSession, drafts: list[EventDraft]) -> list[Event]:
    """`append` for several events at once, in order: one counter bump per topic and one
    insert for all (a batch of table messages shares them, see forum.cafes.writer)."""
    if not drafts:
        return []
    topics = [draft.topic for draft in drafts]
    seqs = counters.numbers_in_order(topics, await next_seqs(session, Counter(topics)))
    now = utcnow()
    rows = []
    for draft, seq in zip(drafts, seqs, strict=True):
        rows.append(
            {
                "topic": draft.topic,
                "seq": seq,
                "type": draft.type,
                "data": draft.data,
                "restricted": draft.public_type is not None,
                "owner_id": draft.owner_id,
                "space_id": draft.space_id,
                "public_type": draft.public_type,
                "public_data": draft.public_data,
                "created_at": now,
            }
        )
    ids = {(topic, seq): event_id for event_id, topic, seq in await session.execute(_INSERT_EVENTS, rows)}
    events = []
    for values in rows:
        ev = Event(id=ids[values["topic"], values["seq"]], **values)
        make_transient_to_detached(ev)
        events.append(ev)
    session.info.setdefault(OUTBOX_KEY, []).extend(record_of(ev) for ev in events)
    return events


# Events on many topics (a notification's fan-out): every counter is bumped by its topic's
# count of events, or made at that count, in a single upsert whose topics and counts travel
# as parameters (a JSON object on SQLite, two arrays on PostgreSQL), so the statement is
# compiled once whatever their number. The topics come sorted, so two fan-outs lock shared
# counters in the same order; each topic comes once (an upsert may touch a row only once).
_BUMP_EACH = {
    "sqlite": text(
        "INSERT INTO topic_counters (topic, seq) SELECT key, value FROM json_each(:counts) WHERE true "
        "ON CONFLICT (topic) DO UPDATE SET seq = topic_counters.seq + excluded.seq RETURNING topic, seq"
    ),
    "postgresql": text(
        "INSERT INTO topic_counters (topic, seq) "
        "SELECT t, n FROM unnest(CAST(:topics AS VARCHAR[]), CAST(:counts AS INTEGER[])) AS u(t, n) "
        "ON CONFLICT (topic) DO UPDATE SET seq = topic_counters.seq + excluded.seq RETURNING topic, seq"
    ),
}
# The events themselves, built by the database from one JSON parameter (`[{"topic", "seq",
# "data"}, ...]`): no RETURNING (nobody needs their ids), no ORM objects, no per-row binds.
_INSERT_EACH = {
    "sqlite": text(
        "INSERT INTO events (topic, seq, type, data, restricted, created_at) "
        "SELECT json_extract(value, '$.topic'), json_extract(value, '$.seq'), :type, "
        "json_extract(value, '$.data'), 0, :created_at FROM json_each(:rows)"
    ).bindparams(bindparam("created_at", type_=Event.created_at.type)),
    "postgresql": text(
        "INSERT INTO events (topic, seq, type, data, restricted, created_at) "
        "SELECT r.topic, r.seq, :type, r.data, false, :created_at "
        "FROM jsonb_to_recordset(CAST(:rows AS JSONB)) AS r(topic VARCHAR, seq INTEGER, data JSONB)"
    ).bindparams(bindparam("created_at", type_=Event.created_at.type)),
}


async def append_to_each(session: AsyncSession, type_: str, items: list[tuple[str, dict[str, Any]]]) -> int:
    """An unrestricted event of `type_` for each of `items` (`(topic, data)`; `data`
    JSON-serializable), numbered in the items' order on each topic, as `append` would
    write them, in two statements whatever their number, each with one parameter for all
    the rows; they are published after commit. Returns how many were written.

    What a notification's fan-out needs: `append_many` numbers events of any topics with a
    counter bump built per call (a CASE of one branch per topic) and returns the stored
    rows as objects, which at a thousand recipients, or a batch of posts that tells each
    of a space's watchers of thirty of them, cost more than the database's work."""
    if not items:
        return 0
    per_topic = Counter(topic for topic, _ in items)
    topics = sorted(per_topic)
    assert session.bind is not None
    dialect = session.bind.dialect.name
    params: dict[str, Any] = (
        {"counts": json.dumps({t: per_topic[t] for t in topics})}
        if dialect == "sqlite"
        else {"topics": topics, "counts": [per_topic[t] for t in topics]}
    )
    last = dict((await session.execute(_BUMP_EACH[dialect], params)).tuples().all())
    seqs = counters.numbers_in_order([topic for topic, _ in items], last)
    rows = json.dumps(
        [{"topic": t, "seq": seq, "data": data} for (t, data), seq in zip(items, seqs, strict=True)]
    )
    await session.execute(_INSERT_EACH[dialect], {"rows": rows, "type": type_, "created_at": utcnow()})
    session.info.setdefault(OUTBOX_KEY, []).extend(
        StreamEvent(topic=topic, seq=seq, type=type_, data=data)
        for (topic, data), seq in zip(items, seqs, strict=True)
    )
    return len(items)


def signal(
    session_or_publisher: AsyncSession | Publisher, topic: str, type_: str, data: dict[str, Any]
) -> None:
    """A passing signal with no seq (it is not stored and not replayed).

    Given a session, it goes out after that session's transaction commits, with its events
    (a rolled-back change signals nothing); given a publisher, it goes out now.
    """
    passing = StreamEvent(topic=topic, seq=None, type=type_, data=data)
    if isinstance(session_or_publisher, AsyncSession):
        session_or_publisher.info.setdefault(OUTBOX_KEY, []).append(passing)
    else:
        session_or_publisher.publish([passing])


# Where the outbox stood when each open savepoint began (see _discard_after_rollback).
_MARKS_KEY = "outbox_marks"


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS_KEY, {})[transaction] = len(session.info.get(OUTBOX_KEY, ()))


@event.listens_for(Session, "after_transaction_end")
def _forget_savepoint(session: Session, transaction: SessionTransaction) -> None:
    marks = session.info.get(_MARKS_KEY)
    if marks:
        marks.pop(transaction, None)


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    # SQLAlchemy also calls this when a savepoint is released (forum.lib.db.race_savepoint):
    # the transaction goes on, and nobody else can see its rows yet. Only its own commit
    # announces them.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(OUTBOX_KEY, None)
    publisher = session.info.get("publisher")
    if pending and publisher is not None:
        try:
            sent = publisher.publish(pending)
            if sent is not None:
                session.info.setdefault(AFTER_COMMIT_WAITS, []).append(sent)
        except Exception:
            # Raised from here it would fail the commit's caller although the change is
            # stored; subscribers find the events in the log (the hub's tail check).
            log.exception("publishing %d committed events failed", len(pending))


@event.listens_for(Session, "after_rollback")
def _discard_after_rollback(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    mark = (session.info.get(_MARKS_KEY) or {}).get(savepoint) if savepoint is not None else None
    if mark is None:
        # The transaction rolled back: nothing it announced happened.
        session.info.pop(OUTBOX_KEY, None)
        return
    # A savepoint rolled back: only what was announced inside it is undone.
    del session.info.get(OUTBOX_KEY, [])[mark:]
