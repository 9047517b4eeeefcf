"""workshop: chapter II's settings of a report (dates, venue, opener, chair)

Revision ID: 0013_workshop
Revises: 0012_words
Create Date: 2026-11-30 13:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_workshop"
down_revision: str | None = "0012_words"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXTS = ("venue", "opener", "chair")


def upgrade() -> None:
    # Plain ADD COLUMN on both databases (no batch: a rebuild of `reports` on SQLite would
    # cascade into its revisions).
    op.add_column("reports", sa.Column("held_from", sa.Date(), nullable=True))
    op.add_column("reports", sa.Column("held_to", sa.Date(), nullable=True))
    for name in _TEXTS:
        op.add_column("reports", sa.Column(name, sa.String(length=300), server_default="", nullable=False))


def downgrade() -> None:
    for name in reversed(_TEXTS):
        op.execute(f"ALTER TABLE reports DROP COLUMN {name}")
    op.execute("ALTER TABLE reports DROP COLUMN held_to")
    op.execute("ALTER TABLE reports DROP COLUMN held_from")
