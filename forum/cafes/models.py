"""Cafés, their tables, who sits where (now and before), and table messages."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC, utcnow


class CafeState(enum.StrEnum):
    open = "open"
    running = "running"
    closed = "closed"


# Cafe.round_notice: what the round clock has said of the round under way.
ROUND_QUIET, ROUND_WARNED, ROUND_ENDED = 0, 1, 2


class Cafe(Base):
    __tablename__ = "cafes"
    # The round clock (forum.cafes.clock) looks for rounds whose warning or end is due.
    __table_args__ = (Index("ix_cafes_round_due", "round_notice", "round_ends_at"),)

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10), default=CafeState.open.value)
    round: Mapped[int] = mapped_column(Integer, default=0)
    round_seconds: Mapped[int] = mapped_column(Integer)
    round_ends_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # What the round clock has said of the round under way: 0 nothing, 1 the one-minute
    # warning, 2 the end. A conditional UPDATE on it decides which process says it.
    round_notice: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # At the end of a round the next one starts by itself (the clock rotates).
    auto_rotate: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    archive_thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)


class CafeTable(Base):
    __tablename__ = "cafe_tables"

    cafe_id: Mapped[int] = mapped_column(ForeignKey("cafes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(300))
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    harvest: Mapped[str] = mapped_column(Text, default="")
    # The highest message number handed out at this table.
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    # How many of them are hidden: the count others get leaves them out (forum.cafes.views).
    hidden_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CafeSeat(Base):
    """Where a participant sits now (one row per participant per café)."""

    __tablename__ = "cafe_seats"
    __table_args__ = (UniqueConstraint("cafe_id", "user_id"),)

    cafe_id: Mapped[int] = mapped_column(ForeignKey("cafes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    table_id: Mapped[int] = mapped_column(ForeignKey("cafe_tables.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)


class CafeVisit(Base):
    """Every table a participant has sat at, by round: the seating rule reads it."""

    __tablename__ = "cafe_visits"
    __table_args__ = (UniqueConstraint("cafe_id", "user_id", "round"),)

    cafe_id: Mapped[int] = mapped_column(ForeignKey("cafes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    table_id: Mapped[int] = mapped_column(ForeignKey("cafe_tables.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)


class TableMessage(Base):
    __tablename__ = "table_messages"
    __table_args__ = (UniqueConstraint("table_id", "number"), UniqueConstraint("author_id", "client_id"))

    table_id: Mapped[int] = mapped_column(ForeignKey("cafe_tables.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(12), default="published")
    moderation_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
