"""Live-delivery fixtures: the app under a real uvicorn server on loopback, real sockets.

`live` serves the test's app in-process (same database as `db` and `people`); `Peer`
wraps a `websockets` client with waits that are generous and never timing assertions;
`expect_nothing_before_marker` shows that nothing reached a socket without sleeping.
`ServerProcess` runs `python -m forum serve` as a separate process, for the tests that
need two processes or a signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from forum.realtime.wire import uvicorn_options
from forum.settings import Settings
from tests.conftest import ORIGIN, Persona
from tests.helpers import stop_process

# Every wait in these tests is bounded by this; none asserts how fast anything was.
WAIT = 30.0


@dataclass
class Live:
    base_url: str
    ws_url: str
    http: httpx.AsyncClient
    app: Litestar | None = None

    async def peer(
        self, who: Persona | None = None, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Peer:
        all_headers = dict(who.headers) if who is not None else {}
        all_headers.update(headers or {})
        ws = await connect(self.ws_url, additional_headers=all_headers, open_timeout=WAIT, **kwargs)
        return Peer(ws)

    async def post(self, who: Persona, thread_id: int, body: str, **extra: Any) -> dict:
        resp = await self.http.post(
            f"/api/threads/{thread_id}/posts", json={"body": body, **extra}, headers=who.headers
        )
        assert resp.status_code in (200, 201), resp.text
        return resp.json()


def matches(frame: dict, op: str, match: dict[str, Any]) -> bool:
    return frame.get("op") == op and all(frame.get(k) == v for k, v in match.items())


class Peer:
    """A websocket client that reads frames one by one, keeping what it skipped."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.skipped: list[dict] = []

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def send_raw(self, raw: str | bytes) -> None:
        await self.ws.send(raw)

    async def next(self, wait: float = WAIT) -> dict:
        raw = await asyncio.wait_for(self.ws.recv(), wait)
        return json.loads(raw)

    async def expect(self, op: str, wait: float = WAIT, **match: Any) -> dict:
        """The first frame with this op (and these fields), looking first at the frames
        skipped so far, then at new ones; frames that do not match are kept in `skipped`."""
        for i, frame in enumerate(self.skipped):
            if matches(frame, op, match):
                return self.skipped.pop(i)
        deadline = time.monotonic() + wait
        while True:
            frame = await self.next(max(0.1, deadline - time.monotonic()))
            if matches(frame, op, match):
                return frame
            self.skipped.append(frame)

    async def subscribe(self, topic: str, after: int | None = None) -> dict:
        frame: dict[str, Any] = {"op": "subscribe", "topic": topic}
        if after is not None:
            frame["after"] = after
        await self.send(**frame)
        return await self.expect("subscribed", topic=topic)

    async def events_until(self, topic: str, last_seq: int, wait: float = WAIT) -> list[dict]:
        """Every event of `topic` up to and including seq `last_seq`, in arrival order."""
        got: list[dict] = []
        deadline = time.monotonic() + wait
        while not got or got[-1].get("seq") is None or got[-1]["seq"] < last_seq:
            frame = await self.expect("event", max(0.1, deadline - time.monotonic()), topic=topic)
            got.append(frame)
        return got

    async def close(self) -> None:
        await self.ws.close()

    async def closed_code(self, wait: float = WAIT) -> int | None:
        """Read until the server closes; the close code it sent."""
        deadline = time.monotonic() + wait
        with contextlib.suppress(ConnectionClosed):
            while time.monotonic() < deadline:
                await asyncio.wait_for(self.ws.recv(), max(0.1, deadline - time.monotonic()))
        return self.ws.close_code


async def expect_nothing_before_marker(
    peer: Peer, op: str = "event", wait: float = WAIT, **marker: Any
) -> dict:
    """The marker frame (this op, these fields), once it has come, and nothing before it.

    How a test shows that something did NOT reach a socket, without sleeping: after the
    action that must deliver nothing to `peer`, cause something later that must reach it
    (an event of the same topic, or of another topic `peer` holds: the hub hands every
    message on in the order it was published), and wait for that marker here. Whatever the
    action had wrongly sent would have arrived first, so any frame before the marker fails
    the test, including one already read and left unclaimed in `peer.skipped`.
    """
    before: list[dict] = []
    deadline = time.monotonic() + wait
    while True:
        if peer.skipped:
            frame = peer.skipped.pop(0)
        else:
            frame = await peer.next(max(0.1, deadline - time.monotonic()))
        if matches(frame, op, marker):
            break
        before.append(frame)
    assert before == [], f"arrived before the marker {frame}: {before}"
    return frame


@contextlib.asynccontextmanager
async def serving(app: Litestar, settings: Settings, **overrides: Any) -> AsyncIterator[Live]:
    """The app under a real uvicorn on a free loopback port, as `forum serve` runs it
    (`overrides` replace uvicorn options, such as the HTTP protocol class)."""
    options = {**uvicorn_options(settings), **overrides}
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="on",
        # forum.realtime.wire's protocol, compression as the settings say.
        **options,
        timeout_graceful_shutdown=8,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(int(WAIT / 0.02)):
        if server.started or task.done():
            break
        await asyncio.sleep(0.02)
    assert server.started, "the server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=WAIT) as http:
        yield Live(base_url=base, ws_url=f"ws://127.0.0.1:{port}/ws", http=http, app=app)
    server.should_exit = True
    await asyncio.wait_for(task, WAIT)


@pytest.fixture
async def live(app: Litestar, settings: Settings) -> AsyncIterator[Live]:
    async with serving(app, settings) as running:
        yield running


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`python -m forum serve` on loopback, as production runs it."""

    def __init__(self, database_url: str, redis_url: str | None = None) -> None:
        self.port = free_port()
        env = dict(os.environ)
        env.update(
            FORUM_DATABASE_URL=database_url,
            FORUM_SECRET_KEY="test-secret-key-that-is-long-enough",
            FORUM_ALLOWED_ORIGINS=ORIGIN,
            FORUM_AUTO_MIGRATE="0",
            FORUM_LOG_LEVEL="WARNING",
        )
        env.pop("FORUM_REDIS_URL", None)
        if redis_url:
            env["FORUM_REDIS_URL"] = redis_url
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "forum", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + WAIT
        async with httpx.AsyncClient(timeout=2) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"server exited: {self.proc.stderr.read().decode()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"{self.base_url}/health")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise AssertionError("server did not become ready")

    def live(self, http: httpx.AsyncClient) -> Live:
        return Live(base_url=self.base_url, ws_url=self.ws_url, http=http)

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        stop_process(self.proc, WAIT)


@contextlib.asynccontextmanager
async def two_processes(database_url: str, redis_url: str | None) -> AsyncIterator[tuple[Live, Live]]:
    """Two `forum serve` processes on one database and one Redis, each with its HTTP client:
    (live on the first, live on the second). Both are stopped on the way out."""
    one = ServerProcess(database_url, redis_url)
    two = ServerProcess(database_url, redis_url)
    try:
        await asyncio.gather(one.wait_ready(), two.wait_ready())
        async with (
            httpx.AsyncClient(base_url=one.base_url, timeout=WAIT) as http_one,
            httpx.AsyncClient(base_url=two.base_url, timeout=WAIT) as http_two,
        ):
            yield one.live(http_one), two.live(http_two)
    finally:
        one.stop()
        two.stop()
