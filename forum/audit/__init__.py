"""The audit log, below every domain: an append-only record of moderator actions and role
changes. A domain records an act with `audit.record(session, ...)` in the transaction that
makes it; moderators read the log through `forum.moderation`."""

from forum.audit.log import record

__all__ = ["record"]
