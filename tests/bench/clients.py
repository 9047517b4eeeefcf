"""The benchmark's websocket clients: receiver worker processes and the senders.

A receiver worker is a separate process (so the clients use more than one core) that opens
its share of the N sockets, subscribes each to one topic and timestamps every benchmark
event it receives. The coordinator drives it over a pipe with small commands; every wait
inside is bounded.

Senders post `send` frames at a fixed total rate, round robin over the topics; each body
carries `BENCH:<step>:<send time in ns>`, and receivers subtract that from their own clock
(CLOCK_MONOTONIC is one clock for every process on Linux).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import re
import resource
import secrets
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

BENCH_RE = re.compile(r"BENCH:(\d+):(\d+)")
# A table message of realistic length (a sentence or two), so frames are not toy-sized.
FILLER = "our table heard how community forestry and clean cooking funds could share one registry"
# Sockets a worker opens at once unless told otherwise.
CONNECT_CONCURRENCY = 16
CONNECT_TIMEOUT = 60.0
SUBSCRIBE_TIMEOUT = 60.0
CLOSE_TIMEOUT = 15.0
# Connecting stops here: a server that takes longer is reported with the sockets it took.
CONNECT_DEADLINE = 150.0
SLOW_NS = 250_000_000
SLOW_KEEP = 5000


def raise_nofile() -> int:
    """Lift the soft open-files limit to the hard one: 5,000 sockets need more than 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def connect_kwargs(token: str | None, compression: str | None) -> dict[str, Any]:
    return {
        "additional_headers": {"Authorization": f"Bearer {token}"} if token else None,
        "compression": compression,
        "open_timeout": CONNECT_TIMEOUT,
        # The server pings; a client ping timing out on a saturated machine would turn a slow
        # benchmark into a disconnection storm, so the clients only answer.
        "ping_interval": None,
        "close_timeout": 5,
        "max_size": 1 << 20,
        "proxy": None,
    }


@dataclass
class Receiver:
    token: str | None
    topic: str
    ws: ClientConnection | None = None
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    alive: bool = False
    task: asyncio.Task | None = None


