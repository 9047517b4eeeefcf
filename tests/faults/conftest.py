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
from collections.abc import Iterator
from pathlib import Path

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
