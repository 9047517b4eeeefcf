"""search: the index of thread titles, posts, table messages and harvests, filled from what is there

`search_entries` holds one row per text and its terms (PostgreSQL: a tsvector with a GIN
index; SQLite: text that triggers copy into the FTS5 table `search_fts`, forum/search/fts.py). Existing texts are indexed here, through the same normalizer as the application
(forum.search.terms); `forum search reindex` does it again at any time.

Revision ID: 0007_search
Revises: 0006_roundtables
Create Date: 2026-11-30 10:50:00
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from forum.search import fts
from forum.search.rebuild import rebuild_sync

revision: str = "0007_search"
down_revision: str | None = "0006_roundtables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ref_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("thread_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("table_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("document", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_search_entries_author_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["cafe_tables.id"],
            name=op.f("fk_search_entries_table_id_cafe_tables"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["threads.id"],
            name=op.f("fk_search_entries_thread_id_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_entries")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_search_entries_kind")),
    )
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.create_index("ix_search_entries_created", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_entries_table_id"), ["table_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_entries_thread_id"), ["thread_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.create_index("ix_search_entries_document", "search_entries", ["document"], postgresql_using="gin")
    else:
        # The FTS5 table and the triggers that fill it (forum/search/fts.py).
        for statement in fts.CREATE:
            op.execute(statement)
    # The application's own normalizer indexes what is there.
    rebuild_sync(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in fts.DROP:
            op.execute(statement)
    else:
        op.drop_index("ix_search_entries_document", table_name="search_entries", postgresql_using="gin")
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_entries_thread_id"))
        batch_op.drop_index(batch_op.f("ix_search_entries_table_id"))
        batch_op.drop_index("ix_search_entries_created")
    op.drop_table("search_entries")
