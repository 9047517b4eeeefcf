"""Remembering a token's viewer in the process for its next HTTP requests.

Loading the viewer is a statement and an ORM user per signed-in request. A process keeps
the viewer of each token it has seen work in a small LRU for a few seconds
(`TTL_SECONDS`) and forgets it at once when something it depends on changes:

- this process's own changes: the publisher given to the sessions is wrapped
  (`ViewerCache.watching`), so a suspension, role change, sign-out, token revocation,
  silence or moderator change made here is forgotten in the commit, before its response
  leaves;
- every other process's changes: each account signal (`forum.streams.signals`) also goes
  out on the `access` channel, which every process's hub hears and hands to `forget`
  (`forum.realtime.hub`);
- while the broker is down, signals from other processes may be lost: the cache is used
  only while the `trusted` callable answers an epoch (None: do not trust), and an entry
  is used only under the epoch it was stored in. The edge answers None while the broker
  is down or the hub is not yet listening on `access`, and a new epoch at every change of
  the broker's state, so whatever was stored before an outage is never served after it.

The TTL is the safety net for what no signal announces (a change made from the command
line, a message the broker dropped); an entry also never outlives its token.

The user in a cached viewer is detached from every session (`provide_viewer` expunges it
before storing it), so requests may share it without touching each other's sessions;
services read it and never attach it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from forum.accounts.viewer import Viewer
from forum.lib.db import utcnow
from forum.streams.log import Publisher, StreamEvent
from forum.streams.signals import ACCESS_CHANNEL, USER_PREFIX

# How long a viewer is served without reading it again, at most.
TTL_SECONDS = 5.0
# Tokens remembered per process; the least recently used are forgotten first.
MAX_ENTRIES = 10_000


class ViewerCache:
    """Token digest -> viewer, for a few seconds, forgotten on every account signal."""

    def __init__(
        self,
        trusted: Callable[[], int | None] = lambda: 0,
        *,
        ttl: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._trusted = trusted
        self._ttl = ttl
        self._max = max_entries
        # digest -> (viewer, monotonic deadline, epoch)
        self._entries: OrderedDict[str, tuple[Viewer, float, int]] = OrderedDict()
        self._by_user: dict[int, set[str]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: str) -> Viewer | None:
        found = self._entries.get(digest)
        if found is None:
            self.misses += 1
            return None
        viewer, deadline, epoch = found
        if deadline <= time.monotonic() or epoch != self._trusted():
            self._drop(digest)
            self.misses += 1
            return None
        self._entries.move_to_end(digest)
        self.hits += 1
        return viewer

    def put(self, digest: str, viewer: Viewer, token_expires_at: datetime) -> None:
        epoch = self._trusted()
        user_id = viewer.id
        if epoch is None or user_id is None:
            return
        # Never past the token's own end (both are UTC).
        left = (token_expires_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)).total_seconds()
        ttl = min(self._ttl, left)
        if ttl <= 0:
            return
        self._drop(digest)
        self._entries[digest] = (viewer, time.monotonic() + ttl, epoch)
        self._by_user.setdefault(user_id, set()).add(digest)
        while len(self._entries) > self._max:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def forget_user(self, user_id: int) -> None:
        for digest in self._by_user.pop(user_id, set()):
            self._entries.pop(digest, None)

    def clear(self) -> None:
        self._entries.clear()
        self._by_user.clear()

    def forget(self, topic: str, data: Any) -> None:
        """A signal heard on `topic` (`user:{id}`, or `access` with a `user_id`): forget
        what it may have changed."""
        if topic.startswith(USER_PREFIX):
            try:
                self.forget_user(int(topic.removeprefix(USER_PREFIX)))
            except ValueError:
                self.clear()
        elif topic == ACCESS_CHANNEL and isinstance(data, dict):
            user_id = data.get("user_id")
            if isinstance(user_id, int):
                self.forget_user(user_id)

    def watching(self, publisher: Publisher) -> Publisher:
        """`publisher`, forgetting in this process what each signal it publishes changed,
        before handing the events on (so within the commit, before any response)."""
        return _ForgettingPublisher(self, publisher)

    def _drop(self, digest: str) -> None:
        found = self._entries.pop(digest, None)
        if found is None:
            return
        user_id = found[0].id
        digests = self._by_user.get(user_id) if user_id is not None else None
        if digests is not None:
            digests.discard(digest)
            if not digests:
                del self._by_user[user_id]


class _ForgettingPublisher:
    def __init__(self, cache: ViewerCache, inner: Publisher) -> None:
        self._cache = cache
        self._inner = inner

    def publish(self, events: list[StreamEvent]) -> Awaitable[Any] | None:
        for event in events:
            if event.seq is None:  # signals carry no seq; events of topics change no viewer
                self._cache.forget(event.topic, event.data)
        return self._inner.publish(events)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
