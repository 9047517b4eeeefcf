"""The audit log's table: one row per moderator action or role change, only ever inserted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC, JsonB, utcnow


class AuditEntry(Base):
    """One moderator action or role change. Rows are only ever inserted."""

    __tablename__ = "audit_log"
    __table_args__ = (
        # A moderator's page of their spaces' entries and their own, newest first below a
        # cursor: each index walked back from the cursor (migration 0016).
        Index("ix_audit_log_space", "space_id", "id"),
        Index("ix_audit_log_actor", "actor_id", "id"),
        Index("ix_audit_log_action", "action"),
    )

    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column()
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="SET NULL"), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None)
    at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
