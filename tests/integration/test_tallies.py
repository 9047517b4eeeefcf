"""Expiring counters in the stores (forum.lib.tallies), and the sign-in limits built on them,
under concurrency: in the memory store of one process, and in a real Redis shared by
several clients as several processes share it.

The Redis tests use a namespace of their own (the Redis server may be shared) and skip
without FORUM_TEST_REDIS_URL.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore

from forum.accounts.limits import LoginLimiter
from forum.lib import tallies
from forum.lib.errors import RateLimited

REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL")


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[list[Store]]:
    """Two handles on one store: the same memory store, or two Redis clients with pools
    of their own (as two processes have) on a namespace of their own, emptied afterwards."""
    if request.param == "memory":
        store = MemoryStore()
        yield [store, store]
        return
    if not REDIS_URL:
        pytest.skip("needs FORUM_TEST_REDIS_URL")
    namespace = f"forum-test-{uuid.uuid4().hex[:12]}"
    made = [RedisStore.with_client(url=REDIS_URL, namespace=namespace) for _ in range(2)]
    yield list(made)
    await made[0].delete_all()
    for store in made:
        await store._shutdown()


async def test_concurrent_additions_each_get_their_own_value(stores: list[Store]) -> None:
    results = await asyncio.gather(*(tallies.add(stores[n % 2], "hits", expires_in=60) for n in range(50)))
    assert sorted(count.value for count in results) == list(range(1, 51))
    assert all(0 < count.expires_in <= 60 for count in results)


async def test_giving_back_never_makes_a_counter_nor_goes_below_zero(stores: list[Store]) -> None:
    store = stores[0]
    assert (await tallies.add(store, "absent", -1, expires_in=60)).value == 0
    assert (await tallies.add(store, "absent", 1, expires_in=60)).value == 1
    assert (await tallies.add(store, "absent", -5, expires_in=60)).value == 0
    assert (await tallies.add(store, "absent", 1, expires_in=60)).value == 1


async def test_a_counter_is_forgotten_when_its_life_ends(stores: list[Store]) -> None:
    store = stores[0]
    for _ in range(3):
        await tallies.add(store, "short", expires_in=0.2)
    await asyncio.sleep(0.3)
    assert (await tallies.add(store, "short", expires_in=60)).value == 1
    await tallies.forget(store, "short")
    assert (await tallies.add(store, "short", expires_in=60)).value == 1


async def test_refresh_starts_the_life_again_and_a_plain_add_does_not(stores: list[Store]) -> None:
    store = stores[0]
    await tallies.add(store, "fixed", expires_in=100)
    assert (await tallies.add(store, "fixed", expires_in=5000)).expires_in <= 100
    await tallies.add(store, "sliding", expires_in=100)
    assert (await tallies.add(store, "sliding", expires_in=5000, refresh=True)).expires_in > 100


def limiter(store: Store) -> LoginLimiter:
    return LoginLimiter(
        store=store,
        secret="test-secret",
        max_failures=3,
        window_seconds=600,
        first_delay_seconds=60,
        max_delay_seconds=300,
        address_max_failures=1000,
    )


async def test_parallel_attempts_get_the_limit_and_no_more(stores: list[Store]) -> None:
    """Twenty wrong passwords sent at once, through two processes sharing the store: three
    are checked, the rest refused before their password is looked at."""
    limiters = [limiter(store) for store in stores]
    email = f"victim-{uuid.uuid4().hex[:8]}@example.org"

    async def attempt(n: int) -> str:
        try:
            taken = await limiters[n % 2].reserve(email, "192.0.2.10")
        except RateLimited:
            return "refused"
        await asyncio.sleep(0)  # the password is checked meanwhile
        await taken.failed()
        return "checked"

    outcomes = await asyncio.gather(*(attempt(n) for n in range(20)))
    assert outcomes.count("checked") == 3
    # Refused attempts gave their places back: the address counts the three failures only.
    address = await tallies.add(stores[0], LoginLimiter.address_key("192.0.2.10"), 0, expires_in=60)
    assert address.value == 3


async def test_an_attempt_never_checked_gives_its_places_back(stores: list[Store]) -> None:
    store = stores[0]
    lim = limiter(store)
    email = f"busy-{uuid.uuid4().hex[:8]}@example.org"
    for _ in range(2):
        await (await lim.reserve(email, "192.0.2.11")).failed()
    # The third attempt holds the gate; the server was too busy to check it.
    third = await lim.reserve(email, "192.0.2.11")
    assert third.holds_gate
    await third.cancel()
    # The next attempt takes its place at once: nothing was counted against the account.
    fourth = await lim.reserve(email, "192.0.2.11")
    assert fourth.holds_gate
    await fourth.failed()
    with pytest.raises(RateLimited):
        await lim.reserve(email, "192.0.2.11")


async def test_a_memory_store_is_swept_of_counters_past_their_life() -> None:
    """A memory store forgets an expired entry only when it is read again: counters of
    addresses and emails seen once (a botnet's, a credential list's) would pile up for the
    life of the process. Every so many additions, the store is swept."""
    store = MemoryStore()
    for n in range(100):
        await tallies.add(store, f"seen-once-{n}", expires_in=0.01)
    await asyncio.sleep(1.1)  # the store keeps entries for whole seconds
    for _ in range(tallies.SWEEP_EVERY):
        await tallies.add(store, "busy", expires_in=60)
    assert not any([await store.exists(f"seen-once-{n}") for n in range(100)])
    assert await store.exists("busy")
