"""cafe_rounds: the round clock's notice (warning, end) and the café's auto_rotate setting

Revision ID: 0011_cafe_rounds
Revises: 0010_reports
Create Date: 2026-11-30 11:43:46.375923
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_cafe_rounds"
down_revision: str | None = "0010_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not batch mode, here and below: on SQLite a batch that must rebuild `cafes` drops the
    # old table, and with foreign keys on that deletes every table, seat and message of
    # every café (ON DELETE CASCADE). Both databases add and drop a plain column in place.
    op.add_column("cafes", sa.Column("round_notice", sa.Integer(), server_default="0", nullable=False))
    op.add_column("cafes", sa.Column("auto_rotate", sa.Boolean(), server_default="0", nullable=False))
    op.create_index("ix_cafes_round_due", "cafes", ["round_notice", "round_ends_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cafes_round_due", table_name="cafes")
    op.execute("ALTER TABLE cafes DROP COLUMN auto_rotate")
    op.execute("ALTER TABLE cafes DROP COLUMN round_notice")
