"""Every table of every domain, imported once so Alembic and tests see the whole schema."""

from forum.accounts.models import AuthToken, User
from forum.audit.models import AuditEntry
from forum.cafes.models import Cafe, CafeSeat, CafeTable, CafeVisit, TableMessage
from forum.feedback.models import Poll, PollResponse
from forum.lib.db import Base
from forum.ops.models import HealthProbe
from forum.reports.models import Report, ReportRevision

# Round tables (forum.roundtables).
from forum.roundtables.models import FloorRequest, Intervention, RoundTable
from forum.spaces.models import Space, SpaceModerator
from forum.streams.models import Event, TopicCounter
from forum.threads.models import Flag, Post, PostRevision, Thread

metadata = Base.metadata

__all__ = [
    "AuditEntry",
    "AuthToken",
    "Cafe",
    "CafeSeat",
    "CafeTable",
    "CafeVisit",
    "Event",
    "Flag",
    "FloorRequest",
    "HealthProbe",
    "Intervention",
    "Poll",
    "PollResponse",
    "Post",
    "PostRevision",
    "Report",
    "ReportRevision",
    "RoundTable",
    "Space",
    "SpaceModerator",
    "TableMessage",
    "Thread",
    "TopicCounter",
    "User",
    "metadata",
]
