"""Users and their sign-in tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC, utcnow


class Role(enum.StrEnum):
    admin = "admin"
    moderator = "moderator"
    focal_point = "focal_point"
    lcipp = "lcipp"
    observer = "observer"


class User(Base):
    __tablename__ = "users"
    # Unique as an index, not a constraint: SQLite adds an index in place, where a
    # constraint would rebuild the table (and fail on the rows that point at users).
    __table_args__ = (Index("ix_users_handle", "handle", unique=True),)

    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    # `@ana`: lower case, unique (forum.accounts.handles); given at registration or suggested.
    # (The server default only lets the migration add the column to existing rows.)
    handle: Mapped[str] = mapped_column(String(30), server_default="")
    role: Mapped[str] = mapped_column(String(20), default=Role.observer.value)
    party: Mapped[str | None] = mapped_column(String(3), default=None)
    organisation: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    silenced_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    silence_reason: Mapped[str | None] = mapped_column(Text, default=None)
    suspended_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    suspend_reason: Mapped[str | None] = mapped_column(Text, default=None)


class AuthToken(Base):
    """A bearer token or browser session; only its SHA-256 is stored."""

    __tablename__ = "auth_tokens"
    __table_args__ = (Index("ix_auth_tokens_user_id", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
