"""scale_indexes: the indexes the hot reads need at a million posts

- threads: the space's list in its order, with the id, so that a page past a cursor is an
  index range on PostgreSQL too (it replaces ix_threads_space_order, which lacked the id);
- posts: a reader's own posts in a thread (the restricted ones counted in a thread list for
  a signed-in reader, slow mode), which otherwise read every post of the thread;
- posts: by status in time order (it replaces ix_posts_status): the pending posts of the
  moderation queue, oldest first, as a keyset range;
- flags: the open flags of the moderation queue, which otherwise read every flag.

Measured with `python -m tests.bench.scale` (docs/benchmarks.md, "Scale").

Revision ID: 0005_scale_indexes
Revises: 0004_health_probe
Create Date: 2026-11-30 11:00:00
"""

from collections.abc import Sequence

from alembic import op

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
    op.create_index("ix_flags_open", "flags", ["resolved_at", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_flags_open", table_name="flags")
    op.create_index("ix_posts_status", "posts", ["status"])
    op.drop_index("ix_posts_status_created", table_name="posts")
    op.drop_index("ix_posts_thread_author", table_name="posts")
    op.create_index("ix_threads_space_order", "threads", ["space_id", "pinned", "last_post_at"])
    op.drop_index("ix_threads_space_keyset", table_name="threads")
