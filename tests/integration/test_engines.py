"""The engines' connection handling, on the real databases.

SQLite: a write transaction's BEGIN IMMEDIATE travels with its first statement, yet holds
the write lock from that statement on; a transaction with no statement never begins; the
pool's rollback of a committed connection costs no trip to the driver; writers of one
process queue on the write gate, which every way of ending a transaction gives back.
PostgreSQL: a pooled connection the server has closed is never handed out again.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from forum.lib.db import create_engine
from forum.lib.sqlite_driver import write_gate
from forum.settings import Settings


@pytest.fixture
async def writer_and_rival(settings: Settings) -> AsyncIterator[tuple[AsyncEngine, sqlite3.Connection]]:
    """The service's writer engine, and a plain sqlite3 connection that gives up at once
    when it cannot take the write lock."""
    if not settings.is_sqlite:
        pytest.skip("SQLite's write lock only")
    writer = create_engine(settings)
    path = settings.database_url.split("///", 1)[1]
    rival = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        yield writer, rival
    finally:
        rival.close()
        await writer.dispose()


def _statements_sent(engine: AsyncEngine) -> list[str]:
    """Every statement SQLAlchemy hands to the driver's cursor, from now on."""
    sent: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _statement(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement)

    return sent


async def test_sqlite_write_transaction_locks_from_its_first_statement(
    writer_and_rival: tuple[AsyncEngine, sqlite3.Connection],
) -> None:
    writer, rival = writer_and_rival
    async with writer.connect() as conn:
        await conn.execute(text("SELECT count(*) FROM users"))
        # A read was the first statement, and still the lock is held: BEGIN IMMEDIATE.
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            rival.execute("BEGIN IMMEDIATE")
        await conn.execute(text("UPDATE users SET display_name = display_name"))
        await conn.rollback()
    rival.execute("BEGIN IMMEDIATE")
    rival.execute("ROLLBACK")


async def test_sqlite_transaction_without_statements_takes_no_lock(
    writer_and_rival: tuple[AsyncEngine, sqlite3.Connection],
) -> None:
    writer, rival = writer_and_rival
    async with writer.connect() as conn:
        await conn.begin()
        rival.execute("BEGIN IMMEDIATE")  # nothing was sent, so nothing is held
        rival.execute("ROLLBACK")
        await conn.commit()
    async with writer.connect() as conn:
        await conn.begin()
        await conn.rollback()
    async with writer.connect() as conn:
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        await conn.commit()


async def test_sqlite_rolled_back_write_is_undone_and_committed_write_kept(settings: Settings) -> None:
    if not settings.is_sqlite:
        pytest.skip("SQLite driver only")
    writer = create_engine(settings)
    try:
        async with writer.connect() as conn:
            await conn.execute(text("CREATE TABLE scratch (n INTEGER)"))
            await conn.commit()
        async with writer.connect() as conn:
            await conn.execute(text("INSERT INTO scratch VALUES (1)"))
            await conn.rollback()
        async with writer.connect() as conn:
            await conn.execute(text("INSERT INTO scratch VALUES (2)"))
            await conn.commit()
        async with writer.connect() as conn:
            assert (await conn.execute(text("SELECT n FROM scratch"))).scalars().all() == [2]
    finally:
        await writer.dispose()


async def test_sqlite_begin_rides_with_the_first_statement_and_the_pool_gets_it_back_idle(
    settings: Settings,
) -> None:
    if not settings.is_sqlite:
        pytest.skip("SQLite driver only")
    writer = create_engine(settings)
    calls = _statements_sent(writer)
    open_at_reset: list[bool] = []

    @event.listens_for(writer.sync_engine, "reset")
    def _reset(dbapi_connection: object, _record: object, _state: object) -> None:
        open_at_reset.append(dbapi_connection._connection.in_transaction)  # type: ignore[attr-defined]

    try:
        async with writer.connect() as conn:
            await conn.execute(text("SELECT 1"))
            await conn.commit()
        # BEGIN IMMEDIATE went in the SELECT's hop, not as a statement of its own; the pool
        # took the connection back with no transaction open (so its rollback is skipped).
        assert calls == ["SELECT 1"]
        assert open_at_reset == [False]
    finally:
        await writer.dispose()


def _gate_of(settings: Settings):
    return write_gate(settings.database_url.split("///", 1)[1])


async def test_sqlite_writers_queue_on_the_gate_and_every_ending_gives_it_back(settings: Settings) -> None:
    if not settings.is_sqlite:
        pytest.skip("SQLite driver only")
    writer = create_engine(settings)
    gate = _gate_of(settings)
    try:
        async with writer.connect() as conn:
            await conn.execute(text("CREATE TABLE scratch (n INTEGER PRIMARY KEY)"))
            await conn.commit()
        assert not gate.locked()
        first = await writer.connect()
        await first.execute(text("INSERT INTO scratch VALUES (1)"))
        assert gate.locked()

        async def second_writer() -> list[int]:
            async with writer.connect() as conn:
                await conn.execute(text("INSERT INTO scratch VALUES (2)"))
                await conn.commit()
                return list((await conn.execute(text("SELECT n FROM scratch ORDER BY n"))).scalars())

        waiting = asyncio.create_task(second_writer())
        # The second writer waits for the gate, not in SQLite's busy handler; it goes on
        # once the first commits, and sees its row.
        await asyncio.sleep(0)
        assert not waiting.done()
        await first.commit()
        await first.close()
        assert await waiting == [1, 2]
        assert not gate.locked()

        # A failed statement: the rollback gives the gate back.
        async with writer.connect() as conn:
            with pytest.raises(Exception, match="UNIQUE"):
                await conn.execute(text("INSERT INTO scratch VALUES (1)"))
            await conn.rollback()
        assert not gate.locked()
        # A connection closed inside its transaction gives it back too.
        conn = await writer.connect()
        await conn.execute(text("INSERT INTO scratch VALUES (3)"))
        assert gate.locked()
        await conn.invalidate()
        assert not gate.locked()
        # Reads take no gate (BEGIN without IMMEDIATE), and a transaction with no statement
        # never took it.
        async with writer.connect() as conn:
            await conn.begin()
            await conn.rollback()
        assert not gate.locked()
        async with writer.connect() as conn:
            assert list((await conn.execute(text("SELECT n FROM scratch ORDER BY n"))).scalars()) == [1, 2]
            await conn.commit()
        assert not gate.locked()
    finally:
        await writer.dispose()


async def test_postgresql_connection_closed_by_the_server_is_replaced(settings: Settings) -> None:
    if settings.is_sqlite:
        pytest.skip("PostgreSQL only")
    engine = create_engine(settings)
    admin = create_async_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            first_pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
            pooled = (await conn.get_raw_connection()).driver_connection
        async with admin.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
        # The driver hears the server's goodbye when the loop next reads the socket.
        for _ in range(100):
            if pooled.is_closed():
                break
            await asyncio.sleep(0.02)
        assert pooled.is_closed()
        async with engine.connect() as conn:
            second_pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        assert second_pid != first_pid
    finally:
        await admin.dispose()
        await engine.dispose()
