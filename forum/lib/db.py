"""Database wiring: the declarative base, the engine, the session configuration, and the
edge's transaction.

SQLite is the embedded default and PostgreSQL the production database; the same models
and migrations serve both. On SQLite every transaction starts with BEGIN IMMEDIATE so
that concurrent writers queue on the write lock (with a busy timeout) instead of failing
with "database is locked" when a reader tries to upgrade.

A database that fails (unreachable, restarting, full, read-only, locked) is told apart
from a fault of ours (`database_unavailable`): callers answer 503 with Retry-After or an
`unavailable` error frame, not 500. A connection lost during COMMIT leaves the outcome
unknown; `transaction` says so (`OutcomeUnknown`) instead of reporting a failure for
what may have been stored.

Long because the wiring, the transaction and the judgement of a failure of the same
connection belong together.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

from advanced_alchemy.base import IdentityBase
from advanced_alchemy.extensions.litestar import AsyncSessionConfig, SQLAlchemyAsyncConfig

# The request's session as advanced-alchemy keeps it in the scope (what its own default
# send hook reads); a test (tests/faults/test_database.py) notices if that ever moves.
from advanced_alchemy.extensions.litestar._utils import delete_aa_scope_state, get_aa_scope_state
from advanced_alchemy.extensions.litestar.plugins.init.config.common import SESSION_TERMINUS_ASGI_EVENTS
from advanced_alchemy.types import DateTimeUTC, JsonB
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import ColumnElement, event, literal_column
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from forum.lib.errors import OutcomeUnknown
from forum.lib.sqlite_driver import SQLITE_BUSY_TIMEOUT_MS, OneHopConnection, one_hop_dbapi
from forum.settings import Settings

__all__ = [
    "Base",
    "DateTimeUTC",
    "JsonB",
    "create_engine",
    "database_unavailable",
    "make_sessionmaker",
    "provide_transaction",
    "race_savepoint",
    "sql_constant",
    "sqlalchemy_config",
    "transaction",
    "utcnow",
    "write_in_own_transaction",
]

log = logging.getLogger("forum")

T = TypeVar("T")

# Integer ids from the database's own IDENTITY (PostgreSQL) or rowid (SQLite).
Base = IdentityBase

# asyncpg's bounds: connecting (its default, 60 s, kept requests waiting for a minute on a
# database that accepts connections and never answers) and any one statement (none by
# default: a server that stopped answering held a request forever). Either ends in a 503.
PG_CONNECT_TIMEOUT_SECONDS = 5
PG_STATEMENT_TIMEOUT_SECONDS = 30


def utcnow() -> datetime:
    return datetime.now(UTC)


def sql_constant(value: str) -> ColumnElement[str]:
    """A constant of the code (a status, a kind, a role) written into the SQL, not bound.

    For a bound value, PostgreSQL's generic plan (a prepared statement's, after five runs)
    guesses that any value of the column is rare: it counted a thread's unread posts by
    walking `ix_posts_thread_author` over every post of the thread with the bound status
    (75 ms for a thread of 56,601 posts at 1 M posts), where with the status in view it
    reads only the posts past the reader's position (1.5 ms). Only our own constants come
    here, never a client's text.

    A literal column, not SQLAlchemy's literal-execute parameter: the constant is part of
    the statement as compiled, so the statement is compiled once and the driver's reads
    (forum.lib.driver_reads, which cannot run a statement rendered anew at each
    execution) still take it.
    """
    if not value.isidentifier():
        raise ValueError(f"not a constant of the code: {value!r}")
    return literal_column(f"'{value}'")


def create_engine(
    settings: Settings, *, autocommit: bool = False, long_statements: bool = False
) -> AsyncEngine:
    """The engine for transactions that may write.

    `autocommit=True` makes each statement its own transaction: the live-delivery reads
    (authorizing, replaying) use such an engine, so on SQLite they run beside the writer
    (WAL) instead of queueing for its lock; tests use it to look at the database.
    `long_statements=True` lifts the bound on one statement (PG_STATEMENT_TIMEOUT_SECONDS)
    for work that may take long on purpose: migrations.
    """
    if settings.is_sqlite:
        # Pooled connections: opening the file (a thread and four PRAGMAs) per session
        # costs more than the query.
        # One hop to aiosqlite's thread per statement instead of four (forum.lib.sqlite_driver).
        # An autocommit connection may also read on the event loop's thread (`fetch_all`).
        engine = create_async_engine(
            settings.database_url,
            **_pool_sizes(autocommit, sqlite=True),
            module=one_hop_dbapi(),
            connect_args={"check_same_thread": False} if autocommit else {},
        )
        _configure_sqlite(engine, immediate=not autocommit)
        return engine
    timeouts: dict[str, Any] = {"timeout": PG_CONNECT_TIMEOUT_SECONDS}
    if not long_statements:
        timeouts["command_timeout"] = PG_STATEMENT_TIMEOUT_SECONDS
    if autocommit:
        engine = create_async_engine(
            settings.database_url,
            isolation_level="AUTOCOMMIT",
            **_pool_sizes(autocommit),
            pool_recycle=1800,
            connect_args=timeouts,
        )
    else:
        engine = create_async_engine(
            settings.database_url,
            **_pool_sizes(autocommit),
            pool_recycle=1800,
            connect_args=timeouts,
        )
    _skip_closed_connections(engine)
    return engine


def _pool_sizes(autocommit: bool, *, sqlite: bool = False) -> dict[str, int]:
    """How many connections an engine keeps, and how many more it may open for a while.

    A connection past `pool_size` is closed when it comes back, so a pool smaller than the
    usual number of concurrent requests opens and closes a connection for many of them (a
    thread and four PRAGMAs on SQLite, a TCP and TLS handshake on PostgreSQL): with 16
    concurrent page reads and a pool of 5, one read in five paid for a new connection, and
    PostgreSQL served a quarter of the pages it does with a pool that fits (docs/benchmarks.md).
    The autocommit engine serves every page read and every socket's authorizing read, so it
    keeps the most. On SQLite each connection is a thread of its own: 20 of them served about
    a quarter more pages than 10 but held 8 KiB more per idle socket at 1,000 sockets (53
    against 49, where the goal is under 50; docs/benchmarks.md), so SQLite keeps 10.
    """
    if sqlite:
        return {"pool_size": 10, "max_overflow": 10}
    if autocommit:
        return {"pool_size": 20, "max_overflow": 20}
    return {"pool_size": 10, "max_overflow": 20}


def _skip_closed_connections(engine: AsyncEngine) -> None:
    """Hand out no pooled connection that the server has closed (a restart, an idle timeout).

    The driver notices the server's goodbye on its own (asyncpg's `is_closed()`), so this
    check costs nothing, where `pool_pre_ping` costs a round trip on every checkout: a
    tenth of a busy café's batch (forum.cafes.writer). A connection lost without a word
    fails its statement, and SQLAlchemy then replaces every connection pooled before it.
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        is_closed = getattr(record.driver_connection, "is_closed", None)
        if is_closed is not None and is_closed():
            # The pool discards it and checks out another (SQLAlchemy's documented way).
            raise DisconnectionError("the database closed this pooled connection")


