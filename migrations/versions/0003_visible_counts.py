"""threads.restricted_count and cafe_tables.hidden_count: figures that leave out what the reader may not see

A thread counts its pending and hidden posts, a table its hidden messages, so that the
figures given to those who may not see them leave them out (forum.threads.counts,
forum.cafes.views). Both are counted from the rows already there. A thread whose latest
activity is a post hidden since gets the time of its latest post still public.

Revision ID: 0003_visible_counts
Revises: 0002_revision_status
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_visible_counts"
down_revision: str | None = "0002_revision_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("restricted_count", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("cafe_tables", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_count", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE threads SET restricted_count = (SELECT count(*) FROM posts"
        " WHERE posts.thread_id = threads.id AND posts.status IN ('pending', 'hidden'))"
    )
    op.execute(
        "UPDATE cafe_tables SET hidden_count = (SELECT count(*) FROM table_messages"
        " WHERE table_messages.table_id = cafe_tables.id AND table_messages.status = 'hidden')"
    )
    # A post published at once set the thread's last_post_at to its own created_at.
    op.execute(
        "UPDATE threads SET last_post_at = COALESCE((SELECT max(p.created_at) FROM posts p"
        " WHERE p.thread_id = threads.id AND p.status IN ('published', 'deleted')), threads.created_at)"
        " WHERE EXISTS (SELECT 1 FROM posts h WHERE h.thread_id = threads.id"
        " AND h.status = 'hidden' AND h.created_at = threads.last_post_at)"
    )


def downgrade() -> None:
    # Not batch mode: on SQLite it would copy each table into a new one and drop the old,
    # and with foreign keys on, dropping `threads` deletes every post (ON DELETE CASCADE).
    # SQLite (3.35 and later) and PostgreSQL both drop a plain column in place.
    op.execute("ALTER TABLE cafe_tables DROP COLUMN hidden_count")
    op.execute("ALTER TABLE threads DROP COLUMN restricted_count")