class ReceiverWorker:
    """Holds this process's sockets and the latencies they observed, bucketed by step."""

    def __init__(
        self, url: str, clients: list[tuple[str | None, str]], compression: str | None, concurrency: int
    ) -> None:
        self.url = url
        self.concurrency = concurrency
        self.compression = compression
        self.receivers = [Receiver(token, topic) for token, topic in clients]
        self.buckets: dict[int, list[int]] = defaultdict(list)
        self.last_recv: dict[int, int] = {}
        # Deliveries slower than SLOW_NS, to see when and where they happen: (recv ns, ns, topic).
        self.slow: list[tuple[int, int, str]] = []
        # Deliveries of steps already collected: they came too late to count.
        self.taken_upto = 0
        self.late = 0
        self.received = 0
        self.closed = 0
        self.errors: Counter[str] = Counter()
        self.error_samples: list[str] = []

    async def _read(self, r: Receiver) -> None:
        assert r.ws is not None
        buckets, last_recv, match = self.buckets, self.last_recv, BENCH_RE.search
        try:
            async for raw in r.ws:
                now = time.monotonic_ns()
                if not isinstance(raw, str):
                    continue
                m = match(raw)
                if m is not None:
                    step = int(m.group(1))
                    lat = now - int(m.group(2))
                    self.received += 1
                    if step <= self.taken_upto:
                        self.late += 1
                        continue
                    buckets[step].append(lat)
                    last_recv[step] = now
                    if lat > SLOW_NS and len(self.slow) < SLOW_KEEP:
                        self.slow.append((now, lat, r.topic))
                elif '"subscribed"' in raw:
                    r.subscribed.set()
                elif '"error"' in raw:
                    self._error(raw)
        except (WebSocketException, OSError) as exc:
            self._error(f"read: {exc!r}")
        finally:
            if r.alive:
                r.alive = False
                self.closed += 1

    def _error(self, text: str) -> None:
        try:
            code = json.loads(text).get("code", "error")
        except (ValueError, AttributeError):
            code = text.split(":", 1)[0][:40]
        self.errors[code] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(text[:300])

    async def _open(self, r: Receiver, sem: asyncio.Semaphore) -> bool:
        async with sem:
            try:
                r.ws = await connect(self.url, **connect_kwargs(r.token, self.compression))
            except (WebSocketException, OSError, TimeoutError) as exc:
                self._error(f"connect: {exc!r}")
                return False
            r.alive = True
            r.subscribed = asyncio.Event()
            r.task = asyncio.create_task(self._read(r))
            try:
                await r.ws.send(json.dumps({"op": "subscribe", "topic": r.topic}))
                await asyncio.wait_for(r.subscribed.wait(), SUBSCRIBE_TIMEOUT)
            except (WebSocketException, OSError, TimeoutError) as exc:
                self._error(f"subscribe: {exc!r}")
                return False
            return True

    async def connect_all(self, only_dead: bool = False) -> dict[str, Any]:
        sem = asyncio.Semaphore(self.concurrency)
        todo = [r for r in self.receivers if not (only_dead and r.alive)]
        started = time.monotonic()
        tasks = [asyncio.create_task(self._open(r, sem)) for r in todo]
        done, pending = await asyncio.wait(tasks, timeout=CONNECT_DEADLINE) if tasks else (set(), set())
        for task in pending:  # the deadline passed: the point runs with whoever made it
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        # A socket opened but not subscribed in time does not count as connected.
        for r in todo:
            if r.alive and not r.subscribed.is_set():
                r.alive = False
                if r.ws is not None:
                    r.ws.transport.abort()
        ok = sum(1 for t in done if not t.cancelled() and t.exception() is None and t.result())
        return {
            "ok": ok,
            "failed": len(todo) - ok,
            "timed_out": len(pending),
            "seconds": time.monotonic() - started,
            "topics": dict(Counter(r.topic for r in self.receivers if r.alive)),
            "errors": dict(self.errors),
            "error_samples": list(self.error_samples),
        }

    def take(self, step: int) -> dict[str, Any]:
        lat = self.buckets.pop(step, [])
        last = self.last_recv.pop(step, None)
        self.taken_upto = max(self.taken_upto, step)
        slow, self.slow = self.slow, []
        # Stragglers of earlier steps arrived too late to count; drop them.
        for old in [s for s in self.buckets if s < step]:
            del self.buckets[old]
            self.last_recv.pop(old, None)
        return {"lat": lat, "last": last, "closed": self.closed, "slow": slow, "late": self.late}

    def status(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "alive": sum(r.alive for r in self.receivers),
            "closed": self.closed,
            "errors": dict(self.errors),
            "error_samples": list(self.error_samples),
        }

    async def close_all(self) -> None:
        async def _close(r: Receiver) -> None:
            if r.ws is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(r.ws.close(), CLOSE_TIMEOUT)
            if r.task is not None:
                r.task.cancel()

        for r in self.receivers:
            r.alive = False
        await asyncio.gather(*(_close(r) for r in self.receivers))


def worker_main(
    conn: Connection,
    url: str,
    clients: list[tuple[str | None, str]],
    compression: str | None,
    concurrency: int = CONNECT_CONCURRENCY,
) -> None:
    """Entry point of a receiver process: answer the coordinator's commands until `stop`."""
    raise_nofile()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        runner = asyncio.run
    runner(_serve_commands(conn, url, clients, compression, concurrency))


async def _serve_commands(
    conn: Connection,
    url: str,
    clients: list[tuple[str | None, str]],
    compression: str | None,
    concurrency: int,
) -> None:
    worker = ReceiverWorker(url, clients, compression, concurrency)
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[tuple] = asyncio.Queue()

    def pump() -> None:
        # The pipe is read in a thread so the event loop keeps serving the sockets.
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                msg = ("stop",)
            loop.call_soon_threadsafe(commands.put_nowait, msg)
            if msg[0] == "stop":
                return

    threading.Thread(target=pump, daemon=True).start()
    while True:
        cmd, *args = await commands.get()
        if cmd == "connect":
            conn.send(await worker.connect_all())
            # The sockets live until the end: keep the collector from walking them again and
            # again, so client pauses do not pass for server latency.
            gc.collect()
            gc.freeze()
        elif cmd == "heal":
            conn.send(await worker.connect_all(only_dead=True))
        elif cmd == "take":
            conn.send(worker.take(args[0]))
        elif cmd == "status":
            conn.send(worker.status())
        elif cmd == "stop":
            await worker.close_all()
            with contextlib.suppress(OSError, BrokenPipeError):
                conn.send({"stopped": True})
            return


