"""Litestar stores that outlive a Redis outage: Redis while it answers, this process's
memory while it does not.

The rate limits and the sign-in lock-outs count in Litestar stores, on Redis when
`FORUM_REDIS_URL` is set so that every process shares the counts. A store that raised
whenever Redis did turned every HTTP call into a 500 during an outage. `FallbackStore`
keeps counting instead: a failed Redis call is answered by a `MemoryStore` of the process,
and for a short while (`RETRY_REDIS_SECONDS`) every call goes there directly, so a Redis
that hangs costs one timeout, not one per request. When Redis answers again the counts
there take over; what the process counted meanwhile is forgotten. So during an outage
each limit applies per process rather than across them (with N processes a client may get
up to N times the limit), which is the documented price of keeping the API up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from litestar.stores.base import NamespacedStore, Store
from litestar.stores.memory import MemoryStore

from forum.lib import tallies
from forum.lib.resilience import Breaker, redis_client, redis_errors

if TYPE_CHECKING:
    from types import TracebackType

log = logging.getLogger("forum")

T = TypeVar("T")

# After a failure, calls skip Redis for this long before trying it again.
RETRY_REDIS_SECONDS = 2.0
# A store's Redis call gives up after this: a request must not wait long on a counter.
REDIS_TIMEOUT_SECONDS = 1.0


class FallbackStore(NamespacedStore):
    """`primary` (Redis) while it works, `fallback` (this process's memory) while it fails."""

    __slots__ = ("breaker", "fallback", "primary")

    def __init__(self, primary: NamespacedStore, fallback: Store, breaker: Breaker) -> None:
        self.primary = primary
        self.fallback = fallback
        # Shared by every namespace of one Redis: when it fails, it fails for all of them.
        self.breaker = breaker
        self.namespace = getattr(primary, "namespace", None)

    @classmethod
    def on_redis(cls, url: str, *, namespace: str) -> FallbackStore:
        from litestar.stores.redis import RedisStore

        primary = RedisStore(redis_client(url, timeout=REDIS_TIMEOUT_SECONDS), namespace=namespace)
        return cls(primary, MemoryStore(), Breaker(RETRY_REDIS_SECONDS))

    def with_namespace(self, namespace: str) -> FallbackStore:
        return FallbackStore(self.primary.with_namespace(namespace), MemoryStore(), self.breaker)

    async def _either(
        self, on_primary: Callable[[], Awaitable[T]], on_fallback: Callable[[], Awaitable[T]]
    ) -> T:
        if not self.breaker.open:
            try:
                result = await on_primary()
            except redis_errors() as exc:
                if self.breaker.failed(exc):
                    log.warning(
                        "counting in this process's memory: the shared store failed (%s)",
                        self.breaker.problem,
                    )
            else:
                if self.breaker.succeeded():
                    log.warning("counting in the shared store again")
                return result
        return await on_fallback()

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        await self._either(
            lambda: self.primary.set(key, value, expires_in),
            lambda: self.fallback.set(key, value, expires_in),
        )

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await self._either(
            lambda: self.primary.get(key, renew_for), lambda: self.fallback.get(key, renew_for)
        )

    async def delete(self, key: str) -> None:
        await self._either(lambda: self.primary.delete(key), lambda: self.fallback.delete(key))

    async def increment(self, key: str, amount: int, *, expires_in: float, refresh: bool) -> tallies.Count:
        """One atomic step on the store in use (forum.lib.tallies): Redis's script while it
        works, so the count holds across processes; this process's memory while it fails."""
        return await self._either(
            lambda: tallies.add(self.primary, key, amount, expires_in=expires_in, refresh=refresh),
            lambda: tallies.add(self.fallback, key, amount, expires_in=expires_in, refresh=refresh),
        )

    async def delete_all(self) -> None:
        await self.fallback.delete_all()
        await self._either(self.primary.delete_all, self.fallback.delete_all)

    async def exists(self, key: str) -> bool:
        return await self._either(lambda: self.primary.exists(key), lambda: self.fallback.exists(key))

    async def expires_in(self, key: str) -> int | None:
        return await self._either(lambda: self.primary.expires_in(key), lambda: self.fallback.expires_in(key))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.primary.__aexit__(exc_type, exc_val, exc_tb)
