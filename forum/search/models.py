"""The search index: one row per text that can be found (a thread's title, a post, a table
message, a table's harvest).

The row says what the text is (`kind`, `ref_id`) and where it lives (`thread_id` or
`table_id`), never who may read it: that is decided when searching, by joining the hits to
their posts, threads, tables and spaces (`forum.searching.reads`). Its terms are in
`document`: a tsvector with a GIN index on PostgreSQL; on SQLite the text of the two
columns of the FTS5 table `search_fts` (a tab between them), which the table's triggers
copy into it, the entry's id as its rowid (the FTS5 table and the triggers are made by
migration 0007_search and unknown to the ORM). Ids follow the order texts were written in,
so newest first is the highest id first.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC

# SQLite has no tsvector: there the column holds the text its FTS5 table indexes.
Terms = Text().with_variant(TSVECTOR(), "postgresql")
FTS_TABLE = "search_fts"
DOCUMENT_INDEX = "ix_search_entries_document"


class EntryKind(enum.StrEnum):
    thread = "thread"
    post = "post"
    message = "message"
    harvest = "harvest"


class SearchEntry(Base):
    __tablename__ = "search_entries"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id"),
        # PostgreSQL only: on SQLite the FTS5 table is the index.
        Index(DOCUMENT_INDEX, "document", postgresql_using="gin").ddl_if(dialect="postgresql"),
        Index("ix_search_entries_created", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(8))
    # The id of the post, thread, table message or (for a harvest) table.
    ref_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), default=None, index=True
    )
    table_id: Mapped[int | None] = mapped_column(
        ForeignKey("cafe_tables.id", ondelete="CASCADE"), default=None, index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    document: Mapped[str | None] = mapped_column(Terms, default=None)
