"""Polls and the answers given to them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC, JsonB, utcnow


class QuestionKind(enum.StrEnum):
    single_choice = "single_choice"
    rating = "rating"
    text = "text"


class Poll(Base):
    __tablename__ = "polls"

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    # Anonymous: the results never name who answered (the answer still names its user, so
    # that each answers once and may change it).
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    # The questions, in order: {"kind", "prompt", "choices"} (choices for single_choice).
    # Kept with the poll: they are fixed once it opens and always read together.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    opens_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)


class PollResponse(Base):
    """One participant's answers to one poll: a list, one entry per question (an index into
    the choices, a rating 1-5, a text, or null for a question left out)."""

    __tablename__ = "poll_responses"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answers: Mapped[list[Any]] = mapped_column(JsonB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
