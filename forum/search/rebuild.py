"""Rebuilding the whole search index from the texts in the database: the migration that
creates the index fills it this way, and so does `forum search reindex`.

It reads the four tables that hold searchable text by name, in plain SQL (this layer knows
no domain models), in batches, oldest first across all four (entry ids follow the order
texts were written in: newest first is the highest id first), and writes the rows
`forum.search.index` would write. It is synchronous, to run inside a migration; the command
runs it through `run_sync`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Integer, Text, bindparam, column, text
from sqlalchemy.engine import Connection

from forum.lib.db import DateTimeUTC
from forum.search import fts
from forum.search.models import FTS_TABLE
from forum.search.terms import document

BATCH = 2000

# (kind, the rows: id, text, author, created_at, thread_id, table_id), oldest first. A
# deleted post's text is gone; an empty harvest is nothing to find.
SOURCES = (
    (
        "thread",
        "SELECT id, title AS body, author_id, created_at, id AS thread_id, NULL AS table_id FROM threads",
    ),
    (
        "post",
        "SELECT id, body, author_id, created_at, thread_id, NULL AS table_id FROM posts WHERE status <> 'deleted'",
    ),
    ("message", "SELECT id, body, author_id, created_at, NULL AS thread_id, table_id FROM table_messages"),
    (
        "harvest",
        "SELECT t.id AS id, t.harvest AS body, t.host_id AS author_id, c.created_at AS created_at,"
        " NULL AS thread_id, t.id AS table_id FROM cafe_tables t JOIN cafes c ON c.id = t.cafe_id"
        " WHERE t.harvest <> ''",
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


def _rows(connection: Connection, kind: str, sql: str) -> Iterator[tuple[Any, ...]]:
    """(created_at, kind, row) of one source, oldest first, read in batches by keyset."""
    position: tuple[Any, int] | None = None
    alias = "t." if kind == "harvest" else ""
    created = "c.created_at" if kind == "harvest" else "created_at"
    while True:
        where = f" ({created} > :at OR ({created} = :at AND {alias}id > :id))" if position else ""
        joiner = (" AND" if " WHERE " in sql else " WHERE") if where else ""
        statement = text(f"{sql}{joiner}{where} ORDER BY {created}, {alias}id LIMIT {BATCH}").columns(
            *_COLUMNS
        )
        if position:
            statement = statement.bindparams(bindparam("at", type_=DateTimeUTC(timezone=True)))
        params = {"at": position[0], "id": position[1]} if position else {}
        rows = connection.execute(statement, params).all()
        for row in rows:
            yield row.created_at, kind, row
        if len(rows) < BATCH:
            return
        position = (rows[-1].created_at, rows[-1].id)


def rebuild_sync(connection: Connection) -> int:
    """Empty the index and index every text again; returns how many texts were indexed."""
    is_pg = connection.dialect.name == "postgresql"
    if is_pg:
        connection.execute(text("DELETE FROM search_entries"))
    else:
        # Emptied at once rather than row by row through the delete trigger, which could
        # not forget terms a damaged index no longer holds.
        connection.execute(text("DROP TRIGGER IF EXISTS search_entries_ad"))
        connection.execute(text("DELETE FROM search_entries"))
        connection.execute(text(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('delete-all')"))
        connection.execute(text(fts.DELETE_TRIGGER))
    document_value = "CAST(:document AS tsvector)" if is_pg else ":document"
    insert = text(
        "INSERT INTO search_entries (id, kind, ref_id, thread_id, table_id, author_id, created_at, document)"
        f" VALUES (:id, :kind, :ref_id, :thread_id, :table_id, :author_id, :created_at, {document_value})"
    ).bindparams(bindparam("created_at", type_=DateTimeUTC(timezone=True)))
    count = 0
    batch: list[dict[str, Any]] = []
    sources = [_rows(connection, kind, sql) for kind, sql in SOURCES]
    for created_at, kind, row in heapq.merge(*sources, key=lambda item: (item[0], item[1])):
        count += 1
        batch.append(
            {
                "id": count,
                "kind": kind,
                "ref_id": row.id,
                "thread_id": row.thread_id,
                "table_id": row.table_id,
                "author_id": row.author_id,
                "created_at": created_at,
                "document": document(row.body or "").stored(is_pg),
            }
        )
        if len(batch) == BATCH:
            connection.execute(insert, batch)
            batch = []
    if batch:
        connection.execute(insert, batch)
    if is_pg:
        # Ids were given here: the identity goes on after the last one.
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('search_entries', 'id'), GREATEST(:last, 1), :called)"
            ),
            {"last": count, "called": count > 0},
        )
    return count
