"""Table messages written together: `post_messages` and the process's `TableWriter`.

Several drafts in one call follow exactly the rules of one message each; they share the
reads, one counter update per table and one insert, and every draft gets its own result
or error, in order.
"""

from __future__ import annotations

import asyncio

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.cafes import messages
from forum.cafes.messages import MessageDraft, Posted
from forum.cafes.models import TableMessage
from forum.cafes.writer import TableWriter
from forum.lib.errors import Conflict, Invalid, NotFound
from forum.settings import Settings
from tests.conftest import Cast, People
from tests.helpers import assert_gap_free, events, fetch, join, say, setup, until_a_transaction_waits
from tests.integration.conftest import RecordingPublisher, viewer_of


async def test_one_call_answers_every_draft_in_order_by_the_rules_of_one(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession, writer: async_sessionmaker
) -> None:
    cafe, _ = await setup(client, cast, people, tables=2)
    here = await join(client, cafe["id"], cast.observer)
    there = await join(client, cafe["id"], cast.other_observer)
    assert here != there
    stored = await say(client, here, cast.observer, "said before", client_id="old")
    assert stored.status_code == 201
    observer = await viewer_of(writer, cast.observer)
    second = await viewer_of(writer, cast.other_observer)
    drafts = [
        MessageDraft(observer, here, "one", "a-1"),
        MessageDraft(second, there, "over there", "b-1"),
        MessageDraft(observer, there, "not my table", "a-2"),  # never sat there: 404
        MessageDraft(observer, here, "   ", "a-3"),  # no text: 400
        MessageDraft(observer, here, "two", None),
        MessageDraft(observer, here, "one again", "a-1"),  # a repeat within the call
        MessageDraft(observer, here, "said before, again", "old"),  # a repeat of a stored one
        MessageDraft(observer, there, "elsewhere", "old"),  # that client_id at another table
        MessageDraft(observer, 999_999, "nowhere", "a-4"),  # no such table
    ]
    async with writer() as session, session.begin():
        results = await messages.post_messages(session, drafts)
    assert len(results) == len(drafts)
    one, over, moved, empty, two, again, before, clash, nowhere = results
    assert isinstance(one, Posted) and one.created and one.message.body == "one"
    assert isinstance(over, Posted) and over.created and over.message.table_id == there
    assert isinstance(moved, NotFound)
    assert isinstance(empty, Invalid) and empty.field == "body"
    assert isinstance(two, Posted) and two.created
    assert isinstance(again, Posted) and not again.created and again.message.id == one.message.id
    assert isinstance(before, Posted) and not before.created and before.message.body == "said before"
    assert isinstance(clash, Conflict) and clash.field == "client_id"
    assert isinstance(nowhere, NotFound)

    # Numbers and seqs follow the drafts' order, with no gap and nothing for the refused.
    assert [one.message.number, two.message.number] == [2, 3]
    assert over.message.number == 1
    here_events = await events(db, f"table:{here}")
    assert_gap_free(here_events)
    created = [e for e in here_events if e.type == "message.created"]
    assert [e.data["body"] for e in created] == ["said before", "one", "two"]
    assert [one.seq, two.seq] == [created[1].seq, created[2].seq]
    rows = await fetch(db, select(TableMessage).where(TableMessage.table_id == here))
    assert sorted(m.body for m in rows) == ["one", "said before", "two"]


async def test_the_writer_puts_concurrent_sends_in_shared_transactions(
    client: AsyncTestClient,
    cast: Cast,
    people: People,
    db: AsyncSession,
    writer: async_sessionmaker,
    publisher: RecordingPublisher,
) -> None:
    cafe, hosts = await setup(client, cast, people, tables=1)
    table = await join(client, cafe["id"], cast.observer)
    assert await join(client, cafe["id"], cast.other_observer) == table
    observer = await viewer_of(writer, cast.observer)
    second = await viewer_of(writer, cast.other_observer)
    host = await viewer_of(writer, hosts[0])
    tables = TableWriter(writer)
    sends = [
        tables.post(who, table, f"{name} {i}", f"{name}-{i}")
        for i in range(20)
        for who, name in ((observer, "o"), (second, "s"), (host, "h"))
    ]
    results = await asyncio.gather(*sends)
    assert all(r.created for r in results)
    # Sixty sends submitted together did not take sixty transactions.
    assert 1 <= publisher.commits < 60
    assert len(publisher.published) == 60
    # Every message got its own number and event, in the order the sends were submitted.
    assert [r.message.number for r in results] == list(range(1, 61))
    assert [r.seq for r in results] == sorted(r.seq for r in results)
    table_events = await events(db, f"table:{table}")
    assert_gap_free(table_events)
    by_seq = {e.seq: e for e in table_events}
    assert [by_seq[r.seq].data["id"] for r in results] == [r.message.id for r in results]

    # A refusal in a shared transaction is that send's alone.
    results = await asyncio.gather(
        tables.post(observer, table, "fine", "late-1"),
        tables.post(observer, table, "", "late-2"),
        tables.post(second, table, "fine too", "late-3"),
        return_exceptions=True,
    )
    assert isinstance(results[0], Posted) and isinstance(results[2], Posted)
    assert isinstance(results[1], Invalid)
    assert [results[0].message.number, results[2].message.number] == [61, 62]


async def test_a_client_id_that_races_in_from_another_transaction_answers_as_a_repeat(
    client: AsyncTestClient,
    cast: Cast,
    people: People,
    db: AsyncSession,
    writer: async_sessionmaker,
    settings: Settings,
) -> None:
    if settings.is_sqlite:
        pytest.skip("SQLite's writers hold the write lock from their first statement: no race")
    cafe, _ = await setup(client, cast, people, tables=1)
    table = await join(client, cafe["id"], cast.observer)
    observer = await viewer_of(writer, cast.observer)
    tables = TableWriter(writer)
    try:
        # Another transaction (another process's writer) stores the client_id first...
        async with writer() as elsewhere, elsewhere.begin():
            (first,) = await messages.post_messages(
                elsewhere, [MessageDraft(observer, table, "first", "raced")]
            )
            assert isinstance(first, Posted) and first.created
            # ...while this writer's batch, which read no earlier send with it, waits on it.
            racing = asyncio.create_task(tables.post(observer, table, "second", "raced"))
            await until_a_transaction_waits(db)
            assert not racing.done()
        result = await racing
    finally:
        await tables.stop()
    assert not result.created and result.message.id == first.message.id
    stored = await fetch(db, select(TableMessage).where(TableMessage.client_id == "raced"))
    assert len(stored) == 1
    table_events = await events(db, f"table:{table}")
    assert_gap_free(table_events)
