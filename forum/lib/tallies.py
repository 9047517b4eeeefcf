"""Tallies: counters that expire, kept in a Litestar store and changed in one atomic step.

(Not to be confused with `counters.py`, the counter rows of the database.)

The limits of the service (sign-in attempts, HTTP requests, websocket sends) count in the
app's stores: a `MemoryStore` in one process, a `RedisStore` shared by every process.
A store's `get` and `set` are two steps, so "read the count, compare, write it back" lets
twenty concurrent requests all read the same count and all pass. `add()` is the one step:

- on Redis, INCRBY and PEXPIRE in one Lua script, so every process sees each change;
- on a store that offers `increment(key, amount, expires_in, refresh)` itself (a wrapper
  that picks Redis or a fallback store, say), that method;
- on any other store (the memory store of a single process), the read and the write under
  one asyncio lock of the event loop: nothing else can run between them in this process,
  which is the only one that sees such a store.

A counter is forgotten `expires_in` seconds after it was made (or, with `refresh`, after
its last change). Decrementing a counter that does not exist does nothing, and a counter
never goes below zero, so giving back what a finished request took is always safe.
"""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from dataclasses import dataclass
from typing import Any

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore

# Redis: change the counter and read what is left of its life, in one step. The counter's
# life is set when it is made (or on every change with `refresh`), never by a decrement.
_ADD_SCRIPT = """
local amount = tonumber(ARGV[1])
if amount < 0 and redis.call('EXISTS', KEYS[1]) == 0 then
  return {0, 0}
end
local value = redis.call('INCRBY', KEYS[1], amount)
if value < 0 then
  redis.call('SET', KEYS[1], 0, 'KEEPTTL')
  value = 0
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 or (amount > 0 and ARGV[3] == '1') then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {value, ttl}
"""


@dataclass(frozen=True)
class Count:
    """A counter's value after a change, and the seconds until it is forgotten."""

    value: int
    expires_in: float

    @property
    def retry_after(self) -> int:
        """Whole seconds until the counter is forgotten, at least 1 (for Retry-After)."""
        return max(1, math.ceil(self.expires_in))


# A memory store drops an expired entry only when it is read again, so the counters of
# addresses and emails seen once would stay for the life of the process: every this many
# additions to a memory store, its expired entries are swept.
SWEEP_EVERY = 1000

# One lock per event loop for the stores of this process (an asyncio.Lock belongs to
# the loop it was first used in; tests run many loops in one process).
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()
# The Lua script, registered once per Redis client.
_scripts: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
# Additions since the last sweep, per memory store (by id: stores take no weak reference,
# and live as long as their app).
_since_sweep: dict[int, int] = {}


async def add(store: Store, key: str, amount: int = 1, *, expires_in: float, refresh: bool = False) -> Count:
    """Add `amount` (negative to give back) to the counter `key`; its value afterwards.

    A new counter lives `expires_in` seconds; with `refresh`, every increment starts its
    life again (so it is forgotten only after a quiet spell).
    """
    increment = getattr(store, "increment", None)
    if increment is not None:
        return await increment(key, amount, expires_in=expires_in, refresh=refresh)
    from litestar.stores.redis import RedisStore

    if isinstance(store, RedisStore):
        return await _add_on_redis(store, key, amount, expires_in, refresh)
    return await _add_in_process(store, key, amount, expires_in, refresh)


async def _add_on_redis(store: Any, key: str, amount: int, expires_in: float, refresh: bool) -> Count:
    # RedisStore keeps its client private and offers no increment; the key is namespaced
    # exactly as the store's own methods do (`namespace:key`).
    client = store._redis
    script = _scripts.get(client)
    if script is None:
        script = _scripts[client] = client.register_script(_ADD_SCRIPT)
    full_key = f"{store.namespace}:{key}" if store.namespace else key
    millis = max(1, math.ceil(expires_in * 1000))
    value, ttl = await script(keys=[full_key], args=[amount, millis, "1" if refresh else "0"])
    return Count(int(value), int(ttl) / 1000)


async def _add_in_process(store: Store, key: str, amount: int, expires_in: float, refresh: bool) -> Count:
    # The value carries its own deadline ("count deadline"): the store's expires_in()
    # answers in whole seconds, which would shorten the counter's life at every change.
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    async with lock:
        now = time.time()
        raw = await store.get(key)
        value, deadline = 0, 0.0
        if raw is not None:
            count, _, until = raw.decode().partition(" ")
            value, deadline = int(count), float(until)
        if deadline <= now:
            if amount < 0:
                return Count(0, 0.0)
            value, deadline = 0, now + expires_in
        elif amount > 0 and refresh:
            deadline = now + expires_in
        value = max(0, value + amount)
        left = deadline - now
        await store.set(key, f"{value} {deadline!r}", expires_in=max(1, math.ceil(left)))
    if isinstance(store, MemoryStore):
        await _sweep_now_and_then(store)
    return Count(value, left)


async def _sweep_now_and_then(store: MemoryStore) -> None:
    added = _since_sweep.get(id(store), 0) + 1
    if added < SWEEP_EVERY:
        _since_sweep[id(store)] = added
        return
    _since_sweep[id(store)] = 0
    await store.delete_expired()


async def forget(store: Store, key: str) -> None:
    """Drop the counter `key` (a success that wipes the slate clean)."""
    await store.delete(key)
