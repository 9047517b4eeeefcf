"""The table behind the readiness check's proof that the database takes writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC, utcnow


class HealthProbe(Base):
    """One row (`name` "probe"), written in place by every health check and committed.

    A write that is rolled back proves nothing on SQLite: its pages stay in the cache and
    never reach the disk, so a full disk goes unnoticed. Committing an update of this one
    row does reach it, and leaves nothing behind.
    """

    __tablename__ = "health_probe"

    name: Mapped[str] = mapped_column(String(20), unique=True)
    checked_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
