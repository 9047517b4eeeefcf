"""Password hashing is bounded: a burst of sign-ins or registrations never runs more than
`password_hashes_at_once` argon2 computations at a time, a bounded number wait for a turn,
and the rest are refused with 429 at once, while the server keeps answering.

argon2's own verify and hash are held in their thread by an event the test releases, so
what is counted is how many run at once, never how long anything took.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import httpx
import pytest
from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.passwords import hashes_admitted
from forum.settings import Settings
from tests.conftest import Cast, People, make_space
from tests.helpers import assert_problem, count
from tests.realtime.conftest import Live, live

__all__ = ["live"]  # the live server fixture: a real uvicorn on loopback, in this test's event loop

WAIT = 30.0
AT_ONCE = 2
QUEUE = 3
# More than the 40 threads of the pool that the rest of the server shares.
BURST = 45


@dataclass
class HeldArgon2:
    """argon2's hash and verify, each held in its thread until `release` is set."""

    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    running: int = 0
    most: int = 0

    def wrap(self, real):  # type: ignore[no-untyped-def]
        def held(hasher: PasswordHasher, *args, **kwargs):  # type: ignore[no-untyped-def]
            with self.lock:
                self.running += 1
                self.most = max(self.most, self.running)
            try:
                assert self.release.wait(WAIT), "the test never released argon2"
                return real(hasher, *args, **kwargs)
            finally:
                with self.lock:
                    self.running -= 1

        return held

    async def until_running(self, n: int) -> None:
        for _ in range(int(WAIT / 0.01)):
            if self.running >= n:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{self.running} hashes running, expected {n}")


@pytest.fixture
def argon2_held(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldArgon2]:
    held = HeldArgon2()
    monkeypatch.setattr(PasswordHasher, "verify", held.wrap(PasswordHasher.verify))
    monkeypatch.setattr(PasswordHasher, "hash", held.wrap(PasswordHasher.hash))
    yield held
    held.release.set()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The sign-in limits stay out of the way: this is about the hashing alone.
    return replace(
        settings,
        password_hashes_at_once=AT_ONCE,
        password_hash_queue=QUEUE,
        login_max_failures=1000,
        login_address_max_failures=1000,
    )


async def test_a_burst_of_sign_ins_hashes_a_few_at_a_time_and_refuses_the_excess(
    live: Live, people: People, db: AsyncSession, argon2_held: HeldArgon2
) -> None:
    user = await people.make("observer")
    client = live.http

    async def sign_in(n: int) -> httpx.Response:
        return await client.post("/api/auth/login", json={"email": user.email, "password": f"wrong {n:06}"})

    burst = [asyncio.create_task(sign_in(n)) for n in range(BURST)]
    await argon2_held.until_running(AT_ONCE)
    # Two hash, three wait their turn; the others are refused at once.
    done: set[asyncio.Task[httpx.Response]] = set()
    while len(done) < BURST - AT_ONCE - QUEUE:
        finished, _ = await asyncio.wait(
            [t for t in burst if t not in done], timeout=WAIT, return_when=asyncio.FIRST_COMPLETED
        )
        assert finished, "the excess sign-ins were not refused"
        done |= finished
    for task in done:
        problem = assert_problem(task.result(), 429)
        assert problem["code"] == "rate_limited"
        assert int(task.result().headers["retry-after"]) >= 1
    # Registration hashes too, and waits in the same queue: refused while it is full,
    # leaving no account behind.
    resp = await client.post(
        "/api/auth/register",
        json={"email": "late@example.org", "password": "a long enough password", "display_name": "Late"},
    )
    assert assert_problem(resp, 429)["code"] == "rate_limited"
    assert await count(db, User, User.email == "late@example.org") == 0
    # The server answers other requests meanwhile, also those that need a thread of the
    # shared pool (a static file): hashing has threads of its own.
    assert (await client.get("/health")).status_code == 200
    assert (await client.get("/api/spaces")).status_code == 200
    assert (await client.get("/index.html")).status_code == 200
    assert argon2_held.running == AT_ONCE
    argon2_held.release.set()
    answers = await asyncio.wait_for(asyncio.gather(*burst), WAIT)
    assert sorted(resp.status_code for resp in answers) == [401] * (AT_ONCE + QUEUE) + [429] * (
        BURST - AT_ONCE - QUEUE
    )
    assert argon2_held.most == AT_ONCE


async def test_sign_ins_being_checked_hold_no_database_connection_nor_lock(
    live: Live, people: People, cast: Cast, argon2_held: HeldArgon2
) -> None:
    """While passwords are checked (or wait for a turn), their requests hold no pooled
    connection and, on SQLite, not the write lock: everyone else keeps writing."""
    user = await people.make("observer")
    client = live.http
    await make_space(client, cast.admin, "agora")
    burst = [
        asyncio.create_task(
            client.post("/api/auth/login", json={"email": user.email, "password": f"wrong {n:06}"})
        )
        for n in range(AT_ONCE + QUEUE - 1)
    ]
    # Registration hashes before it touches the database, too: it waits in the queue.
    burst.append(
        asyncio.create_task(
            client.post(
                "/api/auth/register",
                json={"email": "new@example.org", "password": "a long enough password", "display_name": "N"},
            )
        )
    )
    await argon2_held.until_running(AT_ONCE)
    for _ in range(int(WAIT / 0.01)):
        if hashes_admitted() == AT_ONCE + QUEUE:
            break
        await asyncio.sleep(0.01)
    assert hashes_admitted() == AT_ONCE + QUEUE
    assert live.app is not None
    engine = live.app.plugins.get(SQLAlchemyPlugin).config[0].get_engine()
    assert engine.sync_engine.pool.checkedout() == 0
    resp = await client.post(
        "/api/spaces/agora/threads", json={"title": "Meanwhile", "body": "x"}, headers=cast.lcipp.headers
    )
    assert resp.status_code == 201, resp.text
    argon2_held.release.set()
    answers = await asyncio.wait_for(asyncio.gather(*burst), WAIT)
    assert [resp.status_code for resp in answers] == [401] * (AT_ONCE + QUEUE - 1) + [201]
