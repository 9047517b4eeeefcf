"""Rebuilding the whole search index from the texts in the database: the migration that
creates the index fills it this way, and so does `forum search reindex`.

It reads the four tables that hold searchable text by name, in plain SQL (this layer knows
no domain models), in batches, and writes the rows `forum.search.index` would write. It is
synchronous, to run inside a migration; the command runs it through `run_sync`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from forum.search.models import FTS_TABLE
from forum.search.terms import document

BATCH = 2000

# (kind, the rows: id, text, author, created_at, thread_id, table_id). A deleted post's text
# is gone; an empty harvest is nothing to find.
SOURCES = (
    (
        "thread",
        "SELECT id, title, author_id, created_at, id, NULL FROM threads WHERE id > :after ORDER BY id",
    ),
    (
        "post",
        "SELECT id, body, author_id, created_at, thread_id, NULL FROM posts"
        " WHERE id > :after AND status <> 'deleted' ORDER BY id",
    ),
    (
        "message",
        "SELECT id, body, author_id, created_at, NULL, table_id FROM table_messages WHERE id > :after ORDER BY id",
    ),
    (
        "harvest",
        "SELECT t.id, t.harvest, t.host_id, c.created_at, NULL, t.id FROM cafe_tables t"
        " JOIN cafes c ON c.id = t.cafe_id WHERE t.id > :after AND t.harvest <> '' ORDER BY t.id",
    ),
)


def _batches(connection: Connection, sql: str) -> Iterator[list[Any]]:
    after = 0
    while True:
        rows = connection.execute(text(f"{sql} LIMIT {BATCH}"), {"after": after}).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def rebuild_sync(connection: Connection) -> int:
    """Empty the index and index every text again; returns how many texts were indexed."""
    is_pg = connection.dialect.name == "postgresql"
    connection.execute(text("DELETE FROM search_entries"))
    if not is_pg:
        connection.execute(text(f"DELETE FROM {FTS_TABLE}"))
    document_value = "CAST(:document AS tsvector)" if is_pg else "NULL"
    insert = text(
        "INSERT INTO search_entries (id, kind, ref_id, thread_id, table_id, author_id, created_at, document)"
        f" VALUES (:id, :kind, :ref_id, :thread_id, :table_id, :author_id, :created_at, {document_value})"
    )
    fts = text(f"INSERT INTO {FTS_TABLE} (rowid, stems, words) VALUES (:id, :stems, :words)")
    next_id = 0
    for kind, sql in SOURCES:
        for rows in _batches(connection, sql):
            entries, terms = [], []
            for ref_id, body, author_id, created_at, thread_id, table_id in rows:
                next_id += 1
                doc = document(body or "")
                entries.append(
                    {
                        "id": next_id,
                        "kind": kind,
                        "ref_id": ref_id,
                        "thread_id": thread_id,
                        "table_id": table_id,
                        "author_id": author_id,
                        "created_at": created_at,
                        "document": doc.tsvector() if is_pg else None,
                    }
                )
                stems, words = doc.fts_columns()
                terms.append({"id": next_id, "stems": stems, "words": words})
            connection.execute(insert, entries)
            if not is_pg:
                connection.execute(fts, terms)
    if is_pg:
        # Ids were given here: the identity goes on after the last one.
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('search_entries', 'id'), GREATEST(:last, 1), :called)"
            ),
            {"last": next_id, "called": next_id > 0},
        )
    return next_id
