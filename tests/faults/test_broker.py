"""Redis goes away and comes back: live delivery recovers by itself, nothing lost or repeated.

Two instances of the service share one database and a Redis of the test's own; sockets on
both listen to a thread while posts are sent before, during and after the outage.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace

import httpx
import pytest

from forum.app import create_app
from forum.realtime import hub
from forum.settings import Settings
from tests.conftest import Cast, make_space, make_thread
from tests.faults.conftest import RedisServer
from tests.helpers import create_cafe, join
from tests.realtime.conftest import WAIT, Live, Peer, ServerProcess, expect_nothing_before_marker, serving

# The promise to operators: a stopped server is gone within this many seconds.
SHUTDOWN_BUDGET_SECONDS = 10


@asynccontextmanager
async def two_instances(settings: Settings, redis_url: str) -> AsyncIterator[tuple[Live, Live]]:
    """Two apps on one database and one Redis, each under its own uvicorn, as two processes."""
    with_redis = replace(settings, redis_url=redis_url)
    async with AsyncExitStack() as stack:
        one = await stack.enter_async_context(serving(create_app(with_redis), with_redis))
        two = await stack.enter_async_context(serving(create_app(with_redis), with_redis))
        yield one, two


class Sender:
    """Posts over its socket and returns each post's seq (from the ack, sent after commit)."""

    def __init__(self, peer: Peer, topic: str) -> None:
        self.peer = peer
        self.topic = topic
        self.count = 0

    async def post(self, how_many: int) -> list[int]:
        seqs = []
        for _ in range(how_many):
            self.count += 1
            client_id = f"c-{self.count}"
            await self.peer.send(
                op="send", topic=self.topic, body=f"message {self.count}", client_id=client_id
            )
            seqs.append((await self.peer.expect("ack", client_id=client_id))["seq"])
        return seqs


async def test_live_delivery_recovers_after_redis_restarts_with_nothing_lost(
    settings: Settings, cast: Cast, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the broker's own recovery may deliver what the outage held back: the periodic
    # comparison with the log (10 s) and the log polling while the broker is down are off.
    monkeypatch.setattr(hub, "TAIL_CHECK_SECONDS", 3600.0)
    monkeypatch.setattr(hub, "DEGRADED_POLL_SECONDS", 3600.0, raising=False)
    async with two_instances(settings, redis_server.url) as (one, two):
        await make_space(one.http, cast.admin, "outage")
        thread = await make_thread(one.http, cast.focal_point, "outage")
        topic = f"thread:{thread['id']}"
        far = await one.peer(cast.observer)
        near = await two.peer(cast.moderator)
        for peer in (far, near):
            await peer.subscribe(topic)
        sender = Sender(await two.peer(cast.lcipp), topic)

        before = await sender.post(3)
        for peer in (far, near):
            assert [e["seq"] for e in await peer.events_until(topic, before[-1])] == before

        redis_server.kill()
        during = await sender.post(3)
        await redis_server.astart()
        after = await sender.post(3)

        assert before + during + after == list(range(2, 11))
        for peer in (far, near):
            got = await peer.events_until(topic, after[-1])
            assert [e["seq"] for e in got] == during + after, "a gap, a repeat or the wrong order"
            assert [e["data"]["body"] for e in got] == [f"message {i}" for i in range(4, 10)]
        # Nothing arrives twice later either: the next post is the next thing each hears.
        (marker,) = await sender.post(1)
        for peer in (far, near):
            await expect_nothing_before_marker(peer, topic=topic, seq=marker)


@pytest.mark.parametrize("broker", ["back after an outage", "down", "hung"])
async def test_sigterm_ends_the_process_whatever_the_broker_state(
    database_url: str, cast: Cast, redis_server: RedisServer, broker: str
) -> None:
    server = ServerProcess(database_url, redis_server.url)
    try:
        await server.wait_ready()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=WAIT) as http:
            live = server.live(http)
            await make_space(http, cast.admin, "sigterm")
            thread = await make_thread(http, cast.focal_point, "sigterm")
            topic = f"thread:{thread['id']}"
            listener = await live.peer(cast.observer)
            await listener.subscribe(topic)
            sender = Sender(await live.peer(cast.lcipp), topic)
            if broker == "hung":
                redis_server.freeze()
            else:
                redis_server.kill()
            # Stored while the broker is away: its publish is what used to wedge the exit.
            await sender.post(2)
            if broker == "back after an outage":
                await redis_server.astart()
                await sender.post(1)
        server.terminate()
        try:
            returncode = await asyncio.to_thread(server.proc.wait, SHUTDOWN_BUDGET_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the process was still running {SHUTDOWN_BUDGET_SECONDS} s after SIGTERM")
        assert returncode in (0, -signal.SIGTERM)
        assert await listener.closed_code() == 1012
    finally:
        server.stop()


async def test_a_table_is_joined_and_talked_at_while_redis_is_down(
    settings: Settings, cast: Cast, redis_server: RedisServer
) -> None:
    """Presence lives in Redis too: while it is away a socket still subscribes to its table
    (who is there, as far as this process knows), sends, and hears what is said."""
    with_redis = replace(settings, redis_url=redis_server.url)
    async with serving(create_app(with_redis), with_redis) as live:
        await make_space(live.http, cast.admin, "workshop-63", kind="workshop")
        cafe = await create_cafe(live.http, cast.moderator, [cast.focal_point], slug="workshop-63")
        table_id = cafe["tables"][0]["id"]
        assert await join(live.http, cafe["id"], cast.observer) == table_id
        topic = f"table:{table_id}"

        redis_server.kill()
        host = await live.peer(cast.focal_point)
        await host.subscribe(topic)
        first = await host.expect("event", topic=topic, type="presence")
        assert first["data"]["user_ids"] == [cast.focal_point.id]
        guest = await live.peer(cast.observer)
        await guest.subscribe(topic)
        both = await host.expect("event", topic=topic, type="presence")
        assert both["data"]["user_ids"] == sorted([cast.focal_point.id, cast.observer.id])
        await guest.send(op="send", topic=topic, body="Still talking", client_id="t-1")
        ack = await guest.expect("ack", client_id="t-1")
        heard = await host.expect("event", topic=topic, type="message.created")
        assert heard["seq"] == ack["seq"] and heard["data"]["body"] == "Still talking"
        await guest.close()
        left = await host.expect("event", topic=topic, type="presence")
        assert left["data"]["user_ids"] == [cast.focal_point.id]
