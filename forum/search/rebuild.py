"""Rebuilding the whole search index from the texts in the database: the migration that
creates the index fills it this way (`rebuild_sync`, in the migration's transaction), and
so does `forum search reindex` (`rebuild`, batch by batch while the forum runs).

It reads the four tables that hold searchable text by name, in plain SQL (this layer knows
no domain models), oldest first across all four (`Walk`, by keyset), and writes the rows
`forum.search.index` would write, one batch at a time (`write_batch`): the batch's old
entries are deleted (on SQLite through the delete trigger, which takes their terms out of
the FTS5 table) and its new ones inserted with ids from the table's own identity, so a
text keeps exactly one entry at every moment and, once rebuilt, higher id = newer text
still holds. A last sweep (`remove_orphans`) deletes the entries whose text no longer
exists. Both ways share all of it; they differ in transactions and in where a text's
terms are computed (`forum.search.terms.document`, the costly part): here for the
migration, in worker processes for the command.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Text, bindparam, column, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from forum.lib.db import DateTimeUTC, create_engine
from forum.search.index import insert_entries
from forum.search.terms import document, stored_documents
from forum.settings import Settings

# Texts per batch: one short transaction of the command, one read of each source.
BATCH = 2000
# Entry ids per statement of the final sweep.
SWEEP = 20_000
# Tries of one batch's transaction before the rebuild gives up.
ATTEMPTS = 3


@dataclass(frozen=True)
class Source:
    """A table of searchable text: its rows (id, body, author_id, created_at, thread_id,
    table_id) in `select`, and the condition under which an entry of `kind` still has one."""

    kind: str
    select: str
    id_column: str
    created_column: str
    exists: str
    # A column whose values are read one at a time (each through an index that keeps its
    # rows in time order), and the rows whose values are wanted.
    split: str | None = None
    split_from: str = ""

    def where(self, condition: str) -> str:
        joiner = " AND " if " WHERE " in self.select else " WHERE "
        return f"{self.select}{joiner}{condition}"


# A deleted post's text is gone; an empty harvest is nothing to find.
SOURCES = (
    Source(
        "thread",
        "SELECT id, title AS body, author_id, created_at, id AS thread_id, NULL AS table_id FROM threads",
        "id",
        "created_at",
        "EXISTS (SELECT 1 FROM threads x WHERE x.id = search_entries.ref_id)",
    ),
    Source(
        "post",
        "SELECT id, body, author_id, created_at, thread_id, NULL AS table_id FROM posts WHERE status <> 'deleted'",
        "id",
        "created_at",
        "EXISTS (SELECT 1 FROM posts x WHERE x.id = search_entries.ref_id AND x.status <> 'deleted')",
        split="status",
        split_from="SELECT status FROM posts WHERE status <> 'deleted'",
    ),
    Source(
        "message",
        "SELECT id, body, author_id, created_at, NULL AS thread_id, table_id FROM table_messages",
        "id",
        "created_at",
        "EXISTS (SELECT 1 FROM table_messages x WHERE x.id = search_entries.ref_id)",
    ),
    Source(
        "harvest",
        "SELECT t.id AS id, t.harvest AS body, t.host_id AS author_id, c.created_at AS created_at,"
        " NULL AS thread_id, t.id AS table_id FROM cafe_tables t JOIN cafes c ON c.id = t.cafe_id"
        " WHERE t.harvest <> ''",
        "t.id",
        "c.created_at",
        "EXISTS (SELECT 1 FROM cafe_tables x WHERE x.id = search_entries.ref_id AND x.harvest <> '')",
    ),
)
_COLUMNS = (
    column("id", Integer),
    column("body", Text),
    column("author_id", Integer),
    column("created_at", DateTimeUTC(timezone=True)),
    column("thread_id", Integer),
    column("table_id", Integer),
)


@dataclass(frozen=True)
class Found:
    """A text as read from its table."""

    kind: str
    ref_id: int
    body: str
    author_id: int
    created_at: datetime
    thread_id: int | None
    table_id: int | None

    @classmethod
    def of(cls, kind: str, row: Any) -> Found:
        return cls(kind, row.id, row.body or "", row.author_id, row.created_at, row.thread_id, row.table_id)


class _Stream:
    """The rows of one source (of one value of its `split` column), oldest first, read by
    keyset from where the last read stopped."""

    def __init__(self, source: Source, value: str | None):
        self.source = source
        self.value = value
        self.buffer: deque[Found] = deque()
        self.position: tuple[datetime, int] | None = None
        self.exhausted = False

    def read(self, connection: Connection, size: int) -> None:
        source = self.source
        created, ident = source.created_column, source.id_column
        conditions = [f"{source.split} = :value"] if source.split else []
        if self.position:
            conditions.append(f"({created} > :at OR ({created} = :at AND {ident} > :id))")
        sql = source.where(" AND ".join(conditions)) if conditions else source.select
        statement = text(f"{sql} ORDER BY {created}, {ident} LIMIT {size}").columns(*_COLUMNS)
        params: dict[str, Any] = {"value": self.value} if source.split else {}
        if self.position:
            statement = statement.bindparams(bindparam("at", type_=DateTimeUTC(timezone=True)))
            params |= {"at": self.position[0], "id": self.position[1]}
        rows = connection.execute(statement, params).all()
        self.buffer.extend(Found.of(source.kind, row) for row in rows)
        self.exhausted = len(rows) < size
        if rows:
            self.position = (rows[-1].created_at, rows[-1].id)


class Walk:
    """Every text of the four sources, oldest first (then by kind, then by id), taken in
    batches through whatever connection each call is given: each source is read by keyset
    from where it stopped, so no transaction or cursor stays open between batches.

    Posts are read one status at a time, each through the index on (status, created_at,
    id), and merged: read all at once, every read would sort the whole remaining table.
    A text written behind the walk's position, or taking a status no post had when the
    walk began, is not met (its writer indexed it)."""

    def __init__(self, read_size: int = BATCH):
        self.read_size = read_size
        self._streams: list[_Stream] | None = None

    def _open(self, connection: Connection) -> list[_Stream]:
        streams = []
        for source in SOURCES:
            if source.split:
                values = connection.execute(
                    text(f"SELECT DISTINCT {source.split} AS value FROM ({source.split_from}) AS texts")
                ).scalars()
                streams.extend(_Stream(source, value) for value in sorted(values))
            else:
                streams.append(_Stream(source, None))
        return streams

    def take(self, connection: Connection, size: int) -> list[Found]:
        """The next `size` texts (fewer at the end, none when every source is done)."""
        if self._streams is None:
            self._streams = self._open(connection)
        taken: list[Found] = []
        while len(taken) < size:
            for stream in self._streams:
                if not stream.buffer and not stream.exhausted:
                    stream.read(connection, self.read_size)
            heads = [stream for stream in self._streams if stream.buffer]
            if not heads:
                break
            oldest = min(heads, key=lambda stream: (stream.buffer[0].created_at, stream.buffer[0].kind))
            taken.append(oldest.buffer.popleft())
        return taken


def count_texts(connection: Connection) -> int:
    """How many texts the sources hold now (the walk's expected total)."""
    return sum(
        connection.execute(text(f"SELECT count(*) FROM ({source.select}) AS texts")).scalar_one()
        for source in SOURCES
    )


# A batch's new entries; one already written for the same text (by the forum meanwhile) stays.
_INSERTS = {is_pg: insert_entries(is_pg, "DO NOTHING") for is_pg in (True, False)}


def write_batch(
    connection: Connection, texts: Sequence[Found], stored: Sequence[str], *, recheck: bool = True
) -> int:
    """Replace the entries of a batch of texts, `stored` holding their documents; returns
    how many entries were written. In the caller's transaction, which it keeps short.

    The batch's entries are deleted first: on SQLite the transaction holds the write lock
    from its start (BEGIN IMMEDIATE), on PostgreSQL the deleted rows stay locked until it
    commits, so a writer's `put` of one of these texts waits and then updates the new entry.
    With `recheck` (the texts were read before this transaction), each text is read again
    after that point and its document computed anew if it changed meanwhile; a text gone
    meanwhile gets no entry. The insert leaves alone an entry a writer made at the same
    moment for a text that had none (its text is the newer)."""
    is_pg = connection.dialect.name == "postgresql"
    by_kind: dict[str, list[int]] = {}
    for found in texts:
        by_kind.setdefault(found.kind, []).append(found.ref_id)
    forget = text("DELETE FROM search_entries WHERE kind = :kind AND ref_id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    for kind, ids in by_kind.items():
        connection.execute(forget, {"kind": kind, "ids": ids})
    current: dict[tuple[str, int], Found] | None = None
    if recheck:
        current = {}
        for source in SOURCES:
            if ids := by_kind.get(source.kind):
                statement = (
                    text(source.where(f"{source.id_column} IN :ids"))
                    .columns(*_COLUMNS)
                    .bindparams(bindparam("ids", expanding=True))
                )
                for row in connection.execute(statement, {"ids": ids}):
                    current[(source.kind, row.id)] = Found.of(source.kind, row)
    rows = []
    for found, value in zip(texts, stored, strict=True):
        if current is not None:
            now = current.get((found.kind, found.ref_id))
            if now is None:
                continue
            if now.body != found.body:
                value = document(now.body).stored(is_pg)
            found = now
        rows.append(
            {
                "kind": found.kind,
                "ref_id": found.ref_id,
                "thread_id": found.thread_id,
                "table_id": found.table_id,
                "author_id": found.author_id,
                "created_at": found.created_at,
                "document": value,
            }
        )
    if rows:
        # No id: the table's identity (PostgreSQL) or rowid (SQLite) numbers them in this order.
        connection.execute(_INSERTS[is_pg], rows)
    return len(rows)


def id_range(connection: Connection) -> tuple[int, int]:
    """The lowest and highest entry id now (1, 0 for an empty index)."""
    low, high = connection.execute(text("SELECT min(id), max(id) FROM search_entries")).one()
    return (low, high) if low is not None else (1, 0)


def remove_orphans(connection: Connection, low: int, high: int) -> int:
    """Delete the entries with ids in [low, high] whose text no longer exists (deleted while
    the index was rebuilt, or left in a damaged index); returns how many."""
    kinds = ", ".join(f"'{source.kind}'" for source in SOURCES)
    alive = " OR ".join(f"(kind = '{source.kind}' AND {source.exists})" for source in SOURCES)
    result = connection.execute(
        text(
            "DELETE FROM search_entries WHERE id BETWEEN :low AND :high"
            f" AND (kind NOT IN ({kinds}) OR NOT ({alive}))"
        ),
        {"low": low, "high": high},
    )
    return result.rowcount


def rebuild_sync(connection: Connection) -> int:
    """Index every text again in the caller's transaction, on this one connection (the
    migration that creates the index); returns how many texts were indexed."""
    is_pg = connection.dialect.name == "postgresql"
    walk = Walk()
    count = 0
    while texts := walk.take(connection, BATCH):
        stored = stored_documents([found.body for found in texts], is_pg)
        count += write_batch(connection, texts, stored, recheck=False)
    remove_orphans(connection, *id_range(connection))
    return count


Progress = Callable[[int, int], None]


def _worker_pool(workers: int) -> Executor:
    """Processes that compute documents: forked from a server process that has loaded only
    `forum.search.terms`, not from this one (its database threads and event loop) and without
    importing the command's whole program in each (as spawning would)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["forum.search.terms"])
    return ProcessPoolExecutor(workers, mp_context=context)


async def rebuild(
    settings: Settings,
    *,
    batch_size: int = BATCH,
    workers: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Index every text again while the forum runs (`forum search reindex`); returns how
    many texts were indexed.

    Batch by batch, oldest first, each batch in its own short transaction (`write_batch`):
    every search meanwhile finds each text exactly once, by its old entry or its new one.
    The documents of the next batch are computed by `workers` processes (default: one per
    core; 0: here, one after the other) while the current batch is written. `progress` is
    called after each committed batch with (texts done, texts expected); what it raises
    stops the rebuild there, the batches written so far staying written.

    A text written during the rebuild is indexed by its writer as always. If the walk
    has not reached it yet, its batch replaces that entry from the text as it is then
    (read again inside the batch's transaction, so an older text never overwrites a newer
    one), and a new text is met at the end of the walk, so every reindexed text ends with
    ids in the order of writing; an edit keeps the entry's id. A text deleted meanwhile
    loses its entry (its writer removes it; on PostgreSQL, a post deleted in the very
    instant its batch was written can keep one until the final sweep, which searches never
    show since they leave deleted posts out).
    """
    if workers is None:
        workers = os.cpu_count() or 1
    writer = create_engine(settings)
    reader = create_engine(settings, autocommit=True)
    is_pg = writer.dialect.name == "postgresql"
    loop = asyncio.get_running_loop()
    pool = _worker_pool(workers) if workers else None
    walk = Walk(batch_size)

    async def read(work: Callable[..., Any], *args: Any) -> Any:
        async with reader.connect() as connection:
            return await connection.run_sync(work, *args)

    def compute(texts: list[Found]) -> Awaitable[list[str]]:
        bodies = [found.body for found in texts]
        if pool is None or not bodies:
            done: asyncio.Future[list[str]] = loop.create_future()
            done.set_result(stored_documents(bodies, is_pg))
            return done
        size = -(-len(bodies) // workers)
        parts = [
            loop.run_in_executor(pool, stored_documents, bodies[start : start + size], is_pg)
            for start in range(0, len(bodies), size)
        ]

        async def joined() -> list[str]:
            return [value for part in await asyncio.gather(*parts) for value in part]

        return asyncio.ensure_future(joined())

    count = done = 0
    computing: Awaitable[list[str]] | None = None
    next_computing: Awaitable[list[str]] | None = None
    try:
        total = await read(count_texts)
        texts = await read(walk.take, batch_size)
        computing = compute(texts)
        while texts:
            following = await read(walk.take, batch_size)
            next_computing = compute(following)
            stored = await computing
            count += await _retried(writer, write_batch, texts, stored)
            done += len(texts)
            if progress:
                progress(done, max(total, done))
            texts, computing = following, next_computing
        async with reader.connect() as connection:
            low, high = await connection.run_sync(id_range)
        for start in range(low, high + 1, SWEEP):
            await _retried(writer, remove_orphans, start, min(start + SWEEP - 1, high))
    finally:
        for pending in (computing, next_computing):
            if isinstance(pending, asyncio.Future) and not pending.done():
                pending.cancel()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        await writer.dispose()
        await reader.dispose()
    return count


async def _retried(engine: AsyncEngine, work: Callable[..., int], *args: Any) -> int:
    """`work` in a transaction of its own, tried again (a few times, after a pause) when the
    database refuses it: SQLite locked past its busy timeout by a long write of the forum, a
    PostgreSQL deadlock with a writer of the same entries. Each try starts afresh."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(work, *args)
        except DBAPIError:
            if attempt == ATTEMPTS:
                raise
            await asyncio.sleep(attempt)
    raise AssertionError("unreachable")


class RateReport:
    """Progress lines for `rebuild`: texts done / expected and the rate, at most one every
    `every` seconds (and the last)."""

    def __init__(self, say: Callable[[str], None], every: float = 5.0):
        self.say = say
        self.every = every
        self.started = self.last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every and done < total:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        self.say(f"reindex: {done:,} / {total:,} texts, {rate:,.0f} texts/s")
