"""The HTTP rate limit: signed-in people count per account, anonymous traffic and sign-in
per address, and a refusal is problem+json with `Retry-After`, counted atomically across
processes.

Each test comes from addresses of its own: with Redis the counts may live in a shared
server.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from litestar import Litestar
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.testing import AsyncTestClient

from forum.app import create_app
from forum.lib import tallies
from forum.lib.rate_limit import LEASE_SHARE, Allowances
from forum.settings import Settings
from tests.conftest import PASSWORD, People, Persona
from tests.helpers import assert_problem

PER_ACCOUNT = 6
PER_ADDRESS = 4


def somewhere() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def from_address(app: Litestar, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, rate_limit_per_minute=PER_ACCOUNT, rate_limit_address_per_minute=PER_ADDRESS)


@pytest.fixture
async def running(app: Litestar) -> AsyncIterator[Litestar]:
    """The app started in the test's own event loop, where `from_address` sends its
    requests: a test client would run the lifespan in a thread and loop of its own, and
    the connections the hub pools there could not be used from this loop (asyncpg). One
    task enters and leaves the lifespan, as its task groups require."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run())
    ready = asyncio.create_task(started.wait())
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()  # the start-up failed: raise its error
    yield app
    stop.set()
    await task


async def first_sight(app: Litestar, who: Persona) -> None:
    """The process sees the token work once (its first request counts against the address,
    as the token is not known yet); from then on its requests count against the account."""
    async with from_address(app, somewhere()) as c:
        assert (await c.get("/api/me", headers=who.headers)).status_code == 200


async def test_a_room_behind_one_address_is_limited_per_account(running: Litestar, people: People) -> None:
    venue = somewhere()
    delegates = [await people.make("focal_point") for _ in range(3)]
    for who in delegates:
        await first_sight(running, who)
    async with from_address(running, venue) as c:
        # Three delegates together make far more requests than one address may.
        for _ in range(PER_ACCOUNT):
            for who in delegates:
                assert (await c.get("/api/me", headers=who.headers)).status_code == 200
        # Each has now used their own allowance, and only theirs.
        for who in delegates:
            resp = await c.get("/api/me", headers=who.headers)
            assert assert_problem(resp, 429)["code"] == "rate_limited"


async def test_a_browser_session_counts_per_account_too(running: Litestar, people: People) -> None:
    delegate = await people.make("observer")
    await first_sight(running, delegate)
    venue = somewhere()
    async with from_address(running, venue) as browser:
        browser.cookies.set("forum_session", delegate.token, domain="testserver.local")
        for _ in range(PER_ACCOUNT):
            assert (await browser.get("/api/me")).status_code == 200
        assert_problem(await browser.get("/api/me"), 429)
    # Anonymous visitors at the venue are counted apart.
    async with from_address(running, venue) as visitor:
        assert (await visitor.get("/api/spaces")).status_code == 200


async def test_anonymous_traffic_is_limited_per_address(running: Litestar) -> None:
    address = somewhere()
    async with from_address(running, address) as c:
        for _ in range(PER_ADDRESS):
            assert (await c.get("/api/spaces")).status_code == 200
        resp = await c.get("/api/spaces")
    problem = assert_problem(resp, 429)
    assert problem["code"] == "rate_limited"
    assert 1 <= int(resp.headers["retry-after"]) <= 60
    async with from_address(running, somewhere()) as other:
        assert (await other.get("/api/spaces")).status_code == 200


async def test_made_up_tokens_count_against_the_address(running: Litestar) -> None:
    """A token the server does not know buys no allowance of its own: without this, a
    made-up token on every request would never be limited."""
    address = somewhere()
    async with from_address(running, address) as c:
        for _ in range(PER_ADDRESS):
            await c.get("/api/spaces", headers={"Authorization": f"Bearer {secrets.token_urlsafe(32)}"})
        resp = await c.get("/api/spaces", headers={"Authorization": f"Bearer {secrets.token_urlsafe(32)}"})
    assert_problem(resp, 429)


async def test_sign_in_is_limited_per_address_even_for_a_signed_in_client(
    running: Litestar, people: People
) -> None:
    delegate = await people.make("observer")
    await first_sight(running, delegate)
    address = somewhere()
    async with from_address(running, address) as c:
        for _ in range(PER_ADDRESS):
            resp = await c.post(
                "/api/auth/login",
                json={"email": delegate.email, "password": PASSWORD},
                headers=delegate.headers,
            )
            assert resp.status_code == 200, resp.text
        resp = await c.post(
            "/api/auth/login", json={"email": delegate.email, "password": PASSWORD}, headers=delegate.headers
        )
        assert_problem(resp, 429)
        # The account's own allowance for the rest of the API is untouched.
        assert (await c.get("/api/me", headers=delegate.headers)).status_code == 200


