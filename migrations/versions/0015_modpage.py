"""modpage: a post remembers that it was rejected (not hidden after publication)

Revision ID: 0015_modpage
Revises: 0014_between
Create Date: 2026-11-30 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_modpage"
down_revision: str | None = "0014_between"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not batch mode: on SQLite a batch rebuild of `posts` would drop the table, and with it,
    # by ON DELETE CASCADE, every revision and flag. A plain column is added in place.
    op.add_column("posts", sa.Column("rejected", sa.Boolean(), server_default="0", nullable=False))
    # Posts rejected before this column: the audit log says which (the latest of a post's
    # moderation entries was a rejection and the post is still hidden).
    op.execute(
        """
        UPDATE posts SET rejected = TRUE
        WHERE status = 'hidden' AND id IN (
            SELECT a.target_id FROM audit_log a
            WHERE a.target_type = 'post' AND a.action = 'post.reject'
              AND a.id = (
                SELECT max(b.id) FROM audit_log b
                WHERE b.target_type = 'post' AND b.target_id = a.target_id
                  AND b.action IN ('post.approve', 'post.reject', 'post.hide', 'post.unhide', 'post.auto_hide')
              )
        )
        """
    )


def downgrade() -> None:
    op.execute("ALTER TABLE posts DROP COLUMN rejected")