@dataclass
class SendResult:
    sent: int
    seconds: float
    per_topic: Counter[str]
    acks: int
    errors: Counter[str]
    error_samples: list[str]


class Senders:
    """One socket per topic that posts benchmark messages; it does not subscribe."""

    def __init__(self, url: str, senders: list[tuple[str | None, str]], compression: str | None) -> None:
        self.url = url
        self.spec = senders
        self.compression = compression
        self.sockets: list[tuple[ClientConnection, str]] = []
        self.tasks: list[asyncio.Task] = []
        self.acks = 0
        self.errors: Counter[str] = Counter()
        self.error_samples: list[str] = []
        self.seq = 0
        # client_id is idempotent per author: a repeat from an earlier run would be acked
        # with the first message and announce nothing, so every Senders has its own prefix.
        self.prefix = secrets.token_hex(4)

    async def open(self) -> None:
        for token, topic in self.spec:
            ws = await connect(self.url, **connect_kwargs(token, self.compression))
            self.sockets.append((ws, topic))
            self.tasks.append(asyncio.create_task(self._read(ws)))

    async def reopen(self) -> int:
        """Replace sender sockets the server closed (an overloaded step can end them)."""
        from websockets.protocol import State

        reopened = 0
        for i, ((token, topic), (ws, _)) in enumerate(zip(self.spec, self.sockets, strict=True)):
            if ws.state is State.OPEN:
                continue
            try:
                fresh = await connect(self.url, **connect_kwargs(token, self.compression))
            except (WebSocketException, OSError, TimeoutError):
                continue
            self.sockets[i] = (fresh, topic)
            self.tasks.append(asyncio.create_task(self._read(fresh)))
            reopened += 1
        return reopened

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                if not isinstance(raw, str):
                    continue
                if '"ack"' in raw:
                    self.acks += 1
                elif '"error"' in raw:
                    try:
                        code = json.loads(raw).get("code", "error")
                    except ValueError:
                        code = "unparsable"
                    self.errors[code] += 1
                    if len(self.error_samples) < 5:
                        self.error_samples.append(raw[:300])
        except (WebSocketException, OSError) as exc:
            self.errors["sender_closed"] += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(repr(exc))

    async def run(self, step: int, rate: float, seconds: float) -> SendResult:
        """Send `rate` messages per second for `seconds`, open loop (late sends are not skipped)."""
        total = max(1, round(rate * seconds))
        acks0, errors0 = self.acks, Counter(self.errors)
        per_topic: Counter[str] = Counter()
        started = time.monotonic()
        deadline = started + seconds * 3 + 10
        i = 0
        n = len(self.sockets)
        while i < total and time.monotonic() < deadline:
            due = min(total, int((time.monotonic() - started) * rate) + 1)
            while i < due:
                ws, topic = self.sockets[i % n]
                self.seq += 1
                body = f"BENCH:{step}:{time.monotonic_ns()} {FILLER} ({self.seq})"
                frame = json.dumps(
                    {"op": "send", "topic": topic, "body": body, "client_id": f"b{self.prefix}-{self.seq}"}
                )
                try:
                    await ws.send(frame)
                except (WebSocketException, OSError) as exc:
                    self.errors["send_failed"] += 1
                    if len(self.error_samples) < 5:
                        self.error_samples.append(repr(exc))
                per_topic[topic] += 1
                i += 1
            await asyncio.sleep(0.002)
        elapsed = time.monotonic() - started
        return SendResult(
            sent=i,
            seconds=elapsed,
            per_topic=per_topic,
            acks=self.acks - acks0,
            errors=self.errors - errors0,
            error_samples=list(self.error_samples),
        )

    async def close(self) -> None:
        for ws, _ in self.sockets:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5)
        for task in self.tasks:
            task.cancel()
