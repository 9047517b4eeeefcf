"""between: notifications of a round table's opening name the round table

`notifications.roundtable_id` (null for every other kind) lets the inbox link a
`roundtable_opened` notification to the round table and check it again against the
round table's space. No foreign key: SQLite cannot add one to an existing table without
rebuilding it, and dropping the old `notifications` would delete every `mail_outbox` row
(ON DELETE CASCADE). A round table goes only with its space, and the notification's
`space_id` cascades already.

Revision ID: 0014_between
Revises: 0013_workshop
Create Date: 2026-11-30 13:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_between"
down_revision: str | None = "0013_workshop"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not batch mode (see above): both databases add a plain nullable column in place.
    op.add_column(
        "notifications",
        sa.Column("roundtable_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE notifications DROP COLUMN roundtable_id")
