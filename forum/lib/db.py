"""Database wiring: the declarative base, the engine, and the session configuration.

SQLite is the embedded default and PostgreSQL the production database; the same models
and migrations serve both. On SQLite every transaction starts with BEGIN IMMEDIATE so
that concurrent writers queue on the write lock (with a busy timeout) instead of failing
with "database is locked" when a reader tries to upgrade.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from advanced_alchemy.base import IdentityBase
from advanced_alchemy.extensions.litestar import AsyncSessionConfig, SQLAlchemyAsyncConfig
from advanced_alchemy.types import DateTimeUTC, JsonB
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from forum.lib.sqlite_driver import OneHopConnection, one_hop_dbapi
from forum.settings import Settings

__all__ = [
    "Base",
    "DateTimeUTC",
    "JsonB",
    "create_engine",
    "make_sessionmaker",
    "provide_transaction",
    "race_savepoint",
    "sqlalchemy_config",
    "utcnow",
]

# Integer ids from the database's own IDENTITY (PostgreSQL) or rowid (SQLite).
Base = IdentityBase

# How long a SQLite writer waits for the lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 15_000


def utcnow() -> datetime:
    return datetime.now(UTC)


def create_engine(settings: Settings, *, autocommit: bool = False) -> AsyncEngine:
    """The engine for transactions that may write.

    `autocommit=True` makes each statement its own transaction: the live-delivery reads
    (authorizing, replaying) use such an engine, so on SQLite they run beside the writer
    (WAL) instead of queueing for its lock; tests use it to look at the database.
    """
    if settings.is_sqlite:
        # Pooled connections: opening the file (a thread and four PRAGMAs) per session
        # costs more than the query.
        # One hop to aiosqlite's thread per statement instead of four (forum.lib.sqlite_driver).
        engine = create_async_engine(
            settings.database_url, pool_size=5, max_overflow=10, module=one_hop_dbapi()
        )
        _configure_sqlite(engine, immediate=not autocommit)
        return engine
    if autocommit:
        engine = create_async_engine(
            settings.database_url,
            isolation_level="AUTOCOMMIT",
            pool_size=5,
            max_overflow=10,
            pool_recycle=1800,
        )
    else:
        engine = create_async_engine(settings.database_url, pool_size=10, max_overflow=20, pool_recycle=1800)
    _skip_closed_connections(engine)
    return engine


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


class ReadIntentMiddleware:
    """ASGI: mark safe HTTP requests as read-only for the database's begin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in READ_METHODS:
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


async def provide_transaction(db_session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """The HTTP edge's transaction: every handler that takes `transaction` runs its
    services in one transaction, committed after the handler returned and before the
    response is sent, or rolled back when it raised.

    Services never commit: one service can call another inside the same transaction, and
    a commit that fails reaches the client as an error, never as a success (the
    advanced-alchemy "autocommit" send hook would log it and send the 2xx anyway). Events
    and signals go out after the commit (`forum.streams`).
    """
    try:
        yield db_session
    except BaseException:
        await db_session.rollback()
        raise
    if db_session.in_transaction():
        await db_session.commit()


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


def sqlalchemy_config(engine: AsyncEngine, publisher: Any = None) -> SQLAlchemyAsyncConfig:
    # The plugin opens and closes the request's session; the transaction is the edge's
    # (`provide_transaction`), committed before the response, events published after it.
    return SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False, info=session_info(publisher)),
        create_all=False,
    )