async def test_allowed_answers_say_what_is_left(running: Litestar) -> None:
    async with from_address(running, somewhere()) as c:
        resp = await c.get("/api/spaces")
    assert resp.headers["ratelimit-limit"] == str(PER_ADDRESS)
    assert resp.headers["ratelimit-remaining"] == str(PER_ADDRESS - 1)
    assert 0 < int(resp.headers["ratelimit-reset"]) <= 60


@pytest.mark.redis
async def test_the_limit_holds_across_processes(settings: Settings) -> None:
    """Two apps on one Redis, as two processes: requests sent at once through both get the
    limit between them, not the limit each."""
    redis_url = os.environ.get("FORUM_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("needs FORUM_TEST_REDIS_URL")
    shared = replace(settings, redis_url=redis_url, rate_limit_address_per_minute=10)
    apps = [create_app(shared), create_app(shared)]
    address = somewhere()
    async with (
        AsyncTestClient(app=apps[0], base_url="http://testserver.local"),
        AsyncTestClient(app=apps[1], base_url="http://testserver.local"),
    ):
        clients = [from_address(app, address) for app in apps]
        answers = await asyncio.gather(*(clients[n % 2].get("/api/spaces") for n in range(30)))
        for c in clients:
            await c.aclose()
    statuses = sorted(resp.status_code for resp in answers)
    assert statuses == [200] * 10 + [429] * 20, statuses


async def test_a_token_from_this_processs_sign_in_counts_against_its_account_at_once(
    running: Litestar, people: People
) -> None:
    delegate = await people.make("observer")
    venue = somewhere()
    async with from_address(running, venue) as c:
        resp = await c.post("/api/auth/login", json={"email": delegate.email, "password": PASSWORD})
        token = resp.json()["token"]
        # The address has PER_ADDRESS - 1 requests left; the account all of its own.
        for _ in range(PER_ACCOUNT):
            assert (await c.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200


# --- leases: what one process takes from the count at a time (forum.lib.rate_limit) ---


class CountingStore(MemoryStore):
    """A real memory store that counts how often it is written (each `tallies.add`)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        self.writes += 1
        await super().set(key, value, expires_in)


async def test_a_process_alone_counts_in_memory_exactly_with_one_store_step_per_window() -> None:
    store = CountingStore()
    allowances = Allowances()
    answers = await asyncio.gather(*(allowances.admit(store, "account:1", 7, 60) for _ in range(10)))
    assert [a.admitted for a in answers] == [True] * 7 + [False] * 3
    assert [a.remaining for a in answers[:7]] == [6, 5, 4, 3, 2, 1, 0]
    assert all(0 < a.reset <= 60 for a in answers)
    # One lease of the whole limit, taken once though ten requests came at once; the
    # refusals are answered from memory until the window ends.
    assert store.writes == 1
    # Another identity has its own count.
    assert (await allowances.admit(store, "account:2", 7, 60)).admitted


@pytest.mark.redis
async def test_processes_sharing_redis_take_small_leases_and_never_pass_the_limit() -> None:
    redis_url = os.environ.get("FORUM_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("needs FORUM_TEST_REDIS_URL")
    namespace = f"test-leases-{secrets.token_hex(4)}"
    stores = [RedisStore.with_client(url=redis_url, namespace=namespace) for _ in range(2)]
    processes = [Allowances(), Allowances()]
    limit = 300  # leases of 3 requests
    try:
        answers = await asyncio.gather(
            *(processes[n % 2].admit(stores[n % 2], "address:x", limit, 60) for n in range(400))
        )
        admitted = sum(a.admitted for a in answers)
        # Never more than the limit between them; at most a lease's worth short of it per
        # process (what one leased and did not use before the other ran out).
        assert limit - 2 * (limit // LEASE_SHARE - 1) <= admitted <= limit, admitted
        count = await tallies.add(stores[0], "address:x", 0, expires_in=60)
        assert count.value >= limit
        # A refused request asks Redis nothing: the count stops growing once refused.
        before = count.value
        assert not (await processes[0].admit(stores[0], "address:x", limit, 60)).admitted
        assert (await tallies.add(stores[0], "address:x", 0, expires_in=60)).value == before
    finally:
        for store in stores:
            await store.delete_all()
            await store._shutdown()
