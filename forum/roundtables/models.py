"""Round tables, the requests for the floor, and the interventions made from it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.lib.db import Base, DateTimeUTC, JsonB, utcnow


class RoundTableState(enum.StrEnum):
    open = "open"
    closed = "closed"


class QueuePolicy(enum.StrEnum):
    # Requests in the order they came.
    request_order = "request_order"
    # Parties' requests before everyone else's, each group in the order it came.
    parties_first = "parties_first"


class CapacityKind(enum.StrEnum):
    party = "party"
    lcipp = "lcipp"
    fwg = "fwg"
    observer = "observer"
    secretariat = "secretariat"


class RequestState(enum.StrEnum):
    waiting = "waiting"
    speaking = "speaking"
    spoke = "spoke"
    withdrawn = "withdrawn"
    skipped = "skipped"


class Attribution(enum.StrEnum):
    # 'the representative of Malaysia', 'a representative of the Facilitative Working Group'
    capacity = "capacity"
    # 'a participant'
    anonymous = "anonymous"


class RoundTable(Base):
    __tablename__ = "roundtables"
    # The reminder clock looks for turns that have run out and were not yet announced.
    __table_args__ = (Index("ix_roundtables_turn_due", "turn_reminded", "turn_ends_at"),)

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(1000))
    turn_seconds: Mapped[int] = mapped_column(Integer)
    policy: Mapped[str] = mapped_column(String(20), default=QueuePolicy.request_order.value)
    state: Mapped[str] = mapped_column(String(10), default=RoundTableState.open.value)
    chair_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Who may write summaries besides the chair and the speaker (user ids).
    rapporteur_ids: Mapped[list[int]] = mapped_column(JsonB, default=list)
    # The turn under way: its intervention, the server's end of the countdown, and whether
    # the end was announced (the reminder goes out once, from whichever process sees it first).
    # No foreign key: the two tables would point at each other (the row is checked on use).
    current_intervention_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=None
    )
    turn_ends_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    turn_reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    # Hands out positions in the queue and numbers of interventions.
    request_count: Mapped[int] = mapped_column(Integer, default=0)
    intervention_count: Mapped[int] = mapped_column(Integer, default=0)
    archive_thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class FloorRequest(Base):
    """A request for the floor; the queue is the waiting ones, by `position`."""

    __tablename__ = "roundtable_requests"
    __table_args__ = (Index("ix_roundtable_requests_queue", "roundtable_id", "state", "position"),)

    roundtable_id: Mapped[int] = mapped_column(ForeignKey("roundtables.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    capacity_kind: Mapped[str] = mapped_column(String(20))
    # The Party's code (kind party) or the organisation's name (kind observer).
    capacity_code: Mapped[str | None] = mapped_column(String(200), default=None)
    attribution: Mapped[str] = mapped_column(String(12), default=Attribution.capacity.value)
    state: Mapped[str] = mapped_column(String(12), default=RequestState.waiting.value)
    position: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)


class Intervention(Base):
    """One turn at the floor, as the report reads it: who, in what capacity, when, how
    long, what was said (the summary), and how the speaker wants to be named."""

    __tablename__ = "roundtable_interventions"
    __table_args__ = (UniqueConstraint("roundtable_id", "number"),)

    roundtable_id: Mapped[int] = mapped_column(ForeignKey("roundtables.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[int] = mapped_column(ForeignKey("roundtable_requests.id", ondelete="CASCADE"))
    speaker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    capacity_kind: Mapped[str] = mapped_column(String(20))
    capacity_code: Mapped[str | None] = mapped_column(String(200), default=None)
    attribution: Mapped[str] = mapped_column(String(12), default=Attribution.capacity.value)
    started_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    duration_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