def _configure_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's legacy
        # transaction handling would defer it), so we can make it IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    if not immediate:
        return

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        begin = "BEGIN IMMEDIATE" if write_intent.get() else "BEGIN"
        driver_connection = conn.connection.dbapi_connection
        if isinstance(driver_connection, OneHopConnection):
            driver_connection.begin_with_next_statement(begin)
        else:
            conn.exec_driver_sql(begin)


# Whether a transaction begun now may write. HTTP reads (GET, HEAD) clear it, so on SQLite
# they begin DEFERRED and read beside the writer (WAL) instead of queueing for its lock;
# everything else begins IMMEDIATE, so a writer never fails on upgrading a stale snapshot.
write_intent: ContextVar[bool] = ContextVar("forum_write_intent", default=True)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# A route handler's `opt` key: the request's own session only reads, because the handler
# writes through a process writer with sessions of its own (forum.threads.writer). On
# SQLite that session must not take the write lock (BEGIN IMMEDIATE) it would then hold
# while the writer waits for it.
WRITES_ELSEWHERE = "writes_elsewhere"


class ReadIntentMiddleware:
    """ASGI: mark safe HTTP requests (and handlers that write elsewhere) as read-only for
    the database's begin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        writes_elsewhere = handler is not None and bool(handler.opt.get(WRITES_ELSEWHERE))
        if scope["type"] != "http" or (scope.get("method") not in READ_METHODS and not writes_elsewhere):
            await self.app(scope, receive, send)
            return
        token = write_intent.set(False)
        try:
            await self.app(scope, receive, send)
        finally:
            write_intent.reset(token)


def session_info(publisher: Any) -> dict[str, Any]:
    return {"publisher": publisher}


def make_sessionmaker(engine: AsyncEngine, publisher: Any = None) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker for code outside a request (CLI, websocket frames, background work)."""
    return async_sessionmaker(engine, expire_on_commit=False, info=session_info(publisher))


