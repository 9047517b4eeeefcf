"""The notifications table: one row per recipient and cause, written in the cause's transaction.

A row is what a later mail outbox reads too: who (`user_id`), what (`kind`), by whom
(`actor_id`), about what (`space_id`, `thread_id`, `post_id`, `cafe_id`,
`roundtable_id`), when, and
whether it was read. Visibility is checked again whenever a row is shown (forum.attention.inbox).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC, utcnow


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id", "user_id", "id"),
        Index("ix_notifications_post_id", "post_id"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), default=None)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), default=None)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), default=None)
    cafe_id: Mapped[int | None] = mapped_column(ForeignKey("cafes.id", ondelete="CASCADE"), default=None)
    # No foreign key: SQLite cannot add one to an existing table without rebuilding it, and
    # rebuilding `notifications` would cascade into `mail_outbox`. A round table goes only
    # with its space, and `space_id` (always set for its notification) cascades already.
    roundtable_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
