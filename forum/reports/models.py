"""The report of a workshop space and its revisions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC, JsonB, utcnow


class Report(Base):
    """One report per workshop space: its settings and the current Markdown."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("space_id"),)

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    # One of the six UN languages: headings and fixed phrases are written in it.
    language: Mapped[str] = mapped_column(String(2))
    # Chapter I (mandate, scope, possible action): entered by the secretariat once per
    # series, paragraphs separated by blank lines.
    introduction: Mapped[str] = mapped_column(Text, default="")
    # Chapter II's facts, entered by the secretariat once (left empty, the draft reads the
    # date from the record and names who opened the first segment): the day or days held,
    # the venue, who opened the workshop and who chaired it, written in the report's language.
    held_from: Mapped[date | None] = mapped_column(Date, default=None)
    held_to: Mapped[date | None] = mapped_column(Date, default=None)
    venue: Mapped[str] = mapped_column(String(300), default="", server_default="")
    opener: Mapped[str] = mapped_column(String(300), default="", server_default="")
    chair: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # The threads the moderators mark as presentations, in the order chapter III gives them.
    presentation_thread_ids: Mapped[list[int]] = mapped_column(JsonB, default=list)
    body: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    published_thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"), default=None)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)


class ReportRevision(Base):
    """Every version of the body, as posts keep theirs: number 1 is the first draft."""

    __tablename__ = "report_revisions"
    __table_args__ = (UniqueConstraint("report_id", "number"),)

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # "generated" (built from the record) or "edited" (Markdown sent by a moderator).
    source: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
