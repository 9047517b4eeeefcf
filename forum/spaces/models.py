"""Spaces and their moderators."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC, JsonB, utcnow


class SpaceKind(enum.StrEnum):
    nma = "nma"
    workshop = "workshop"
    general = "general"


class ModerationMode(enum.StrEnum):
    pre = "pre"
    post = "post"


class Visibility(enum.StrEnum):
    public = "public"
    restricted = "restricted"


class Space(Base):
    __tablename__ = "spaces"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))
    moderation: Mapped[str] = mapped_column(String(10))
    visibility: Mapped[str] = mapped_column(String(20))
    allowed_roles: Mapped[list[str]] = mapped_column(JsonB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)


class SpaceModerator(Base):
    __tablename__ = "space_moderators"
    __table_args__ = (UniqueConstraint("space_id", "user_id"),)

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
