"""Passing signals about one account, on its internal channel `user:{id}`.

Domains call these after the commit that changed the account; each process's hub hears
them for the users it has sockets of (`forum.realtime.hub`). They are not stored: a lost
one is caught by the hub's periodic re-reading of every socket's session.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from forum.streams import log as streams

# The internal channel of one user's sockets (not a topic clients may subscribe to).
USER_PREFIX = "user:"
# The user was suspended: their sockets end at once.
ACCOUNT_SUSPENDED = "account.suspended"
# Something a socket's session depends on changed (a token revoked, a silence, a role, the
# spaces the user moderates): their sockets re-read it at once.
ACCOUNT_CHANGED = "account.changed"


def user_channel(user_id: int) -> str:
    return f"{USER_PREFIX}{user_id}"


def account_suspended(session: AsyncSession, user_id: int) -> None:
    streams.signal(session, user_channel(user_id), ACCOUNT_SUSPENDED, {"user_id": user_id})


def account_changed(session: AsyncSession, user_id: int) -> None:
    streams.signal(session, user_channel(user_id), ACCOUNT_CHANGED, {"user_id": user_id})
