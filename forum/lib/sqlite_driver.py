"""SQLAlchemy's aiosqlite adapter, with one hop to the driver's thread per statement.

aiosqlite runs each SQLite call on a thread of its own; SQLAlchemy's adapter makes four
such calls per statement (open a cursor, execute, fetch the rows, close the cursor), and on
a busy event loop every hop waits for the loop's next turn to hand its result back. The
live café's writes are a few statements per batch (forum.cafes.writer), so those hops, not
SQLite, set how long a batch takes: here the four calls run as one function on the
driver's thread, hand-over and all, the way SQLAlchemy's own adapter already sets a
connection's isolation level. A transaction's BEGIN rides along with its first statement
(`begin_with_next_statement`), and the pool's rollback of a connection with no transaction
open (one just committed) is skipped. Everything else (server-side cursors, errors) is
SQLAlchemy's adapter unchanged.

Writers also queue for the database in this process before SQLite sees them (the write
gate): a `BEGIN IMMEDIATE` first takes the gate of its database file, on the driver's
thread, and the transaction's COMMIT or ROLLBACK gives it back. Without it, concurrent
writers wait in SQLite's busy handler, which polls the lock with sleeps of up to 100 ms:
with 16 writers at once, half the posts waited ~30 ms and the slowest seconds. The gate
hands the lock over the moment it is free. (Other processes on the same file still meet
SQLite's own lock and busy timeout.)
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

T = TypeVar("T")

# How long a statement waits for SQLite's lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 15_000
# How long a writer waits for the write gate before it fails as SQLite would ("database is
# locked"); the same as the busy timeout.
GATE_TIMEOUT_SECONDS = 15.0
_gates: dict[str, threading.Lock] = {}
_gates_lock = threading.Lock()


def write_gate(database: str) -> threading.Lock:
    """The process's write gate of one database file."""
    with _gates_lock:
        return _gates.setdefault(database, threading.Lock())


def _on_driver_thread(connection: Any, function: Callable[[], T]) -> asyncio.Future[T]:
    """Run `function` on the aiosqlite connection's thread; a future of its result."""
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    connection._tx.put_nowait((future, function))
    return future


