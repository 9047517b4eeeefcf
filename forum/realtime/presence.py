"""Who is at a table: the signed-in sockets subscribed to `table:{id}`, across processes.

Each process counts its own sockets per topic and user. With Redis, each process also
keeps its users in one sorted set per topic (member `process:user`, score = expiry) and
refreshes them every few seconds, so the list is the union over all processes and a
process that dies drops out by itself. Without Redis there is one process, and its own
counts are the whole truth. A change is announced as a `presence` passing signal.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from typing import Any

# A process's entries live this long without a refresh (the hub refreshes far more often).
PRESENCE_TTL_SECONDS = 45
KEY_PREFIX = "forum:presence:"


class Presence:
    def __init__(self, redis_url: str | None) -> None:
        self.local: dict[str, Counter[int]] = {}
        self.process = uuid.uuid4().hex[:12]
        self.redis: Any = None
        if redis_url:
            from redis.asyncio import Redis

            self.redis = Redis.from_url(redis_url)

    def _member(self, user_id: int) -> str:
        return f"{self.process}:{user_id}"

    async def join(self, topic: str, user_id: int) -> bool:
        """Count one more socket of this user on the topic; True if the user just arrived."""
        counts = self.local.setdefault(topic, Counter())
        counts[user_id] += 1
        if counts[user_id] > 1:
            return False
        if self.redis is not None:
            await self.redis.zadd(
                KEY_PREFIX + topic, {self._member(user_id): time.time() + PRESENCE_TTL_SECONDS}
            )
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
        if self.redis is not None:
            await self.redis.zrem(KEY_PREFIX + topic, self._member(user_id))
        return True

    async def members(self, topic: str) -> list[int]:
        if self.redis is None:
            return sorted(self.local.get(topic, {}))
        key = KEY_PREFIX + topic
        await self.redis.zremrangebyscore(key, "-inf", time.time())
        raw = await self.redis.zrange(key, 0, -1)
        users = {int(m.decode().rpartition(":")[2]) for m in raw}
        return sorted(users)

    async def refresh(self) -> None:
        """Push this process's entries' expiry forward (called every few seconds)."""
        if self.redis is None or not self.local:
            return
        expires = time.time() + PRESENCE_TTL_SECONDS
        async with self.redis.pipeline(transaction=False) as pipe:
            for topic, counts in self.local.items():
                pipe.zadd(KEY_PREFIX + topic, {self._member(uid): expires for uid in counts})
                pipe.expire(KEY_PREFIX + topic, PRESENCE_TTL_SECONDS * 2)
            await pipe.execute()

    async def close(self) -> None:
        if self.redis is None:
            return
        for topic, counts in list(self.local.items()):
            for uid in list(counts):
                await self.redis.zrem(KEY_PREFIX + topic, self._member(uid))
        self.local.clear()
        await self.redis.aclose()
