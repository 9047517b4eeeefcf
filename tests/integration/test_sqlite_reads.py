"""On SQLite, HTTP reads begin DEFERRED: they answer while a writer holds the write lock."""

from __future__ import annotations

import asyncio

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.lib.db import create_engine
from forum.lib.sqlite_driver import SQLITE_BUSY_TIMEOUT_MS, fetch_all
from forum.settings import Settings
from tests.conftest import Cast, make_space, make_thread
from tests.helpers import count


async def test_reads_do_not_wait_for_the_writer(
    client: AsyncTestClient, cast: Cast, settings: Settings
) -> None:
    if not settings.is_sqlite:
        pytest.skip("SQLite's write lock only")
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.focal_point, "agora", title="Reads go on")
    writer = create_engine(settings)
    try:
        async with writer.connect() as conn:
            # An open write transaction (BEGIN IMMEDIATE) holds the lock for its whole life.
            await conn.execute(text("UPDATE threads SET title = title"))
            listing = await client.get("/api/spaces/agora/threads", headers=cast.observer.headers)
            posts = await client.get(f"/api/threads/{thread['id']}/posts", headers=cast.observer.headers)
            await conn.rollback()
        written = await client.post(
            f"/api/threads/{thread['id']}/posts", json={"body": "after"}, headers=cast.observer.headers
        )
    finally:
        await writer.dispose()
    assert listing.status_code == 200, listing.text
    assert [t["title"] for t in listing.json()["items"]] == ["Reads go on"]
    assert posts.status_code == 200
    assert [p["number"] for p in posts.json()["items"]] == [1]
    assert written.status_code == 201, written.text
    assert written.json()["number"] == 2


async def test_a_read_that_sqlite_makes_wait_waits_off_the_event_loop(
    settings: Settings, db: AsyncSession
) -> None:
    """`fetch_all` (forum.lib.sqlite_driver) reads on the event loop's thread with no busy
    timeout; when SQLite refuses the statement for a lock, it waits on the driver's thread
    instead, and the loop goes on meanwhile. (A statement that writes meets the lock here:
    a WAL reader meets one only in rare moments, like another connection's recovery.)"""
    if not settings.is_sqlite:
        pytest.skip("SQLite's locks only")
    reader = create_engine(settings, autocommit=True)
    writer = create_engine(settings)
    try:
        async with writer.connect() as holder, reader.connect() as conn:
            await holder.execute(text("UPDATE users SET display_name = display_name"))  # the lock, held
            pooled = await conn.get_raw_connection()
            statement = "UPDATE users SET display_name = display_name RETURNING id"
            waiting = asyncio.create_task(fetch_all(pooled.driver_connection, statement, []))
            ticks = 0
            for _ in range(20):  # the loop keeps turning while the statement waits
                await asyncio.sleep(0.01)
                ticks += 1
            assert ticks == 20 and not waiting.done()
            await holder.rollback()
            rows = await asyncio.wait_for(waiting, 10)
            # The connection is left with its usual busy timeout.
            timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
    finally:
        await writer.dispose()
        await reader.dispose()
    assert len(rows) == await count(db, User)
    assert timeout == SQLITE_BUSY_TIMEOUT_MS
