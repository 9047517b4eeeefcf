"""audit_keyset: the audit log's per-space and per-actor indexes end with the entry's id

Revision ID: 0016_audit_keyset
Revises: 0015_modpage
Create Date: 2026-12-01 01:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_audit_keyset"
down_revision: str | None = "0015_modpage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A space moderator's page of the log is the newest entries of their spaces and their
    # own below a cursor: with the id in the index, each is a walk back from the cursor that
    # stops at the page's size, instead of every id below the cursor matched in a bitmap.
    op.drop_index("ix_audit_log_space", table_name="audit_log")
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.create_index("ix_audit_log_space", "audit_log", ["space_id", "id"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_space", table_name="audit_log")
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.create_index("ix_audit_log_space", "audit_log", ["space_id"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor_id"])
