"""Real server processes: a graceful SIGTERM, and two processes sharing one Redis."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.services import issue_token
from tests.conftest import PASSWORD_HASH, Cast, Persona, make_space, make_thread
from tests.realtime.conftest import WAIT, ServerProcess, two_processes

REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL")
PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")
# The promise to operators: a stopped server is gone within this many seconds.
SHUTDOWN_BUDGET_SECONDS = 10


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=WAIT) as client:
        yield client


async def test_sigterm_tells_clients_to_reconnect_and_exits(
    database_url: str, cast: Cast, http: httpx.AsyncClient
) -> None:
    server = ServerProcess(database_url)
    try:
        await server.wait_ready()
        live = server.live(httpx.AsyncClient(base_url=server.base_url, timeout=WAIT))
        await make_space(live.http, cast.admin, "sigterm")
        thread = await make_thread(live.http, cast.focal_point, "sigterm")
        peers = [await live.peer(cast.observer), await live.peer()]
        for peer in peers:
            await peer.subscribe(f"thread:{thread['id']}")
        await live.http.aclose()
        server.terminate()
        for peer in peers:
            assert await peer.closed_code() == 1012
        # The process is gone within the budget (uvicorn's graceful timeout is 8 s).
        returncode = await asyncio.to_thread(server.proc.wait, SHUTDOWN_BUDGET_SECONDS)
        # uvicorn re-raises the signal once it has shut down cleanly, as the process's own exit.
        assert returncode in (0, -signal.SIGTERM)
    finally:
        server.stop()


@pytest.mark.redis
@pytest.mark.skipif(
    not (REDIS_URL and PG_URL), reason="needs FORUM_TEST_REDIS_URL and FORUM_TEST_DATABASE_URL"
)
async def test_two_processes_on_one_database_and_one_redis(database_url: str, cast: Cast) -> None:
    async with two_processes(database_url, REDIS_URL) as (live_one, live_two):
        await make_space(live_one.http, cast.admin, "two-processes")
        thread = await make_thread(live_one.http, cast.focal_point, "two-processes")
        topic = f"thread:{thread['id']}"
        listener = await live_one.peer(cast.observer)
        await listener.subscribe(topic, after=0)

        sender = await live_two.peer(cast.lcipp)
        for i in range(10):
            await sender.send(op="send", topic=topic, body=f"from two #{i}", client_id=f"two-{i}")
        acks = [(await sender.expect("ack", client_id=f"two-{i}"))["seq"] for i in range(10)]
        for i in range(5):
            await live_two.post(cast.focal_point, thread["id"], f"http on two #{i}")
        got = await listener.events_until(topic, 16)
        assert [f["seq"] for f in got] == list(range(1, 17))
        assert sorted(acks) == acks and set(acks) <= set(range(2, 17))

        # Resume on the other process from where the first left off.
        await listener.close()
        moved = await live_two.peer(cast.observer)
        await moved.subscribe(topic, after=12)
        await live_one.post(cast.focal_point, thread["id"], "back on one")
        assert [f["seq"] for f in await moved.events_until(topic, 17)] == [13, 14, 15, 16, 17]


@pytest.mark.redis
@pytest.mark.skipif(
    not (REDIS_URL and PG_URL), reason="needs FORUM_TEST_REDIS_URL and FORUM_TEST_DATABASE_URL"
)
async def test_a_users_send_allowance_is_shared_by_their_sockets_in_every_process(
    database_url: str, cast: Cast, db: AsyncSession
) -> None:
    """With the defaults (20 sends per socket, 40 per user per 10 s), two sockets on two
    processes use the user's allowance, and a third socket gets nothing more."""
    # An id of its own: the count lives in a Redis that other test runs may share.
    user = User(
        id=100_000_000 + secrets.randbelow(800_000_000),
        email=f"busy-{secrets.token_hex(4)}@example.org",
        password_hash=PASSWORD_HASH,
        display_name="Busy",
        role="lcipp",
    )
    db.add(user)
    await db.commit()
    token = await issue_token(db, user, 3600)
    await db.commit()
    busy = Persona(id=user.id, email=user.email, name="Busy", role="lcipp", token=token)
    async with two_processes(database_url, REDIS_URL) as (live_one, live_two):
        await make_space(live_one.http, cast.admin, "busy-sockets")
        thread = await make_thread(live_one.http, cast.focal_point, "busy-sockets")
        topic = f"thread:{thread['id']}"
        for peer, name in ((await live_one.peer(busy), "one"), (await live_two.peer(busy), "two")):
            for i in range(20):
                await peer.send(op="send", topic=topic, body=f"{name} #{i}", client_id=f"{name}-{i}")
            for i in range(20):
                await peer.expect("ack", client_id=f"{name}-{i}")
        third = await live_two.peer(busy)
        await third.send(op="send", topic=topic, body="one too many", client_id="third")
        err = await third.expect("error")
        assert err["code"] == "rate_limited" and err["ref"] == "third"


@pytest.mark.redis
@pytest.mark.skipif(
    not (REDIS_URL and PG_URL), reason="needs FORUM_TEST_REDIS_URL and FORUM_TEST_DATABASE_URL"
)
async def test_an_account_change_on_one_process_takes_effect_on_the_next_request_to_the_other(
    database_url: str, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each process remembers a token's viewer (forum.spaces.viewer_cache); a change made on
    the first process is seen by the very next request to the second. The remembered viewer
    would otherwise last ten minutes here: only the signals can make these pass."""
    monkeypatch.setenv("FORUM_VIEWER_CACHE_SECONDS", "600")
    async with two_processes(database_url, REDIS_URL) as (one, two):
        await make_space(one.http, cast.admin, "remembered")
        thread = await make_thread(one.http, cast.focal_point, "remembered")
        posts = f"/api/threads/{thread['id']}/posts"

        async def me_on_two(who: Persona) -> httpx.Response:
            return await two.http.get("/api/me", headers=who.headers)

        # The second process sees (and remembers) each token working.
        for who in (cast.observer, cast.other_observer, cast.lcipp):
            assert (await me_on_two(who)).status_code == 200
        assert (
            await two.http.post(posts, json={"body": "hello"}, headers=cast.observer.headers)
        ).status_code == 201

        # A role change.
        changed = await one.http.patch(
            f"/api/users/{cast.observer.id}", json={"role": "lcipp"}, headers=cast.admin.headers
        )
        assert changed.status_code == 200, changed.text
        assert (await me_on_two(cast.observer)).json()["role"] == "lcipp"

        # A silence: the next post on the other process is refused.
        silenced = await one.http.post(
            f"/api/users/{cast.observer.id}/silence",
            json={"reason": "cool down", "duration_seconds": 3600},
            headers=cast.admin.headers,
        )
        assert silenced.status_code == 200, silenced.text
        refused = await two.http.post(posts, json={"body": "still here?"}, headers=cast.observer.headers)
        assert refused.status_code == 403, refused.text

        # A suspension: the token stops working on the other process at once.
        suspended = await one.http.post(
            f"/api/users/{cast.other_observer.id}/suspend",
            json={"reason": "spam", "duration_seconds": 3600},
            headers=cast.admin.headers,
        )
        assert suspended.status_code == 200, suspended.text
        assert (await me_on_two(cast.other_observer)).status_code == 401

        # Signing out on one process ends the token on the other.
        out = await one.http.post("/api/auth/logout", headers=cast.lcipp.headers)
        assert out.status_code == 204, out.text
        import asyncio as _a

        await _a.sleep(1)
        assert (await me_on_two(cast.lcipp)).status_code == 401
