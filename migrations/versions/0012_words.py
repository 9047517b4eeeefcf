"""words: posts.archive, the record behind a post the service writes (a closed café's
table, a round table), for clients that word it in the reader's language

Revision ID: 0012_words
Revises: 0011_cafe_rounds
Create Date: 2026-11-30 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_words"
down_revision: str | None = "0011_cafe_rounds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain nullable column, added in place on both databases (no batch rebuild of posts).
    op.add_column("posts", sa.Column("archive", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE posts DROP COLUMN archive")
