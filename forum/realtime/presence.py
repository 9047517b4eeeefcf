"""Who is at a table: the signed-in sockets subscribed to `table:{id}`, across processes.

Each process counts its own sockets per topic and user. With Redis, each process also
keeps its users in one sorted set per topic (member `process:user`, score = expiry) and
refreshes them every few seconds, so the list is the union over all processes and a
process that dies drops out by itself. Without Redis there is one process, and its own
counts are the whole truth. A change is announced as a `presence` passing signal.

While Redis fails, each process answers with its own counts (who is at the table through
this process) instead of failing the socket's subscribe; the next refresh that reaches
Redis writes them back, so the union is whole again within one refresh.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from typing import Any

from forum.lib.resilience import Breaker, redis_client, redis_errors

log = logging.getLogger("forum.realtime")

# A process's entries live this long without a refresh (the hub refreshes far more often).
PRESENCE_TTL_SECONDS = 45
KEY_PREFIX = "forum:presence:"
# After Redis failed, presence uses the process's own counts for this long before trying
# Redis again (a Redis that hangs would otherwise cost each subscribe a timeout).
RETRY_REDIS_SECONDS = 2.0
# Presence is a convenience: its Redis calls give up sooner than the broker's.
REDIS_TIMEOUT_SECONDS = 1.0


class Presence:
    def __init__(self, redis_url: str | None) -> None:
        self.local: dict[str, Counter[int]] = {}
        self.process = uuid.uuid4().hex[:12]
        self.redis: Any = None
        self.breaker = Breaker(RETRY_REDIS_SECONDS)
        if redis_url:
            self.redis = redis_client(redis_url, timeout=REDIS_TIMEOUT_SECONDS)

    def _usable(self) -> bool:
        return self.redis is not None and not self.breaker.open

    def _failed(self, exc: BaseException) -> None:
        if self.breaker.failed(exc):
            log.warning(
                "presence falls back to this process's own sockets: Redis failed (%s)", self.breaker.problem
            )

    def _member(self, user_id: int) -> str:
        return f"{self.process}:{user_id}"

    async def join(self, topic: str, user_id: int) -> bool:
        """Count one more socket of this user on the topic; True if the user just arrived."""
        counts = self.local.setdefault(topic, Counter())
        counts[user_id] += 1
        if counts[user_id] > 1:
            return False
        if self._usable():
            try:
                await self.redis.zadd(
                    KEY_PREFIX + topic, {self._member(user_id): time.time() + PRESENCE_TTL_SECONDS}
                )
            except redis_errors() as exc:
                self._failed(exc)
        return True

    async def leave(self, topic: str, user_id: int) -> bool:
        """Count one socket less; True if the user's last socket here left."""
        counts = self.local.get(topic)
        if counts is None or counts[user_id] <= 0:
            return False
        counts[user_id] -= 1
        if counts[user_id] > 0:
            return False
        del counts[user_id]
        if not counts:
            del self.local[topic]
        if self._usable():
            try:
                await self.redis.zrem(KEY_PREFIX + topic, self._member(user_id))
            except redis_errors() as exc:
                # Its entry expires by itself (PRESENCE_TTL_SECONDS) once no refresh renews it.
                self._failed(exc)
        return True

    async def members(self, topic: str) -> list[int]:
        own = sorted(self.local.get(topic, {}))
        if not self._usable():
            return own
        key = KEY_PREFIX + topic
        try:
            await self.redis.zremrangebyscore(key, "-inf", time.time())
            raw = await self.redis.zrange(key, 0, -1)
        except redis_errors() as exc:
            self._failed(exc)
            return own
        users = {int(m.decode().rpartition(":")[2]) for m in raw}
        # This process's own, even if Redis lost them (a restart) and no refresh ran yet.
        users.update(own)
        return sorted(users)

    async def refresh(self) -> None:
        """Push this process's entries' expiry forward (called every few seconds); after
        Redis failed, this is also what writes them back."""
        if self.redis is None or not self.local:
            return
        expires = time.time() + PRESENCE_TTL_SECONDS
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for topic, counts in self.local.items():
                    pipe.zadd(KEY_PREFIX + topic, {self._member(uid): expires for uid in counts})
                    pipe.expire(KEY_PREFIX + topic, PRESENCE_TTL_SECONDS * 2)
                await pipe.execute()
        except redis_errors() as exc:
            self._failed(exc)
            return
        if self.breaker.succeeded():
            log.warning("presence is shared through Redis again")

    async def close(self) -> None:
        if self.redis is None:
            return
        try:
            if self.local and self._usable():
                async with self.redis.pipeline(transaction=False) as pipe:
                    for topic, counts in self.local.items():
                        pipe.zrem(KEY_PREFIX + topic, *(self._member(uid) for uid in counts))
                    await pipe.execute()
        except redis_errors():
            pass  # the entries expire by themselves (PRESENCE_TTL_SECONDS)
        finally:
            self.local.clear()
            await self.redis.aclose()
