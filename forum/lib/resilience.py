"""Living with a dependency that fails: Redis clients that fail fast, and a breaker.

Every Redis client of the service is made here (`redis_client`): with timeouts, so a Redis
that hangs costs a bounded wait instead of a stuck request, and without redis-py's own
retries, so the caller learns of a failure at once and decides what to do (fall back to
the process's own state, reconnect with backoff) instead of a request waiting through
several reconnection attempts.

A `Breaker` remembers that a dependency just failed, so that for a short while its
callers go straight to their fallback instead of each paying for a failed attempt.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

# What a Redis command may take, connecting included, before it counts as failed.
REDIS_TIMEOUT_SECONDS = 2.0


def redis_client(url: str, *, timeout: float = REDIS_TIMEOUT_SECONDS) -> Redis:
    """A Redis client whose commands fail within `timeout` seconds and are never retried."""
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        # Idle pooled connections are checked before use: a Redis that restarted closed them.
        health_check_interval=30,
    )


def redis_errors() -> tuple[type[BaseException], ...]:
    """What a Redis client raises when Redis is unreachable, slow or refusing."""
    from redis.exceptions import RedisError

    return (RedisError, OSError, TimeoutError)


def redis_connection_errors() -> tuple[type[BaseException], ...]:
    """The subset of `redis_errors` that a later attempt may not meet: no answer, as opposed
    to an answer refusing the command (which the same command would get again)."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)


class Breaker:
    """Open for `cooldown` seconds after a failure: callers skip the dependency meanwhile."""

    def __init__(self, cooldown: float) -> None:
        self.cooldown = cooldown
        self._open_until = 0.0
        # What went wrong last, for logs and health reports; None while it works.
        self.problem: str | None = None

    @property
    def open(self) -> bool:
        return time.monotonic() < self._open_until

    def failed(self, exc: BaseException) -> bool:
        """Record a failure; True if the dependency was working until now (log it once)."""
        first = self.problem is None
        self.problem = describe(exc)
        self._open_until = time.monotonic() + self.cooldown
        return first

    def succeeded(self) -> bool:
        """Record a success; True if the dependency was failing until now."""
        recovered = self.problem is not None
        self.problem = None
        self._open_until = 0.0
        return recovered


class Backoff:
    """Waits between reconnection attempts: doubling from `first` up to `cap`, with jitter
    so that many processes do not knock on a recovering server in step."""

    def __init__(self, first: float, cap: float) -> None:
        self.first = first
        self.cap = cap
        self._next = first

    def next(self) -> float:
        wait = self._next
        self._next = min(self.cap, self._next * 2)
        return wait * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self._next = self.first


def describe(exc: BaseException) -> str:
    """A failure in a few words: its kind and, if it says one, its message."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
