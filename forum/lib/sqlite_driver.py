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
"""

from __future__ import annotations

import asyncio
import sqlite3
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


def _on_driver_thread(connection: Any, function: Callable[[], T]) -> asyncio.Future[T]:
    """Run `function` on the aiosqlite connection's thread; a future of its result."""
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    connection._tx.put_nowait((future, function))
    return future


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        raw: sqlite3.Connection = self._connection._conn
        begin = self._adapt_connection.take_pending_begin()

        def run() -> tuple[Any, list[Any] | None, int | None, int]:
            if begin is not None:
                raw.execute(begin)
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
        begin = self._adapt_connection.take_pending_begin()

        def run() -> tuple[int | None, int]:
            if begin is not None:
                raw.execute(begin)
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
    __slots__ = ("_pending_begin",)

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)
        self._pending_begin: str | None = None

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
            self.await_(_on_driver_thread(self._connection, lambda: raw.execute(sql).close()))
        except Exception as error:
            self._handle_exception(error)

    def commit(self) -> None:
        if self.take_pending_begin() is None:
            super().commit()

    def rollback(self) -> None:
        self._pending_begin = None
        # The pool rolls back every connection it takes back, most of them just committed:
        # with no transaction open there is nothing to undo, and no reason to hop.
        # (aiosqlite itself reads `in_transaction` from the loop's thread.)
        try:
            idle = not self._connection.in_transaction
        except ValueError:  # closed: let the adapter report it
            idle = False
        if not idle:
            super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect uses, handing out OneHopConnections
    (pass it as `create_async_engine(..., module=one_hop_dbapi())`)."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        connection = super().connect(*arg, **kw)
        if type(connection) is AsyncAdapt_aiosqlite_connection:
            return OneHopConnection(self, connection._connection)
        return connection


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
