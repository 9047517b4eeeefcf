"""Writing the search index, in the caller's transaction: the domains call `put` when a text is
written or changed and `remove` when it is gone (a deleted post), so that the index never
holds a text the lists no longer show. Who may read a hit is not stored here: hidden,
pending and moved texts stay indexed and are filtered when searching."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from forum.search.models import FTS_TABLE, EntryKind, SearchEntry
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


_FTS_DELETE = text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_FTS_INSERT = text(f"INSERT INTO {FTS_TABLE} (rowid, stems, words) VALUES (:id, :stems, :words)")


async def put(session: AsyncSession, entry: Entry) -> None:
    """Index a text, replacing what was indexed for the same thing (a blank text: removing it)."""
    if entry.text.strip():
        await put_many(session, [entry])
    else:
        await remove(session, entry.kind, entry.ref_id)


async def put_many(session: AsyncSession, entries: list[Entry]) -> None:
    """Index several texts in one statement per table (a group commit's table messages)."""
    if not entries:
        return
    is_pg = session.get_bind().dialect.name == "postgresql"
    docs = [document(entry.text) for entry in entries]
    rows = [
        {
            "kind": entry.kind.value,
            "ref_id": entry.ref_id,
            "thread_id": entry.thread_id,
            "table_id": entry.table_id,
            "author_id": entry.author_id,
            "created_at": entry.created_at,
            # The tsvector in its literal syntax, read by PostgreSQL as it is, never through
            # to_tsvector()'s parser.
            "document": doc.tsvector() if is_pg else None,
        }
        for entry, doc in zip(entries, docs, strict=True)
    ]
    insert = postgresql.insert(SearchEntry) if is_pg else sqlite.insert(SearchEntry)
    statement = insert.on_conflict_do_update(
        index_elements=["kind", "ref_id"],
        set_={"document": insert.excluded.document, "thread_id": insert.excluded.thread_id},
    ).returning(SearchEntry.id)
    ids = []
    for row in rows:  # one RETURNING per row keeps the ids in order on both databases
        ids.append((await session.execute(statement, row)).scalar_one())
    if not is_pg:
        await session.execute(_FTS_DELETE, {"ids": ids})
        await session.execute(
            _FTS_INSERT,
            [
                {"id": id_, "stems": cols[0], "words": cols[1]}
                for id_, cols in zip(ids, (doc.fts_columns() for doc in docs), strict=True)
            ],
        )


async def remove(session: AsyncSession, kind: EntryKind, ref_id: int) -> None:
    """Forget a text (a deleted post): nothing of it can be found any more."""
    ids = list(
        (
            await session.execute(
                delete(SearchEntry)
                .where(SearchEntry.kind == kind.value, SearchEntry.ref_id == ref_id)
                .returning(SearchEntry.id)
            )
        ).scalars()
    )
    if ids and session.get_bind().dialect.name != "postgresql":
        await session.execute(_FTS_DELETE, {"ids": ids})


async def entry_ids(session: AsyncSession, kind: EntryKind, ref_id: int) -> list[int]:
    """The index rows of a thing (none or one): for tests and the rebuild."""
    return list(
        (
            await session.execute(
                select(SearchEntry.id).where(SearchEntry.kind == kind.value, SearchEntry.ref_id == ref_id)
            )
        ).scalars()
    )
