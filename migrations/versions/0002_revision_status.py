"""post_revisions.status: the post's status while a revision's text was its own

A text replaced while its post was pending or hidden stays visible only to the post's
author and the space's moderators. Existing revisions get the status their post had at
their `edited_at`, read back from the audit log's status changes of the post (approve,
reject, hide, unhide, auto-hide, dismissed flags); a post with no such entry had its
present status all along.

Revision ID: 0002_revision_status
Revises: 0001
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002_revision_status"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_revisions = sa.table(
    "post_revisions",
    sa.column("id", sa.Integer),
    sa.column("post_id", sa.Integer),
    sa.column("edited_at", sa.DateTime),
    sa.column("status", sa.String),
)
_posts = sa.table("posts", sa.column("id", sa.Integer), sa.column("status", sa.String))
_audit = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("target_type", sa.String),
    sa.column("target_id", sa.Integer),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
    sa.column("at", sa.DateTime),
)


def _as_naive(value: Any) -> datetime:
    """A stored time (UTC; a datetime, or text on SQLite) as a naive datetime to compare."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=None) if value.tzinfo is not None else value


def _backfill(bind: sa.engine.Connection) -> None:
    revisions = bind.execute(
        sa.select(_revisions.c.id, _revisions.c.post_id, _revisions.c.edited_at, _posts.c.status).join(
            _posts, _posts.c.id == _revisions.c.post_id
        )
    ).all()
    if not revisions:
        return
    post_ids = sorted({row.post_id for row in revisions})
    changes: dict[int, list[tuple]] = {}
    for start in range(0, len(post_ids), 500):
        for entry in bind.execute(
            sa.select(_audit.c.target_id, _audit.c.at, _audit.c.id, _audit.c.before, _audit.c.after)
            .where(_audit.c.target_type == "post", _audit.c.target_id.in_(post_ids[start : start + 500]))
            .order_by(_audit.c.at, _audit.c.id)
        ):
            before, after = entry.before or {}, entry.after or {}
            if "status" in after and "status" in before and after["status"] != before["status"]:
                changes.setdefault(entry.target_id, []).append(
                    (_as_naive(entry.at), before["status"], after["status"])
                )
    for row in revisions:
        history = changes.get(row.post_id, [])
        status = history[0][1] if history else row.status
        edited_at = _as_naive(row.edited_at)
        for at, _before, after in history:
            # An approval with a correction stores the revision, then logs the approval
            # (at the same instant, or later): a change at the revision's time came after it.
            if at >= edited_at:
                break
            status = after
        if status != "published":
            bind.execute(sa.update(_revisions).where(_revisions.c.id == row.id).values(status=status))


def upgrade() -> None:
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=12), nullable=False, server_default="published"))
    _backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.drop_column("status")
