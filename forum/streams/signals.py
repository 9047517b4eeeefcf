"""Passing signals about who may read what: one account's, on its internal channel
`user:{id}`, and a topic's or a space's audience, on the internal channel `access`.

Domains call these in the transaction of the change; they go out after its commit (a
rolled-back change signals nothing). Each process's hub hears `user:{id}` for the users it
has sockets of, and `access` always (`forum.realtime.hub`); an account signal goes out on
both, so that every process forgets the viewer it remembers of that user
(`forum.spaces.viewer_cache`). They are not stored: a lost
account signal is caught by the hub's periodic re-reading of every socket's session, and
an event of a moved thread names its new space, which makes a socket check again before
delivering it (`forum.realtime.connection`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from forum.streams import log as streams

# The internal channel of one user's sockets (not a topic clients may subscribe to).
USER_PREFIX = "user:"
# The user was suspended: their sockets end at once.
ACCOUNT_SUSPENDED = "account.suspended"
# Something a socket's session depends on changed (a token revoked, a silence, a role, the
# spaces the user moderates): their sockets re-read it at once.
ACCOUNT_CHANGED = "account.changed"


# The internal channel every hub listens to (not a topic clients may subscribe to).
ACCESS_CHANNEL = "access"
# Who may read some topics, or every topic of a space, changed (a thread moved, a space's
# visibility or allowed roles): every process checks its subscriptions to them at once,
# with the same rules as subscribing, and ends those that may no longer read.
ACCESS_CHANGED = "access.changed"


def user_channel(user_id: int) -> str:
    return f"{USER_PREFIX}{user_id}"


def account_suspended(session: AsyncSession, user_id: int) -> None:
    _account_signal(session, user_id, ACCOUNT_SUSPENDED)


def account_changed(session: AsyncSession, user_id: int) -> None:
    _account_signal(session, user_id, ACCOUNT_CHANGED)


def _account_signal(session: AsyncSession, user_id: int, type_: str) -> None:
    data = {"user_id": user_id}
    streams.signal(session, user_channel(user_id), type_, data)
    # Also on `access`, which every process hears whether it holds this user's sockets
    # or not: each forgets the viewers it remembers of this user (forum.spaces.viewer_cache).
    streams.signal(session, ACCESS_CHANNEL, type_, data)


def access_changed(session: AsyncSession, *, topics: Iterable[str] = (), space_id: int | None = None) -> None:
    """Who may read `topics`, or every topic of space `space_id`, changed in this transaction."""
    streams.signal(
        session, ACCESS_CHANNEL, ACCESS_CHANGED, {"topics": sorted(set(topics)), "space_id": space_id}
    )
