"""Every table of every domain, imported once so Alembic and tests see the whole schema."""

from forum.accounts.models import AuthToken, User
from forum.attention.models import Notification
from forum.audit.models import AuditEntry
from forum.cafes.models import Cafe, CafeSeat, CafeTable, CafeVisit, TableMessage
from forum.lib.db import Base
from forum.mail.models import MailOutbox, MailPreference
from forum.ops.models import HealthProbe
from forum.spaces.models import Space, SpaceModerator
from forum.streams.models import Event, TopicCounter
from forum.threads.models import Flag, Post, PostRevision, SpaceWatch, Thread, ThreadUser

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
    "HealthProbe",
    "MailOutbox",
    "MailPreference",
    "Notification",
    "Post",
    "PostRevision",
    "Space",
    "SpaceModerator",
    "SpaceWatch",
    "TableMessage",
    "Thread",
    "ThreadUser",
    "TopicCounter",
    "User",
    "metadata",
]
