"""Redis goes away: the API keeps answering, and its limits keep counting in each process.

The counters of the rate limits and of failed sign-ins live in Redis so that every process
shares them; while Redis fails they fall back to the process's own memory.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from litestar.stores.memory import MemoryStore
from litestar.testing import AsyncTestClient

from forum.app import create_app
from forum.lib import tallies
from forum.lib.stores import FallbackStore
from forum.settings import Settings
from tests.conftest import PASSWORD, Cast, make_space, make_thread
from tests.faults.conftest import RedisServer
from tests.helpers import assert_problem


async def test_the_api_answers_while_redis_is_down(
    settings: Settings, cast: Cast, redis_server: RedisServer
) -> None:
    limited = replace(settings, redis_url=redis_server.url, rate_limit_per_minute=30)
    async with AsyncTestClient(app=create_app(limited), base_url="http://testserver.local") as client:
        await make_space(client, cast.admin, "outage")
        redis_server.kill()
        # Reads, writes and sign-ins work: their counters fall back to this process.
        assert (await client.get("/api/spaces")).status_code == 200
        thread = await make_thread(client, cast.focal_point, "outage")
        wrong = await client.post(
            "/api/auth/login", json={"email": cast.observer.email, "password": "wrong!"}
        )
        assert_problem(wrong, 401)
        right = await client.post(
            "/api/auth/login", json={"email": cast.observer.email, "password": PASSWORD}
        )
        assert right.status_code == 200, right.text
        # The rate limit still holds, counted here while Redis is away.
        # (The sign-in's cookie makes these the observer's: 40 requests against 30 a minute.)
        statuses = [(await client.get(f"/api/threads/{thread['id']}")).status_code for _ in range(40)]
        assert statuses[0] == 200
        assert 429 in statuses, statuses
        await redis_server.astart()
        # Back on Redis: a fresh count there, and the API answers as before.
        resp = await client.get("/api/spaces")
        assert resp.status_code in (200, 429), resp.text


async def test_the_store_falls_back_to_memory_and_returns_to_redis(redis_server: RedisServer) -> None:
    root = FallbackStore.on_redis(redis_server.url, namespace="test")
    store = root.with_namespace("limits")
    await store.set("shared", "1", expires_in=60)
    assert await store.get("shared") == b"1"

    redis_server.kill()
    # Redis is gone: what it held is out of reach, and this process counts on its own.
    assert await store.get("shared") is None
    await store.set("local", "2", expires_in=60)
    assert await store.get("local") == b"2"
    assert await store.exists("local")
    assert 0 < (await store.expires_in("local") or 0) <= 60
    await store.delete("local")
    assert await store.get("local") is None

    await redis_server.astart()
    store.breaker.succeeded()  # as if the cooldown had passed
    await store.set("shared", "3", expires_in=60)
    assert await store.get("shared") == b"3"
    # What the fallback held was this process's alone: Redis has it no more than before.
    assert isinstance(store.fallback, MemoryStore)


async def test_counts_through_the_fallback_store_are_atomic_across_processes(
    redis_server: RedisServer,
) -> None:
    """Two processes' stores on one Redis: every increment is one step on Redis, so forty
    concurrent ones hand out forty different counts (a read then a write would repeat some)."""
    first = FallbackStore.on_redis(redis_server.url, namespace="atomic")
    second = FallbackStore.on_redis(redis_server.url, namespace="atomic")
    try:
        counts = await asyncio.gather(
            *(tallies.add(store, "key", expires_in=60) for store in [first, second] * 20)
        )
        assert sorted(count.value for count in counts) == list(range(1, 41))
        # While Redis is away each process counts in its own memory.
        redis_server.kill()
        assert (await tallies.add(first, "key", expires_in=60)).value == 1
    finally:
        await first.__aexit__(None, None, None)
        await second.__aexit__(None, None, None)
