"""Every table of every domain, imported once so Alembic and tests see the whole schema."""

from forum.accounts.models import AuthToken, User
from forum.attention.models import Notification
from forum.audit.models import AuditEntry
from forum.cafes.models import Cafe, CafeSeat, CafeTable, CafeVisit, TableMessage
from forum.feedback.models import Poll, PollResponse
from forum.lib.db import Base
from forum.mail.models import MailOutbox, MailPreference
from forum.ops.models import HealthProbe
from forum.reports.models import Report, ReportRevision

# Round tables (forum.roundtables).
from forum.roundtables.models import FloorRequest, Intervention, RoundTable
from forum.search.models import DOCUMENT_INDEX, FTS_TABLE, SearchEntry
from forum.spaces.models import Space, SpaceModerator
from forum.streams.models import Event, TopicCounter
from forum.threads.models import Flag, Post, PostRevision, QueueEntry, SpaceWatch, Thread, ThreadUser

metadata = Base.metadata


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """What Alembic compares with the models: everything but SQLite's FTS5 table of the
    search index and its shadow tables, made by migration 0005 and unknown to the models,
    and the GIN index of the search terms, made on PostgreSQL only (Alembic does not read
    an index's ddl_if)."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name == DOCUMENT_INDEX)


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
    "MailOutbox",
    "MailPreference",
    "Notification",
    "Poll",
    "PollResponse",
    "Post",
    "PostRevision",
    "QueueEntry",
    "Report",
    "ReportRevision",
    "RoundTable",
    "SearchEntry",
    "Space",
    "SpaceModerator",
    "SpaceWatch",
    "TableMessage",
    "Thread",
    "ThreadUser",
    "TopicCounter",
    "User",
    "include_object",
    "metadata",
]
