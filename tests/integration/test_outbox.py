"""Events and signals go out after the transaction's own commit, never at a savepoint's.

A savepoint (`forum.lib.db.race_savepoint` on PostgreSQL, or any `begin_nested`) ends
inside the transaction: what was announced before or inside it must wait for the commit
of the whole, and go nowhere if the whole rolls back; a savepoint rolled back takes back
only what was announced inside it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from forum import streams
from tests.integration.conftest import RecordingPublisher


async def test_nothing_goes_out_when_a_savepoint_is_released(
    writer: async_sessionmaker, publisher: RecordingPublisher
) -> None:
    async with writer() as session, session.begin():
        await streams.append(session, "thread:1", "post.created", {"id": 1})
        streams.signal(session, "access", "access.changed", {"topics": ["thread:1"]})
        async with session.begin_nested():
            await streams.append(session, "thread:1", "post.updated", {"id": 1})
        # Released, not committed: other transactions cannot see any of it yet.
        assert publisher.published == []
        await session.rollback()
    # And the whole was rolled back: nothing happened, nothing is announced.
    assert publisher.published == []


async def test_the_commit_announces_everything_but_what_a_rolled_back_savepoint_held(
    writer: async_sessionmaker, publisher: RecordingPublisher
) -> None:
    async with writer() as session, session.begin():
        await streams.append(session, "thread:1", "post.created", {"id": 1})
        savepoint = await session.begin_nested()
        await streams.append(session, "thread:1", "post.created", {"id": 2})
        await savepoint.rollback()
        async with session.begin_nested():
            await streams.append(session, "thread:1", "post.created", {"id": 3})
        streams.signal(session, "access", "access.changed", {"topics": ["thread:1"]})
    assert [(e.type, e.data) for e in publisher.published] == [
        ("post.created", {"id": 1}),
        ("post.created", {"id": 3}),
        ("access.changed", {"topics": ["thread:1"]}),
    ]
    assert publisher.commits == 1
