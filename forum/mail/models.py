"""The mail tables: each user's mail preferences, and the outbox the worker sends from.

`mail_outbox` rows are written in the transaction of the notification that causes them
(forum.mail.outbox), so a rolled-back post mails no one. `dedupe_key` is unique: one row
per notification (`n:{id}`) and one per user and digest period (`digest:{user}:{period}`),
however many processes try. A row is claimed by a worker for a lease (`claimed_by`,
`claimed_until`); its `message_id` is fixed when queued, so a row sent twice after a crash
carries the same Message-ID both times.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC, utcnow


class MailPreference(Base):
    """A user's mail settings; a user without a row has the defaults (English, immediate
    mail for mentions and replies, no digest)."""

    __tablename__ = "mail_preferences"
    __table_args__ = (Index("ix_mail_preferences_user_id", "user_id", unique=True),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2), default="en")
    immediate: Mapped[bool] = mapped_column(Boolean, default=True)
    # off, daily or weekly
    digest: Mapped[str] = mapped_column(String(10), default="off")
    last_digest_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class MailOutbox(Base):
    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_dedupe_key", "dedupe_key", unique=True),
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # mention, reply or digest
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(120))
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), default=None
    )
    # queued, sent, skipped (no longer readable, seen, or unwanted) or failed (gave up)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    message_id: Mapped[str] = mapped_column(String(200))
    # The start of the period a digest covers (its end is when it is queued).
    since: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
