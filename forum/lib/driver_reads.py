"""One hot read run on the pooled driver connection itself, past SQLAlchemy's execution.

A page of fifty posts is one statement, and SQLAlchemy's execution of it (a greenlet
switch each way, the cursor adapter, a `Row` per row, the type processors, the events)
was the largest single cost of the request: a fifth of the server's samples at 16 clients
(docs/benchmarks.md). `DriverRead` compiles its statement once per dialect and runs it on
the driver connection that SQLAlchemy's pool hands out (checked out from the pool itself,
with no `Connection` around it): asyncpg's `fetch` on PostgreSQL
(its own prepared-statement cache); on SQLite, a read on the event loop's own thread when
SQLite can answer at once, with no hop to the driver's (`sqlite_driver.fetch_all`). The pool
stays SQLAlchemy's (sizes, the closed-connection check at checkout), and listeners of
`before_cursor_execute` still hear of the statement, so the query-count guards count it.

What it asks of its statement, since the rows come back as the driver makes them:

- columns that need no type processing: text, numbers, booleans (SQLite's are 0 and 1),
  timestamps through `forum.lib.api_time`, JSON cast to text;
- an engine whose every statement is its own snapshot (the autocommit engine): no
  transaction is begun around it;
- no expanding parameter (`IN` of a list), which SQLAlchemy renders anew per execution:
  such a statement runs through SQLAlchemy's own execution instead, with the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import CompoundSelect, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from forum.lib.sqlite_driver import fetch_all

Rows = Sequence[Sequence[Any]]


class _Param(NamedTuple):
    name: str
    required: bool  # given by the caller, in the driver's own types (int, str, bool)
    value: Any  # the statement's own value, where not required


class DriverRead:
    """A SELECT compiled once per dialect, run with the driver's own call."""

    def __init__(self, statement: Select | CompoundSelect) -> None:
        self.statement = statement
        # dialect name -> (SQL, its bound parameters in their order), or None for a
        # statement with an expanding parameter (SQLAlchemy runs it).
        self._compiled: dict[str, tuple[str, tuple[_Param, ...]] | None] = {}

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[_Param, ...]] | None:
        try:
            return self._compiled[dialect.name]
        except KeyError:
            pass
        compiled = self.statement.compile(dialect=dialect)
        plan = None
        if not compiled.post_compile_params and compiled.positiontup is not None:
            # A parameter with a value of its own (SQLite's OFFSET 0) keeps it; the others
            # are the caller's.
            params = tuple(
                _Param(name, compiled.binds[name].value is None, compiled.binds[name].value)
                for name in compiled.positiontup
            )
            plan = (compiled.string, params)
        self._compiled[dialect.name] = plan
        return plan

    async def rows(self, engine: AsyncEngine, params: Mapping[str, Any]) -> Rows:
        """Every row of the statement, each a sequence of the driver's values."""
        plan = self._compile(engine.dialect)
        if plan is None:
            async with engine.connect() as connection:
                return (await connection.execute(self.statement, dict(params))).all()
        sql, order = plan
        args = [params[p.name] if p.required else p.value for p in order]
        return await _run(engine, sql, args)


async def _run(engine: AsyncEngine, sql: str, args: list[Any]) -> Rows:
    # Straight from the pool: no `Connection` is built around the driver's connection (with
    # its events and the greenlet hops of opening, unwrapping and closing it, 14 % of a
    # PostgreSQL page read's samples), only the checkout and the checkin, each in one hop.
    sync_engine = engine.sync_engine
    if sync_engine.dispatch.before_cursor_execute:
        sync_engine.dispatch.before_cursor_execute(None, None, sql, args, None, False)
    pooled = await greenlet_spawn(sync_engine.raw_connection)
    try:
        driver = pooled.driver_connection
        if engine.dialect.name == "postgresql":
            return await driver.fetch(sql, *args)  # type: ignore[union-attr]
        return await fetch_all(driver, sql, args)  # type: ignore[arg-type]
    except BaseException:
        # A connection that failed mid-statement is not handed out again (SQLAlchemy's
        # execution would invalidate it too); the error itself goes on to the edge.
        await greenlet_spawn(pooled.invalidate)
        raise
    finally:
        # Back to the pool (an invalidated one is discarded there).
        await greenlet_spawn(pooled.close)
