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

from sqlalchemy import Insert, delete
from sqlalchemy.dialects import postgresql, sqlite
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


def _upsert(is_pg: bool) -> Insert:
    insert = postgresql.insert(SearchEntry) if is_pg else sqlite.insert(SearchEntry)
    # A text written again (an edit, a new title, a harvest replaced) keeps its entry and id.
    return insert.on_conflict_do_update(
        index_elements=["kind", "ref_id"],
        set_={"document": insert.excluded.document, "thread_id": insert.excluded.thread_id},
    )


# Built once: `excluded` is a new alias of the table, every column copied, each time it is
# read, and those copies are reference cycles the garbage collector then has to find
# (a few hundred objects per post written, docs/benchmarks.md).
_UPSERTS = {True: _upsert(True), False: _upsert(False)}


async def remove(session: AsyncSession, kind: EntryKind, ref_id: int) -> None:
    """Forget a text (a deleted post): nothing of it can be found any more."""
    await session.execute(
        delete(SearchEntry).where(SearchEntry.kind == kind.value, SearchEntry.ref_id == ref_id)
    )
