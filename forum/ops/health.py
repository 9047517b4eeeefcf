"""The health of the process's dependencies, checked for real and shared between callers.

- The database: a committed update of the one row of `health_probe` (forum.ops.models),
  which fails on a database that answers reads but cannot write: a full disk, a
  read-only standby after a failover, a lost write lock.
- The broker: `BrokerStatus`, live delivery's own view (forum.realtime.bus), not a ping
  of a client of its own that could answer while delivery is dead.

`/health` and `/ready` are exempt from rate limits, so a check is shared: callers within
`CACHE_SECONDS` of a check get its result, and callers during a check wait for it. A flood
of checks therefore costs one write a second at most.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from forum.lib.db import utcnow, write_intent
from forum.lib.resilience import describe
from forum.ops.models import HealthProbe
from forum.realtime.bus import BrokerStatus

# A check's result serves every caller for this long.
CACHE_SECONDS = 1.0
# The database check gives up after this (a load balancer's own timeout is a few seconds).
DATABASE_TIMEOUT_SECONDS = 3.0
OK = "ok"

_probe = HealthProbe.__table__
_WRITE_PROBE = {
    dialect: insert_(_probe)
    .values(name="probe", checked_at=bindparam("checked_at"))
    .on_conflict_do_update(index_elements=["name"], set_={"checked_at": insert_(_probe).excluded.checked_at})
    for dialect, insert_ in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


@dataclass(frozen=True)
class Report:
    database: str
    broker: str

    @property
    def ok(self) -> bool:
        return self.database == OK and self.broker == OK


class HealthChecks:
    def __init__(self, engine: AsyncEngine, broker: BrokerStatus) -> None:
        self.engine = engine
        self.broker = broker
        self._database: tuple[float, str] | None = None
        self._checking: asyncio.Future[str] | None = None

    async def report(self) -> Report:
        return Report(database=await self.database(), broker=self.broker.describe())

    async def database(self) -> str:
        if self._database is not None and time.monotonic() - self._database[0] < CACHE_SECONDS:
            return self._database[1]
        if self._checking is None:
            self._checking = asyncio.ensure_future(self._check_database())
        checking = self._checking
        try:
            return await asyncio.shield(checking)
        finally:
            if self._checking is checking and checking.done():
                self._checking = None

    async def _check_database(self) -> str:
        try:
            result = OK
            # A write: on SQLite it takes the write lock from the start (BEGIN IMMEDIATE).
            token = write_intent.set(True)
            try:
                async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
                    async with self.engine.begin() as conn:
                        await conn.execute(_WRITE_PROBE[conn.dialect.name], {"checked_at": utcnow()})
            finally:
                write_intent.reset(token)
        except TimeoutError:
            result = f"failing: no answer within {DATABASE_TIMEOUT_SECONDS:.0f} s"
        except Exception as exc:  # any failure means it cannot serve writes
            result = f"failing: {describe(exc)}"
        self._database = (time.monotonic(), result)
        return result
