"""Fault fixtures: a Redis server of the test's own, to kill, restart or freeze; a small
disk to fill up.

The shared Redis of the machine is never touched: each test that needs a broker outage
starts `redis-server` on a free loopback port, with no persistence, and stops it in a
`finally` (the fixture's teardown), whatever happened. Likewise a full disk is a tmpfs
the test mounts for itself, and unmounts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from tests.helpers import stop_process
from tests.realtime.conftest import WAIT, free_port

REDIS_SERVER = shutil.which("redis-server")


class RedisServer:
    """`redis-server` on 127.0.0.1:`port`, started, killed and restarted by the test."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"redis-server exited with {self.proc.returncode}")
                with contextlib.suppress(redis.RedisError):
                    if client.ping():
                        return
                time.sleep(0.05)
            raise AssertionError("redis-server did not answer")
        finally:
            client.close()

    def kill(self) -> None:
        """Gone at once, connections and all (SIGKILL): what a crash looks like."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(timeout=WAIT)
        self.proc = None

    def freeze(self) -> None:
        """Still listening, never answering (SIGSTOP): what a hung server looks like."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)
            stop_process(self.proc, WAIT)
        self.proc = None

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    if REDIS_SERVER is None:
        pytest.skip("needs redis-server")
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class SmallDisk:
    """A tmpfs of a few MiB of the test's own, that the test fills up and empties again."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._filler = root / "filler"

    def fill(self) -> None:
        """Take every free byte, so that the next write of anyone on this disk fails."""
        fd = os.open(self._filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            chunk = b"\0" * 4096
            with contextlib.suppress(OSError):  # ENOSPC: full
                while True:
                    os.write(fd, chunk)
        finally:
            os.close(fd)

    def empty(self) -> None:
        self._filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 16 MiB tmpfs (needs the right to mount, as root in CI; skipped otherwise)."""
    root = tmp_path / "small-disk"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(root)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield SmallDisk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def copy_sqlite(source_url: str, target: Path) -> str:
    """A consistent copy of a SQLite database (what its WAL holds included); the copy's URL."""
    source = sqlite3.connect(source_url.removeprefix("sqlite+aiosqlite:///"))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return f"sqlite+aiosqlite:///{target}"


# asyncpg's COMMIT of a transaction: a simple-protocol query message ('Q', length, text).
COMMIT_MESSAGE = b"Q\x00\x00\x00\x0cCOMMIT;\x00"


class TcpProxy:
    """A TCP proxy on loopback in front of a real server, that the test can cut.

    `refuse()`: new connections are closed at once and open ones cut (the database is
    unreachable); `mute()`: they are accepted and never answered; `restore()` undoes both. `lose_reply_to(message)`: the next time a client
    sends `message`, the server gets it and answers, and the client's connection is cut
    before the answer reaches it (a COMMIT that succeeded but was never confirmed).
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self.refusing = False
        self.muted = False
        self._silent: set[asyncio.StreamWriter] = set()
        self._lose_reply_to: bytes | None = None
        self._cut_after_reply: bytes | None = None
        self.replies_lost = 0
        self.cuts_after_reply = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def refuse(self) -> None:
        self.refusing = True
        self.cut()

    def mute(self) -> None:
        """New connections are accepted and never answered (a server that hangs, a network
        that drops packets); open ones are cut."""
        self.muted = True
        self.cut()

    def restore(self) -> None:
        self.refusing = False
        self.muted = False

    def cut(self) -> None:
        for silent in list(self._silent):
            silent.transport.abort()
        for client, upstream in list(self._pairs):
            client.transport.abort()
            upstream.transport.abort()
        self._pairs.clear()

    def lose_reply_to(self, message: bytes) -> None:
        self._lose_reply_to = message

    def cut_after_reply(self, marker: bytes) -> None:
        """The next answer of the server that holds `marker` reaches the client, then the
        connection is cut (the client has its rows; the next statement finds the line dead)."""
        self._cut_after_reply = marker

    async def _accept(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        if self.refusing:
            client.transport.abort()
            return
        if self.muted:
            self._silent.add(client)
            with contextlib.suppress(OSError):
                while await client_reader.read(65536):
                    pass
            self._silent.discard(client)
            return
        try:
            upstream_reader, upstream = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client.transport.abort()
            return
        pair = (client, upstream)
        self._pairs.add(pair)
        # Set when the client's connection is to miss the server's next answer.
        holding = asyncio.Event()
        answered = asyncio.Event()

        async def pipe(direction: Awaitable[None]) -> None:
            try:
                await direction
            finally:
                # One direction ended: so does the connection, both ways.
                client.transport.abort()
                upstream.transport.abort()

        await asyncio.gather(
            pipe(self._to_server(client_reader, upstream, holding, answered)),
            pipe(self._to_client(upstream_reader, client, holding, answered)),
            return_exceptions=True,
        )
        self._pairs.discard(pair)

    async def _to_server(
        self,
        reader: asyncio.StreamReader,
        upstream: asyncio.StreamWriter,
        holding: asyncio.Event,
        answered: asyncio.Event,
    ) -> None:
        while data := await reader.read(65536):
            watched = self._lose_reply_to
            if watched is not None and watched in data:
                self._lose_reply_to = None
                holding.set()
                upstream.write(data)
                await upstream.drain()
                # The server has acted on it once it answers; then the line goes dead.
                await asyncio.wait_for(answered.wait(), WAIT)
                self.replies_lost += 1
                return
            upstream.write(data)
            await upstream.drain()

    async def _to_client(
        self,
        upstream_reader: asyncio.StreamReader,
        client: asyncio.StreamWriter,
        holding: asyncio.Event,
        answered: asyncio.Event,
    ) -> None:
        while data := await upstream_reader.read(65536):
            if holding.is_set():
                answered.set()
                return
            client.write(data)
            await client.drain()
            marker = self._cut_after_reply
            if marker is not None and marker in data:
                self._cut_after_reply = None
                self.cuts_after_reply += 1
                return


@pytest.fixture
async def pg_proxy(database_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    """A proxy in front of the test's PostgreSQL database, and the database's URL through it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a proxy in front of PostgreSQL (FORUM_TEST_DATABASE_URL)")
    parsed = urlsplit(database_url)
    proxy = TcpProxy(parsed.port or 5432)
    await proxy.start()
    try:
        yield proxy, urlunsplit(parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{proxy.port}"))
    finally:
        await proxy.stop()
