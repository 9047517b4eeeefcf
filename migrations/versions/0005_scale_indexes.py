"""scale_indexes: the indexes the hot reads need at a million posts

- threads: the space's list in its order, with the id, so that a page past a cursor is an
  index range on PostgreSQL too (it replaces ix_threads_space_order, which lacked the id);
- posts: a reader's own posts in a thread (the restricted ones counted in a thread list for
  a signed-in reader, slow mode), which otherwise read every post of the thread;
- posts: by status in time order (it replaces ix_posts_status): the pending posts, oldest
  first, as a keyset range (queue_entries is filled from them below);
- queue_entries: the posts waiting for a moderator, with their space, kind and the time
  they started waiting, so that a page of the queue (all of it, or a moderator's spaces)
  is a range of one index; filled here from the posts and open flags.

Measured with `python -m tests.bench.scale` (docs/benchmarks.md, "Scale").

Revision ID: 0005_scale_indexes
Revises: 0004_health_probe
Create Date: 2026-11-30 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from advanced_alchemy.types import DateTimeUTC

revision: str = "0005_scale_indexes"
down_revision: str | None = "0004_health_probe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_threads_space_keyset", "threads", ["space_id", "pinned", "last_post_at", "id"])
    op.drop_index("ix_threads_space_order", table_name="threads")
    op.create_index("ix_posts_thread_author", "posts", ["thread_id", "author_id", "status"])
    op.create_index("ix_posts_status_created", "posts", ["status", "created_at", "id"])
    op.drop_index("ix_posts_status", table_name="posts")
    op.create_table(
        "queue_entries",
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("space_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("since", DateTimeUTC(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_queue_entries_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["spaces.id"], name=op.f("fk_queue_entries_space_id_spaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_entries")),
        sa.UniqueConstraint("post_id", name=op.f("uq_queue_entries_post_id")),
    )
    op.create_index("ix_queue_entries_kind_since", "queue_entries", ["kind", "since", "post_id"])
    op.create_index(
        "ix_queue_entries_space_kind_since", "queue_entries", ["space_id", "kind", "since", "post_id"]
    )
    # What waits already: pending posts since they were written, flagged ones since their
    # oldest open flag (forum.threads.queue.computed_entries says the same in the ORM).
    op.execute(
        """
        INSERT INTO queue_entries (post_id, space_id, kind, since)
        SELECT p.id, t.space_id, 'pending', p.created_at
          FROM posts p JOIN threads t ON t.id = p.thread_id
         WHERE p.status = 'pending'
        UNION ALL
        SELECT p.id, t.space_id, 'flagged', MIN(f.created_at)
          FROM flags f JOIN posts p ON p.id = f.post_id JOIN threads t ON t.id = p.thread_id
         WHERE f.resolved_at IS NULL AND p.status NOT IN ('pending', 'deleted')
         GROUP BY p.id, t.space_id
        """
    )


def downgrade() -> None:
    op.drop_index("ix_queue_entries_space_kind_since", table_name="queue_entries")
    op.drop_index("ix_queue_entries_kind_since", table_name="queue_entries")
    op.drop_table("queue_entries")
    op.create_index("ix_posts_status", "posts", ["status"])
    op.drop_index("ix_posts_status_created", table_name="posts")
    op.drop_index("ix_posts_thread_author", table_name="posts")
    op.create_index("ix_threads_space_order", "threads", ["space_id", "pinned", "last_post_at"])
    op.drop_index("ix_threads_space_keyset", table_name="threads")
