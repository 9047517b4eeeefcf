"""Writing generated rows in bulk: COPY on PostgreSQL, executemany on SQLite.

`forum generate` (forum.demo.generate) hands over rows as tuples in a table's column
order, with Python values (aware datetimes, dicts for JSON columns, bools). A sink turns
them into what its database stores, in big chunks, bypassing the ORM: a million posts
through the unit of work would take an hour. The sinks check the generator's columns
against the tables of `forum.models`, so a schema change fails here loudly instead of
writing a wrong row.

SQLite: the stdlib driver on the file, with pragmas for a bulk load in this connection
only (no fsync, the rollback journal in memory, a large cache); the service's own
connections set their pragmas again when they open. Dates are stored as SQLAlchemy's
SQLite dialect stores them (naive UTC text with microseconds) and JSON as text, so the
service reads the rows exactly as rows it wrote itself.

PostgreSQL: asyncpg's `copy_records_to_table` (binary COPY), with triggers, foreign keys
among them, off for the load (`session_replication_role = replica`, this session only):
the rows are consistent by construction, and checking three foreign keys per post halves
the speed. Identity sequences are moved past the ids written, and ANALYZE runs at the end,
as autovacuum would soon after such a load.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec
from sqlalchemy import Table
from sqlalchemy.engine import make_url

from forum.accounts import models as _accounts
from forum.audit import models as _audit
from forum.lib.db import Base
from forum.spaces import models as _spaces
from forum.streams import models as _streams
from forum.threads import models as _threads

# The tables written here, known to the metadata once their modules are imported.
_MODELS = (_accounts, _audit, _spaces, _streams, _threads)
metadata = Base.metadata


def check_columns(table: str, columns: Sequence[str]) -> Table:
    """The table, after checking that `columns` are exactly its columns."""
    found = metadata.tables[table]
    if set(columns) != set(found.columns.keys()):
        missing = set(found.columns.keys()) - set(columns)
        extra = set(columns) - set(found.columns.keys())
        raise RuntimeError(
            f"generator out of date for {table}: missing {sorted(missing)}, unknown {sorted(extra)}"
        )
    return found


class Sink(Protocol):
    async def max_ids(self, tables: Sequence[str]) -> dict[str, int]: ...
    async def scalar(self, sql: str) -> Any: ...
    async def execute(self, sql: str) -> None: ...
    async def write(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None: ...
    async def finish(self, tables: Sequence[str]) -> None: ...
    async def close(self) -> None: ...


def _sqlite_datetime(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format, in UTC as DateTimeUTC keeps it.
    value = value.astimezone(UTC)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
    )


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _sqlite_datetime(value)
    if isinstance(value, (dict, list)):
        return msgspec.json.encode(value).decode()
    return value


class SqliteSink:
    """executemany over the stdlib driver, one transaction per chunk."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "PRAGMA synchronous=OFF",
            "PRAGMA cache_size=-1000000",
            "PRAGMA temp_store=MEMORY",
            "PRAGMA foreign_keys=OFF",
        ):
            self.conn.execute(pragma)

    async def max_ids(self, tables: Sequence[str]) -> dict[str, int]:
        return {t: self.conn.execute(f'SELECT coalesce(max(id), 0) FROM "{t}"').fetchone()[0] for t in tables}

    async def scalar(self, sql: str) -> Any:
        row = self.conn.execute(sql).fetchone()
        return row[0] if row else None

    async def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    async def write(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        check_columns(table, columns)
        json_or_date = {
            i
            for i, row_value in enumerate(rows[0])
            if isinstance(row_value, (datetime, dict, list)) or row_value is None
        } | {i for i, c in enumerate(columns) if c in _JSON_COLUMNS.get(table, ())}
        converted = (
            tuple(_sqlite_value(v) if i in json_or_date else v for i, v in enumerate(row)) for row in rows
        )
        marks = ", ".join("?" for _ in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        self.conn.execute("BEGIN")
        self.conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', converted)
        self.conn.execute("COMMIT")

    async def finish(self, tables: Sequence[str]) -> None:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        self.conn.close()


def _pg_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return msgspec.json.encode(value).decode()
    return value


class PostgresSink:
    """Binary COPY through asyncpg, one transaction per chunk."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @classmethod
    async def connect(cls, url: str) -> PostgresSink:
        import asyncpg

        parsed = make_url(url).set(drivername="postgresql")
        conn = await asyncpg.connect(parsed.render_as_string(hide_password=False))
        # Not a superuser: the foreign keys are checked, only slower.
        with contextlib.suppress(asyncpg.PostgresError):
            await conn.execute("SET session_replication_role = replica")
        return cls(conn)

    async def max_ids(self, tables: Sequence[str]) -> dict[str, int]:
        return {t: await self.conn.fetchval(f'SELECT coalesce(max(id), 0) FROM "{t}"') for t in tables}

    async def scalar(self, sql: str) -> Any:
        return await self.conn.fetchval(sql)

    async def execute(self, sql: str) -> None:
        await self.conn.execute(sql)

    async def write(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        check_columns(table, columns)
        json_at = {i for i, v in enumerate(rows[0]) if isinstance(v, (dict, list))} | {
            i for i, c in enumerate(columns) if c in _JSON_COLUMNS.get(table, ())
        }
        records = [tuple(_pg_value(v) if i in json_at else v for i, v in enumerate(row)) for row in rows]
        async with self.conn.transaction():
            await self.conn.copy_records_to_table(table, records=records, columns=list(columns))

    async def finish(self, tables: Sequence[str]) -> None:
        for table in tables:
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f' (SELECT greatest(coalesce(max(id), 0), 1) FROM "{table}"))'
            )
        await self.conn.execute("ANALYZE")

    async def close(self) -> None:
        await self.conn.close()


# JSON columns by table: a None in the first row would hide them from the type sniffing.
_JSON_COLUMNS = {
    "events": ("data", "public_data"),
    "audit_log": ("before", "after"),
    "spaces": ("allowed_roles",),
}


async def open_sink(database_url: str) -> Sink:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database:
            raise RuntimeError("forum generate needs a SQLite file, not an in-memory database")
        return SqliteSink(url.database)
    return await PostgresSink.connect(database_url)
