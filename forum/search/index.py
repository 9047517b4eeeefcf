"""Writing the search index, in the caller's transaction: the domains call `put` when a text is
written or changed and `remove` when it is gone (a deleted post), so that the index never
holds a text the lists no longer show. Who may read a hit is not stored here: hidden,
pending and moved texts stay indexed and are filtered when searching.

One statement per call on both databases: on SQLite the table's triggers (migration
0007_search) copy `document` into the FTS5 table in the same statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import TextClause, bindparam, delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from forum.search.models import EntryKind, SearchEntry
from forum.search.terms import document


@dataclass(frozen=True)
class Entry:
    """A text to index, with what it is and where it lives."""

    kind: EntryKind
    ref_id: int
    text: str
    author_id: int
    created_at: datetime
    thread_id: int | None = None
    table_id: int | None = None


async def put(session: AsyncSession, entry: Entry) -> None:
    """Index a text, replacing what was indexed for the same thing (a blank text: removing it)."""
    if entry.text.strip():
        await put_many(session, [entry])
    else:
        await remove(session, entry.kind, entry.ref_id)


async def put_many(session: AsyncSession, entries: list[Entry]) -> None:
    """Index several texts in one statement (a group commit's table messages)."""
    if not entries:
        return
    is_pg = session.get_bind().dialect.name == "postgresql"
    rows = [
        {
            "kind": entry.kind.value,
            "ref_id": entry.ref_id,
            "thread_id": entry.thread_id,
            "table_id": entry.table_id,
            "author_id": entry.author_id,
            "created_at": entry.created_at,
            # PostgreSQL reads the tsvector in its literal syntax as it is, never through
            # to_tsvector()'s parser; SQLite's triggers split the text into the FTS5 table.
            "document": document(entry.text).stored(is_pg),
        }
        for entry in entries
    ]
    await session.execute(_UPSERTS[is_pg], rows)


# A text written again (an edit, a new title, a harvest replaced) keeps its entry and id.
# A text statement, compiled once: SQLAlchemy never caches the dialects' INSERT ... ON
# CONFLICT constructs (their `inherit_cache` is off), and this one runs for every post.
# PostgreSQL reads the tsvector in its literal syntax, never through to_tsvector()'s parser.
def insert_entries(is_pg: bool, on_conflict: str) -> TextClause:
    """INSERT of entries (one row per parameter set: kind, ref_id, thread_id, table_id,
    author_id, created_at, document) with this ON CONFLICT (kind, ref_id) action; also the
    rebuild's (forum.search.rebuild)."""
    document_value = "CAST(:document AS tsvector)" if is_pg else ":document"
    return text(
        "INSERT INTO search_entries (kind, ref_id, thread_id, table_id, author_id, created_at, document)"
        f" VALUES (:kind, :ref_id, :thread_id, :table_id, :author_id, :created_at, {document_value})"
        f" ON CONFLICT (kind, ref_id) {on_conflict}"
    ).bindparams(bindparam("created_at", type_=SearchEntry.created_at.type))


_UPSERTS = {
    is_pg: insert_entries(is_pg, "DO UPDATE SET document = excluded.document, thread_id = excluded.thread_id")
    for is_pg in (True, False)
}


async def remove(session: AsyncSession, kind: EntryKind, ref_id: int) -> None:
    """Forget a text (a deleted post): nothing of it can be found any more."""
    await session.execute(
        delete(SearchEntry).where(SearchEntry.kind == kind.value, SearchEntry.ref_id == ref_id)
    )