# --- a failing database ----------------------------------------------------------------

# PostgreSQL's SQLSTATE classes that say the database cannot serve now, not that the
# statement is wrong: connection exceptions (08), transaction rollbacks (40: serialization
# failures, deadlocks), insufficient resources (53: disk full, too many connections),
# operator intervention (57: shutting down, starting up, cancelled).
_PG_UNAVAILABLE_CLASSES = frozenset({"08", "40", "53", "57"})
# ...and single codes: a read-only transaction (a standby after a failover), a database
# that does not exist (yet, or any more).
_PG_UNAVAILABLE_CODES = frozenset({"25006", "3D000"})
# SQLite's primary result codes of the same kind: BUSY, LOCKED, READONLY, IOERR, CORRUPT,
# FULL, CANTOPEN, PROTOCOL, NOTADB.
_SQLITE_UNAVAILABLE = frozenset({5, 6, 8, 10, 11, 13, 14, 15, 26})
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.EHOSTDOWN,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.ETIMEDOUT,
        errno.EPIPE,
    }
)
# asyncpg's errors of a connection that went away (raised with no SQLSTATE).
_ASYNCPG_LOST = frozenset({"ConnectionDoesNotExistError", "ConnectionResetError", "InterfaceError"})


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, the driver's error it wraps, and what caused them, nearest first."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < 16:
        err = todo.pop(0)
        if id(err) in seen:
            continue
        seen.add(id(err))
        yield err
        todo.extend(e for e in (getattr(err, "orig", None), err.__cause__, err.__context__) if e is not None)


