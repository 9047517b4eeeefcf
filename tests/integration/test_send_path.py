"""Storing a table message, the hot path of `send`: repeats, refusals, the outbox.

`post_message` reads its table, café, space and the writer's seat in one statement and
catches a repeated client_id by the unique constraint instead of a read before every send;
`streams.append` writes the event row at once. These tests hold the rules that design must
keep: a repeat is answered with the stored message even where a new one would be refused,
a client_id used at another table is a conflict, a refused or repeated send uses no number
and no seq, and events reach the publisher only after commit.
"""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum import streams
from forum.cafes import messages, views
from forum.cafes.models import CafeTable, TableMessage
from forum.lib.errors import Forbidden, NotFound
from forum.spaces.models import Space
from forum.streams.models import Event, TopicCounter
from tests.conftest import Cast, People
from tests.helpers import WORKSHOP, events, fetch, join, say, setup
from tests.integration.conftest import RecordingPublisher, viewer_of


async def table_count(db: AsyncSession, table_id: int) -> int:
    return (await fetch(db, select(CafeTable.message_count).where(CafeTable.id == table_id)))[0]


async def messages_at(db: AsyncSession, table_id: int) -> list[TableMessage]:
    return await fetch(
        db, select(TableMessage).where(TableMessage.table_id == table_id).order_by(TableMessage.number)
    )