async def fetch_all(connection: aiosqlite.Connection, sql: str, args: list[Any]) -> list[Any]:
    """Every row of one read of an autocommit connection (forum.lib.driver_reads).

    Read on the event loop's own thread when SQLite can answer at once, else in one hop to
    the connection's thread. A hop hands the GIL between threads twice, and with sixteen
    concurrent page reads those hand-overs, not SQLite, cost the most: 140 pages/s through
    the driver's threads, 405 read here, beside a baseline of 385 (docs/benchmarks.md). So
    the read this serves must be short and bounded (an index range of a page); SQLite
    releases the GIL while it steps, as on any thread.

    The loop must never sleep in SQLite's busy handler: the read runs with no busy timeout,
    and if SQLite would wait for a lock (in WAL mode, a reader waits only while another
    connection recovers or resets the log) it goes to the driver's thread, which waits as
    every statement does. The connection must allow use from this thread
    (`check_same_thread=False`, as `forum.lib.db.create_engine` opens autocommit ones); it
    is checked out, so its own thread has nothing in hand meanwhile.
    """
    raw: sqlite3.Connection = connection._conn
    raw.execute("PRAGMA busy_timeout=0")
    try:
        return raw.execute(sql, args).fetchall()
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    def run() -> list[Any]:
        cursor = raw.cursor()
        try:
            return cursor.execute(sql, args).fetchall()
        finally:
            cursor.close()

    return await _on_driver_thread(connection, run)


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        raw: sqlite3.Connection = self._connection._conn
        adapt = self._adapt_connection
        begin = adapt.take_pending_begin()

        def run() -> tuple[Any, list[Any] | None, int | None, int]:
            if begin is not None:
                adapt.begin_on_driver_thread(raw, begin)
            cursor = raw.cursor()
            try:
                if parameters is None:
                    cursor.execute(operation)
                else:
                    cursor.execute(operation, parameters)
                description = cursor.description
                rows = cursor.fetchall() if description else None
                return description, rows, cursor.lastrowid, cursor.rowcount
            finally:
                cursor.close()

        try:
            description, rows, lastrowid, rowcount = self.await_(_on_driver_thread(self._connection, run))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        if description:
            self.description = description
            self.lastrowid = self.rowcount = -1
            self._rows = deque(rows or ())
        else:
            self.description = None
            self.lastrowid = lastrowid
            self.rowcount = rowcount

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        raw: sqlite3.Connection = self._connection._conn
        adapt = self._adapt_connection
        begin = adapt.take_pending_begin()

        def run() -> tuple[int | None, int]:
            if begin is not None:
                adapt.begin_on_driver_thread(raw, begin)
            cursor = raw.cursor()
            try:
                cursor.executemany(operation, seq_of_parameters)
                return cursor.lastrowid, cursor.rowcount
            finally:
                cursor.close()

        try:
            self.lastrowid, self.rowcount = self.await_(_on_driver_thread(self._connection, run))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description = None


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_gate", "_holds_gate", "_pending_begin")

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection, database: str) -> None:
        super().__init__(dbapi, connection)
        self._pending_begin: str | None = None
        self._gate = write_gate(database)
        # Written on the driver's thread; read on the loop's only between two statements.
        self._holds_gate = False

    def begin_on_driver_thread(self, raw: sqlite3.Connection, begin: str) -> None:
        """Run `begin`; a writer's BEGIN IMMEDIATE takes the write gate first."""
        if begin.upper().endswith("IMMEDIATE") and not self._holds_gate:
            if not self._gate.acquire(timeout=GATE_TIMEOUT_SECONDS):
                raise sqlite3.OperationalError("database is locked (waited for this process's writers)")
            self._holds_gate = True
        try:
            raw.execute(begin)
        except BaseException:
            self._release_gate()
            raise

    def _release_gate(self) -> None:
        if self._holds_gate:
            self._holds_gate = False
            self._gate.release()

    def _end_transaction(self, end: Callable[[], None]) -> None:
        """COMMIT or ROLLBACK on the driver's thread, then give the write gate back."""
        raw: sqlite3.Connection = self._connection._conn

        def run() -> None:
            try:
                if raw.in_transaction:
                    end()
            finally:
                self._release_gate()

        try:
            self.await_(_on_driver_thread(self._connection, run))
        except Exception as error:
            self._handle_exception(error)

    def begin_with_next_statement(self, begin: str) -> None:
        """Send `begin` (BEGIN IMMEDIATE, say) in the same hop as the next statement; a
        transaction that ends before any statement never begins."""
        self._pending_begin = begin

    def take_pending_begin(self) -> str | None:
        begin, self._pending_begin = self._pending_begin, None
        return begin

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            begin = self.take_pending_begin()
            if begin is not None:
                self._execute_alone(begin)
            return super().cursor(server_side=True)
        return OneHopCursor(self)

    def _execute_alone(self, sql: str) -> None:
        """Run `sql` in a hop of its own (before a server-side cursor, which hops itself)."""
        raw: sqlite3.Connection = self._connection._conn
        try:
            self.await_(_on_driver_thread(self._connection, lambda: self.begin_on_driver_thread(raw, sql)))
        except Exception as error:
            self._handle_exception(error)

    def commit(self) -> None:
        if self.take_pending_begin() is None:
            raw: sqlite3.Connection = self._connection._conn
            self._end_transaction(raw.commit)

    def rollback(self) -> None:
        self._pending_begin = None
        # The pool rolls back every connection it takes back, most of them just committed:
        # with no transaction open there is nothing to undo, and no reason to hop.
        # (aiosqlite itself reads `in_transaction` from the loop's thread; `_holds_gate` is
        # only ever set while a transaction is open, and SQLite may have ended that
        # transaction on its own after an error, so a holder always hops to give it back.)
        try:
            idle = not self._connection.in_transaction and not self._holds_gate
        except ValueError:  # closed: let the adapter report it
            idle = False
        if not idle:
            raw: sqlite3.Connection = self._connection._conn
            self._end_transaction(raw.rollback)

    # Closing a connection ends its transaction (SQLite rolls it back), so a connection
    # closed or terminated inside one (invalidated, say) gives the gate back once closed.
    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release_gate()

    def terminate(self) -> None:
        try:
            super().terminate()
        finally:
            self._release_gate()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect uses, handing out OneHopConnections
    (pass it as `create_async_engine(..., module=one_hop_dbapi())`)."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        connection = super().connect(*arg, **kw)
        if type(connection) is AsyncAdapt_aiosqlite_connection:
            database = str(arg[0] if arg else kw.get("database", ""))
            return OneHopConnection(self, connection._connection, database)
        return connection


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
