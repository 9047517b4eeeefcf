"""`/health` and `/ready` tell the truth: the broker as live delivery sees it, and a
database that can write (not merely answer a SELECT)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from forum.app import create_app
from forum.realtime import hub
from forum.settings import Settings
from tests.conftest import Cast, make_space, make_thread
from tests.faults.conftest import RedisServer, SmallDisk, copy_sqlite
from tests.faults.test_broker import Sender, two_instances
from tests.realtime.conftest import WAIT

PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")


async def until(client: httpx.AsyncClient, path: str, status: int, **body: str) -> dict:
    """GET `path` until it answers `status` (and these fields); that answer's body."""
    deadline = time.monotonic() + WAIT
    while True:
        resp = await client.get(path)
        if resp.status_code == status and all(resp.json().get(k) == v for k, v in body.items()):
            return resp.json()
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} still answers {resp.status_code} {resp.text}")
        await asyncio.sleep(0.1)


async def test_health_follows_the_delivery_path_and_ready_stays_up(
    settings: Settings, cast: Cast, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Delivery across the two instances can only go through the broker here.
    monkeypatch.setattr(hub, "TAIL_CHECK_SECONDS", 3600.0)
    monkeypatch.setattr(hub, "DEGRADED_POLL_SECONDS", 3600.0)
    async with two_instances(settings, redis_server.url) as (one, two):
        await make_space(one.http, cast.admin, "health")
        thread = await make_thread(one.http, cast.focal_point, "health")
        topic = f"thread:{thread['id']}"
        far = await one.peer(cast.observer)
        await far.subscribe(topic)
        sender = Sender(await two.peer(cast.lcipp), topic)
        for live in (one, two):
            await until(live.http, "/health", 200, broker="ok")

        redis_server.kill()
        for live in (one, two):
            body = await until(live.http, "/health", 503, database="ok")
            assert body["broker"].startswith("failing"), body
            # A load balancer keeps sending traffic: the API works without the broker.
            ready = await until(live.http, "/ready", 200)
            assert ready["broker"].startswith("failing") and ready["database"] == "ok", ready
        await sender.post(1)

        await redis_server.astart()
        for live in (one, two):
            await until(live.http, "/health", 200, broker="ok")
        # "ok" means delivery works: what is sent now crosses to the other instance.
        (seq,) = await sender.post(1)
        got = await far.events_until(topic, seq)
        assert [e["seq"] for e in got] == [seq - 1, seq]

        # A Redis that hangs (it still accepts connections) is failing too.
        redis_server.freeze()
        try:
            body = await until(one.http, "/health", 503, database="ok")
            assert body["broker"].startswith("failing"), body
        finally:
            redis_server.thaw()
        await until(one.http, "/health", 200, broker="ok")


@pytest.fixture
async def app_on_small_disk(
    settings: Settings, database_url: str, small_disk: SmallDisk, cast: Cast
) -> AsyncIterator[AsyncTestClient]:
    if PG_URL:
        pytest.skip("SQLite's own disk: the PostgreSQL run checks a read-only database instead")
    url = copy_sqlite(database_url, small_disk.root / "forum.db")
    async with AsyncTestClient(
        app=create_app(replace(settings, database_url=url)), base_url="http://testserver.local"
    ) as client:
        yield client


async def test_health_and_ready_fail_while_the_disk_is_full(
    app_on_small_disk: AsyncTestClient, small_disk: SmallDisk
) -> None:
    client = app_on_small_disk
    assert (await client.get("/health")).json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert (await client.get("/ready")).status_code == 200
    small_disk.fill()
    body = await until(client, "/health", 503, broker="ok")
    assert "full" in body["database"], body
    ready = await until(client, "/ready", 503)
    assert "full" in ready["database"], ready
    small_disk.empty()
    await until(client, "/health", 200, database="ok")
    await until(client, "/ready", 200)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL: a database that can be read but not written")
async def test_health_and_ready_fail_while_the_database_is_read_only(
    settings: Settings, database_url: str
) -> None:
    """What a failover to a standby looks like: SELECT answers, INSERT is refused."""
    base, _, name = database_url.rpartition("/")
    admin = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
            body = await until(client, "/health", 503, broker="ok")
            assert "read-only" in body["database"], body
            assert (await client.get("/ready")).status_code == 503
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
        await admin.dispose()