async def test_a_repeat_returns_the_stored_message_uses_no_number_and_announces_nothing(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, _ = await setup(client, cast, people, tables=1)
    table = await join(client, cafe["id"], cast.observer)
    first = await say(client, table, cast.observer, "the first words", client_id="c-1")
    assert first.status_code == 201, first.text
    # Sent again, even with another text (a client that lost the answer resends as it was).
    again = await say(client, table, cast.observer, "changed meanwhile", client_id="c-1")
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert await table_count(db, table) == 1
    nxt = await say(client, table, cast.observer, "the next words", client_id="c-2")
    assert nxt.json()["number"] == 2
    assert [m.body for m in await messages_at(db, table)] == ["the first words", "the next words"]
    evs = await events(db, f"table:{table}")
    assert [(e.seq, e.type, e.data["number"]) for e in evs] == [
        (1, "message.created", 1),
        (2, "message.created", 2),
    ]


async def test_a_repeat_is_answered_where_a_new_message_would_be_refused(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, _ = await setup(client, cast, people, tables=2)
    a = await join(client, cafe["id"], cast.observer)
    stored = (await say(client, a, cast.observer, "said in round one", client_id="r1")).json()
    # Moved to the other table: a new message at the old one is refused, the repeat answered.
    moved = await client.post(f"/api/cafes/{cafe['id']}/rounds", headers=cast.moderator.headers)
    assert moved.status_code == 200, moved.text
    assert (await say(client, a, cast.observer, "still here?", client_id="r1-late")).status_code == 403
    repeat = await say(client, a, cast.observer, "said in round one", client_id="r1")
    assert repeat.status_code == 200 and repeat.json()["id"] == stored["id"]
    # Closed: the same.
    closed = await client.post(f"/api/cafes/{cafe['id']}/close", headers=cast.moderator.headers)
    assert closed.status_code == 200, closed.text
    b = next(t["id"] for t in cafe["tables"] if t["id"] != a)
    refused = await say(client, b, cast.observer, "too late", client_id="r2")
    assert refused.status_code == 409 and "closed" in refused.json()["detail"]
    repeat = await say(client, a, cast.observer, "said in round one", client_id="r1")
    assert repeat.status_code == 200 and repeat.json()["id"] == stored["id"]
    # Silenced: refused before anything else, as for any write.
    silenced = await client.post(
        f"/api/users/{cast.observer.id}/silence",
        json={"reason": "cool down", "duration_seconds": 3600},
        headers=cast.moderator.headers,
    )
    assert silenced.status_code == 200, silenced.text
    assert (await say(client, a, cast.observer, "said in round one", client_id="r1")).status_code == 403
    assert [m.client_id for m in await messages_at(db, a)] == ["r1"]
    assert await messages_at(db, b) == []


async def test_a_client_id_used_at_another_table_is_a_conflict_naming_it(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, _ = await setup(client, cast, people, tables=2)
    a = await join(client, cafe["id"], cast.observer)
    b = next(t["id"] for t in cafe["tables"] if t["id"] != a)
    assert (await say(client, a, cast.observer, "at a", client_id="same")).status_code == 201
    await client.post(f"/api/cafes/{cafe['id']}/rounds", headers=cast.moderator.headers)
    # Now seated at b, where a new message would be welcome: the client_id is taken.
    clash = await say(client, b, cast.observer, "at b", client_id="same")
    assert clash.status_code == 409, clash.text
    assert clash.json()["field"] == "client_id" and "client_id" in clash.json()["detail"]
    # Also where the table does not exist: the repeat is recognised first, as before.
    assert (await say(client, 999_999, cast.observer, "nowhere", client_id="same")).status_code == 409
    assert (await say(client, 999_999, cast.observer, "nowhere", client_id="fresh")).status_code == 404
    # Nothing was stored or numbered at b, and table b's topic heard nothing.
    assert await messages_at(db, b) == [] and await table_count(db, b) == 0
    assert await events(db, f"table:{b}") == []
    assert (await say(client, b, cast.observer, "at b", client_id="other")).json()["number"] == 1


async def test_a_seated_participant_loses_the_table_when_the_space_becomes_restricted(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, _ = await setup(client, cast, people, tables=1)
    table = await join(client, cafe["id"], cast.observer)
    assert (await say(client, table, cast.observer, "while it was public")).status_code == 201
    await db.execute(
        update(Space).where(Space.slug == WORKSHOP).values(visibility="restricted", allowed_roles=["lcipp"])
    )
    await db.commit()
    # Still seated, but the space no longer exists for an observer: so neither does its table.
    resp = await say(client, table, cast.observer, "and now?")
    assert resp.status_code == 404 and f"no table with id {table}" in resp.json()["detail"]
    # A moderator of the space still writes there without a seat.
    assert (await say(client, table, cast.moderator, "moderators see it")).status_code == 201
    assert [m.number for m in await messages_at(db, table)] == [1, 2]


async def test_a_send_in_its_own_session_publishes_after_commit_and_the_message_works_detached(
    client: AsyncTestClient,
    cast: Cast,
    people: People,
    db: AsyncSession,
    writer: async_sessionmaker,
    publisher: RecordingPublisher,
) -> None:
    cafe, _ = await setup(client, cast, people, tables=1)
    table_id = await join(client, cafe["id"], cast.observer)
    viewer = await viewer_of(writer, cast.observer)
    topic = f"table:{table_id}"
    async with writer() as session, session.begin():
        table = await session.get(CafeTable, table_id)
        assert table is not None and table.message_count == 0
        message, created = await messages.post_message(session, viewer, table_id, "*live*", client_id="ws-1")
        assert created and message.id is not None and message.number == 1
        # What the callers do with it: the HTTP view, the websocket's ack (message.id).
        view = await views.message_view(session, message)
        assert view.html == "<p><em>live</em></p>\n" and view.author.id == cast.observer.id
        assert message not in session
        # The table the session holds knows its new count without writing it again.
        assert table.message_count == 1 and table not in session.dirty
    assert [(e.topic, e.seq, e.type, e.data["id"]) for e in publisher.published] == [
        (topic, 1, "message.created", message.id)
    ]
    stored = (await fetch(db, select(TableMessage).where(TableMessage.id == message.id)))[0]
    assert (stored.number, stored.body, stored.html, stored.client_id) == (1, "*live*", view.html, "ws-1")
    assert stored.created_at == message.created_at
    # The repeat over the socket: the stored message, no event, nothing published.
    async with writer() as session, session.begin():
        again, created = await messages.post_message(session, viewer, table_id, "*live*", client_id="ws-1")
        assert not created and again.id == message.id
        assert streams.OUTBOX_KEY not in session.info
    assert len(publisher.published) == 1
    assert [e.seq for e in await events(db, topic)] == [1]


async def test_refusals_over_the_socket_are_the_services_errors_and_use_nothing(
    client: AsyncTestClient,
    cast: Cast,
    people: People,
    db: AsyncSession,
    writer: async_sessionmaker,
    publisher: RecordingPublisher,
) -> None:
    cafe, _ = await setup(client, cast, people, tables=2)
    a = await join(client, cafe["id"], cast.observer)
    assert await join(client, cafe["id"], cast.other_observer) != a
    # Seated at the other table and never at this one: it does not exist for them.
    stranger = await viewer_of(writer, cast.other_observer)
    async with writer() as session:
        with pytest.raises(NotFound, match=f"no table with id {a}"):
            await messages.post_message(session, stranger, a, "hello?", client_id="x")
    # Sat here, moved on: refused, and told why.
    await client.post(f"/api/cafes/{cafe['id']}/rounds", headers=cast.moderator.headers)
    moved = await viewer_of(writer, cast.observer)
    async with writer() as session:
        with pytest.raises(Forbidden, match="no longer sit at this table"):
            await messages.post_message(session, moved, a, "hello?", client_id="y")
    assert publisher.published == []
    assert await table_count(db, a) == 0 and await messages_at(db, a) == []


async def test_append_writes_the_event_at_once_and_a_rollback_announces_nothing(
    db: AsyncSession, writer: async_sessionmaker, publisher: RecordingPublisher
) -> None:
    topic = "thread:424242"
    async with writer() as session:
        first = await streams.append(session, topic, "thread.note", {"n": 1})
        # In the database already, before any flush or commit, with the counter made.
        in_session = await session.scalar(select(Event).where(Event.topic == topic))
        assert in_session is not None and in_session.id == first.id
        assert (first.topic, first.seq, first.type, first.data, first.restricted) == (
            topic,
            1,
            "thread.note",
            {"n": 1},
            False,
        )
        await session.rollback()
    assert publisher.published == []
    assert await events(db, topic) == []
    assert await fetch(db, select(TopicCounter).where(TopicCounter.topic == topic)) == []
    async with writer() as session:
        first = await streams.append(session, topic, "thread.note", {"n": 1})
        second = await streams.append(
            session, topic, "post.created", {"n": 2}, owner_id=None, public_type="post.hidden", public_data={}
        )
        assert (first.seq, second.seq) == (1, 2) and second.restricted
        assert publisher.published == []
        await session.commit()
    assert [(e.seq, e.type, e.restricted) for e in publisher.published] == [
        (1, "thread.note", False),
        (2, "post.created", True),
    ]
    stored = await events(db, topic)
    assert [(e.id, e.seq, e.public_type) for e in stored] == [
        (first.id, 1, None),
        (second.id, 2, "post.hidden"),
    ]
    assert stored[0].created_at == first.created_at
