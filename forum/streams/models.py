"""The event log: every event a topic emits, numbered gap-free per topic."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC, JsonB, utcnow


class TopicCounter(Base):
    """The last seq handed out for one topic; bumped in the writer's transaction."""

    __tablename__ = "topic_counters"

    topic: Mapped[str] = mapped_column(String(64), unique=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)


class Event(Base):
    """One event of a topic.

    When `owner_id` or `space_id` restrict it (a pending or hidden post), viewers who are
    neither its owner nor a moderator of `space_id` receive `public_type`/`public_data`
    instead, so every viewer still sees every seq without a gap.
    """

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("topic", "seq"),)

    topic: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JsonB)
    restricted: Mapped[bool] = mapped_column(default=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), default=None)
    public_type: Mapped[str | None] = mapped_column(String(40), default=None)
    public_data: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