def _connection_lost(err: BaseException) -> bool:
    if isinstance(err, sa_exc.DBAPIError) and err.connection_invalidated:
        return True
    if isinstance(err, sa_exc.DisconnectionError | ConnectionError | socket.gaierror):
        return True
    if isinstance(err, OSError) and err.errno in _NETWORK_ERRNOS:
        return True
    if type(err).__module__.startswith("asyncpg") and type(err).__name__ in _ASYNCPG_LOST:
        return True
    sqlstate = getattr(err, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith("08")


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot serve now (unreachable, restarting, full,
    read-only, locked, out of connections) rather than that our code or SQL is wrong.

    Such a failure is the client's to retry (503 with Retry-After); any other is a 500.
    """
    for err in _causes(exc):
        if _connection_lost(err) or isinstance(err, sa_exc.TimeoutError | TimeoutError):
            return True
        sqlstate = getattr(err, "sqlstate", None)
        if isinstance(sqlstate, str) and (
            sqlstate[:2] in _PG_UNAVAILABLE_CLASSES or sqlstate in _PG_UNAVAILABLE_CODES
        ):
            return True
        code = getattr(err, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in _SQLITE_UNAVAILABLE:
            return True
    return False


def _outcome_unknown(session: AsyncSession, exc: BaseException) -> bool:
    """A COMMIT that failed this way may have been carried out: its answer was lost with
    the connection. SQLite runs in the process: its COMMIT either happened or not."""
    if session.get_bind().dialect.name == "sqlite":
        return False
    return any(_connection_lost(err) for err in _causes(exc))


async def _rollback_quietly(session: AsyncSession) -> None:
    """Roll back after a failure without hiding it: on a lost connection the rollback fails
    too, and the database rolls the transaction back by itself."""
    try:
        await session.rollback()
    except Exception as exc:
        log.warning("rolling back failed (%s: %s)", type(exc).__name__, str(exc).splitlines()[0][:200])
        # Its connection is of no further use: give it back to the pool to be discarded.
        with contextlib.suppress(Exception):
            await session.invalidate()


@asynccontextmanager
async def transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """One transaction on `session`: committed when the block returns, rolled back when it
    raises. A COMMIT whose answer was lost raises `OutcomeUnknown` (see the module)."""
    try:
        yield session
        if not session.in_transaction():
            return
        # What the transaction writes goes out first: a failure here stored nothing.
        await session.flush()
    except BaseException:
        await _rollback_quietly(session)
        raise
    try:
        await session.commit()
    except Exception as exc:
        if _outcome_unknown(session, exc):
            raise OutcomeUnknown(
                "the connection to the database was lost while saving: the change may or may not be "
                "stored. Send the request again with the same client_id to find out (it returns what "
                "was stored, or stores it now); without a client_id, read before sending it again"
            ) from exc
        await _rollback_quietly(session)
        raise


# Under this key of `session.info`, what must have happened before the edge answers a
# committed change: awaitables set by the event log's after-commit hook (forum.streams.log).
AFTER_COMMIT_WAITS = "after_commit_waits"
# How long the edge waits for them at most: past it the answer goes out anyway.
AFTER_COMMIT_WAIT_SECONDS = 1.0


async def wait_after_commit(session: AsyncSession) -> None:
    """Wait (boundedly) for what the commit set going that must land before the answer:
    an account's signal reaching the broker, so that every process has heard it before
    the client can make its next request (forum.spaces.viewer_cache)."""
    waits = session.info.pop(AFTER_COMMIT_WAITS, None)
    if not waits:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True), AFTER_COMMIT_WAIT_SECONDS)


async def provide_transaction(db_session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """The HTTP edge's transaction: every handler that takes `transaction` runs its
    services in one transaction, committed after the handler returned and before the
    response is sent, or rolled back when it raised.

    Services never commit: one service can call another inside the same transaction, and
    a commit that fails reaches the client as an error, never as a success (the
    advanced-alchemy "autocommit" send hook would log it and send the 2xx anyway). Events
    and signals go out after the commit (`forum.streams`); an account's signals have
    reached the broker before the answer leaves (`wait_after_commit`).
    """
    async with transaction(db_session):
        yield db_session
    await wait_after_commit(db_session)


@asynccontextmanager
async def race_savepoint(session: AsyncSession) -> AsyncIterator[None]:
    """Around an insert whose unique key (a repeated client_id, a second seat) another
    transaction may take first: on PostgreSQL a savepoint, so that the caller can catch
    the IntegrityError and read the winner's row in the same transaction.

    SQLite needs none: every writer holds the write lock from its first statement
    (BEGIN IMMEDIATE), so the read before the insert already sees any earlier writer's row
    and the race cannot happen; the savepoint would cost two statements on the hot path.
    """
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        yield
        return
    async with session.begin_nested():
        yield


# Writes of one batch when unique keys keep racing in from other transactions: each attempt
# finds the winners of the one before, so a second nearly always ends it.
RACE_ATTEMPTS = 3


async def write_in_own_transaction(
    sessionmaker: async_sessionmaker[AsyncSession], write: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """`write(session)` in a transaction of its own, without `race_savepoint`: a process's
    batch writer, which owns its transaction, saves the savepoint's two statements on every
    batch. When a unique key (a client_id) raced in from another transaction, its
    IntegrityError comes once the other has committed, so the batch written again in a new
    transaction finds the other's row among the earlier sends."""
    for attempt in range(1, RACE_ATTEMPTS + 1):
        try:
            async with sessionmaker() as session, transaction(session):
                return await write(session)
        except sa_exc.IntegrityError:
            if attempt == RACE_ATTEMPTS:
                raise
            log.info("a unique key raced in from another transaction: writing the batch again")
    raise AssertionError("unreachable")


def close_session_before_send(scope_key: str) -> Callable[[Message, Scope], Awaitable[None]]:
    """advanced-alchemy's hook that closes the request's session as the response starts
    (its default handler), except that a close that fails does not fail the response.

    Closing rolls back what a read left open; on a connection that died after the last
    query, that rollback raises. Raised there, after Litestar counted the response as
    started, it reached the server as an error with no response begun: a plain-text 500
    for a request whose answer was complete (and, after a commit, stored). The database
    rolls back a dead connection's transaction by itself; the session is invalidated so
    that the pool lets go of the connection at once (not when the garbage collector finds
    it, which would keep it counted against the pool's size).
    """

    async def close(message: Message, scope: Scope) -> None:
        if message["type"] not in SESSION_TERMINUS_ASGI_EVENTS:
            return
        session: AsyncSession | None = get_aa_scope_state(scope, scope_key)
        if session is None:
            return
        try:
            await session.close()
        except Exception as exc:
            log.warning("closing a request's session failed (%s)", type(exc).__name__)
            with contextlib.suppress(Exception):
                await session.invalidate()
        # Only once it is closed: a close cut short (a cancelled request) is done again at
        # the next of these events, as advanced-alchemy's own hook does.
        delete_aa_scope_state(scope, scope_key)

    return close


def sqlalchemy_config(engine: AsyncEngine, publisher: Any = None) -> SQLAlchemyAsyncConfig:
    # The plugin opens and closes the request's session; the transaction is the edge's
    # (`provide_transaction`), committed before the response, events published after it.
    config = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False, info=session_info(publisher)),
        create_all=False,
    )
    # The config makes its scope key unique per instance (several apps in one process).
    config.before_send_handler = close_session_before_send(config.session_scope_key)
    return config
