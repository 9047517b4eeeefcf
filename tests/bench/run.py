"""The live-delivery load benchmark: one command, every figure of docs/benchmarks.md.

    .venv/bin/python -m tests.bench.run                      # full run (about 15 minutes)
    .venv/bin/python -m tests.bench.run --quick              # about 2 minutes, SQLite only
    .venv/bin/python -m tests.bench.run --connections 100,1000 --backends sqlite --no-write

For each server (the bare `websockets` broadcast of tests/bench/bare_server.py, then the
forum on SQLite, then on PostgreSQL) and each number of connections N it starts the server
on 127.0.0.1, connects the senders (one per table), measures the server's RSS, connects N
receivers spread over the tables in several client processes and measures the RSS again;
then it steps the send rate up (doubling, then bisecting) until p99 exceeds the limit or
deliveries fall behind (a failed step is run once more before it counts), repeats the
highest sustainable rate, and measures latency at half of it. Every loop is bounded in count and time; all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import multiprocessing as mp
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.bench import clients, seed
from tests.bench.clients import Senders
from tests.bench.seed import Layout

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "benchmarks.md"
PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
MARK_START = "<!-- bench:results:start -->"
MARK_END = "<!-- bench:results:end -->"

# A step passes when at least this share of the expected deliveries arrived...
DELIVERED_SHARE = 0.99
# ...and the senders kept at least this share of the asked rate.
SEND_RATE_SHARE = 0.95
# The ramp's bounds: it stops at the first of these.
MAX_STEPS = 10
MAX_MESSAGES_PER_S = 10_000
MAX_DELIVERIES_PER_S = 400_000
MIN_MESSAGES_PER_S = 0.5
# Bisection stops once the highest passing and lowest failing rates are this close.
BISECT_RATIO = 1.2
# After the senders stop, deliveries still in flight are awaited this long at most.
DRAIN_SECONDS = 20.0
QUIET_SECONDS = 1.0
START_SECONDS = 90.0
# The idle window in which the server's CPU with N open sockets is measured.
IDLE_SECONDS = 5.0
RPC_TIMEOUT = 240.0


@dataclass
class StepResult:
    rate: float  # messages per second asked of the senders
    seconds: float
    sent: int
    expected: int
    delivered: int
    deliveries_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    server_cpu: float  # cores busy (1.0 = one core)
    client_cpu: float
    acks: int
    errors: dict[str, int]
    closed: int
    ok: bool
    why: str
    other_cpu: float = 0.0  # cores busy with everything else on the machine meanwhile
    late: int = 0  # deliveries of earlier steps that arrived after those were collected
    slow_topics: dict[str, int] = field(default_factory=dict)
    slow_times: list[float] = field(default_factory=list)  # seconds since the server started
    repeat: bool = False  # a ramp step run again because it failed


@dataclass
class Point:
    server: str
    connections: int
    connected: int
    mode: str
    tables: int
    rss_before_mib: float = 0.0
    rss_idle_mib: float = 0.0
    kib_per_connection: float | None = None
    connect_seconds: float = 0.0
    capped: bool = False  # the ramp reached its own ceiling without a failing step
    idle_cpu: float | None = None  # the server's CPU with N sockets open and no traffic
    ramp: list[StepResult] = field(default_factory=list)
    max_rate: float | None = None
    at_max: list[StepResult] = field(default_factory=list)
    at_half: list[StepResult] = field(default_factory=list)
    profile: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def median(self, runs: list[StepResult], attr: str) -> float | None:
        values = [getattr(r, attr) for r in runs if getattr(r, attr) is not None]
        return statistics.median(values) if values else None


# ---------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server subprocess on 127.0.0.1 whose pid we can measure."""

    def __init__(self, kind: str, argv: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.kind, self.port, self.log_path = kind, port, log
        self.log = log.open("ab")
        self.proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)
        self.started = time.monotonic()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws" if self.kind == "forum" else f"ws://127.0.0.1:{self.port}/"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited; see {self.log_path}")
            try:
                if self.kind == "forum":
                    async with httpx.AsyncClient(timeout=2) as http:
                        if (await http.get(f"{self.http_url}/health")).status_code == 200:
                            return
                else:
                    _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 2)
                    writer.close()
                    return
            except (OSError, httpx.HTTPError, TimeoutError):
                pass
            await asyncio.sleep(0.3)
        raise RuntimeError(f"{self.kind} server not ready after {START_SECONDS}s; see {self.log_path}")

    def rss(self) -> int:
        return self.ps.memory_info().rss

    def cpu(self) -> float:
        t = self.ps.cpu_times()
        return t.user + t.system

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def start_forum(database_url: str, logdir: Path, prelude: str = "") -> Server:
    port = free_port()
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    argv = [sys.executable, "-m", "forum", *args]
    if prelude:
        code = f"{prelude}\nfrom forum.cli import main\nmain({args!r})"
        argv = [sys.executable, "-c", code]
    return Server("forum", argv, seed.server_env(database_url), port, logdir / "forum.log")


def start_bare(logdir: Path) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "tests.bench.bare_server", "--host", "127.0.0.1", "--port", str(port)]
    return Server("bare", argv, dict(os.environ), port, logdir / "bare.log")


# ---------------------------------------------------------------------------- clients


def rpc(conn: Connection, msg: tuple, timeout: float = RPC_TIMEOUT) -> Any:
    conn.send(msg)
    if not conn.poll(timeout):
        raise TimeoutError(f"client worker did not answer {msg[0]!r} within {timeout}s")
    return conn.recv()


class Workers:
    """The receiver processes of one point."""

    def __init__(
        self,
        url: str,
        receivers: list[tuple[str | None, str]],
        procs: int,
        compression: str | None,
        concurrency: int,
    ):
        ctx = mp.get_context("spawn")  # lean children: no copy of the coordinator's state
        self.pipes: list[Connection] = []
        self.procs: list[mp.Process] = []
        for k in range(procs):
            share = receivers[k::procs]
            if not share:
                continue
            parent, child = ctx.Pipe()
            p = ctx.Process(
                target=clients.worker_main,
                args=(child, url, share, compression, max(1, concurrency // procs)),
                daemon=True,
            )
            p.start()
            self.pipes.append(parent)
            self.procs.append(p)
        self.ps = [psutil.Process(p.pid) for p in self.procs]

    async def call(self, *msg: Any, wait: float = RPC_TIMEOUT) -> list[Any]:
        return await asyncio.gather(*(asyncio.to_thread(rpc, c, msg, wait) for c in self.pipes))

    def cpu(self) -> float:
        total = 0.0
        for p in [*self.ps, psutil.Process()]:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.call("stop"), 60)
        for p in self.procs:
            p.join(10)
            if p.is_alive():
                p.kill()
                p.join(5)


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy so far (every core, every process)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def percentile(sorted_values: list[int], q: float) -> float | None:
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[k] / 1e6


# ---------------------------------------------------------------------------- one point


class Bench:
    """Drives one server with N receivers: steps, the ramp, repetitions."""

    def __init__(
        self, server: Server, senders: Senders, workers: Workers, subs: dict[str, int], opts
    ) -> None:
        self.server, self.senders, self.workers, self.subs, self.opts = server, senders, workers, subs, opts
        self.step_id = 0

    async def received(self) -> int:
        return sum(s["received"] for s in await self.workers.call("status"))

    async def step(self, rate: float, seconds: float) -> StepResult:
        self.step_id += 1
        step = self.step_id
        if reopened := await self.senders.reopen():
            print(f"    reopened {reopened} sender sockets", flush=True)
        received0 = await self.received()
        acks0, errors0 = self.senders.acks, Counter(self.senders.errors)
        cpu0, ccpu0, mcpu0 = self.server.cpu(), self.workers.cpu(), machine_busy()
        t0 = time.monotonic_ns()
        sent = await self.senders.run(step, rate, seconds)
        wall = (time.monotonic_ns() - t0) / 1e9
        cpu1, ccpu1, mcpu1 = self.server.cpu(), self.workers.cpu(), machine_busy()
        expected = sum(n * self.subs.get(topic, 0) for topic, n in sent.per_topic.items())
        # Wait for what is still in flight: until all arrived, or nothing new for a while.
        deadline = time.monotonic() + DRAIN_SECONDS
        last_count, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            got = await self.received() - received0
            if got >= expected:
                break
            if got != last_count:
                last_count, last_change = got, time.monotonic()
            elif time.monotonic() - last_change > QUIET_SECONDS:
                break
            await asyncio.sleep(0.2)
        taken = await self.workers.call("take", step)
        # Acks and errors of the last sends arrive after the senders stop: counted now.
        errors = self.senders.errors - errors0
        acks = self.senders.acks - acks0
        lat = sorted(x for t in taken for x in t["lat"])
        lasts = [t["last"] for t in taken if t["last"]]
        closed = sum(t["closed"] for t in taken)
        span = max((max(lasts) - t0) / 1e9, wall) if lasts else wall
        send_rate = sent.sent / max(sent.seconds, 1e-9)
        p99 = percentile(lat, 0.99)
        why = []
        if len(lat) < DELIVERED_SHARE * expected:
            why.append(f"delivered {len(lat)}/{expected}")
        if p99 is None or p99 > self.opts.p99_limit_ms:
            why.append(f"p99 {p99 and round(p99)} ms")
        if send_rate < SEND_RATE_SHARE * rate:
            why.append(f"senders reached {send_rate:.0f}/{rate:.0f} msg/s")
        if errors:
            why.append(f"errors {dict(errors)}")
        if acks < sent.sent * DELIVERED_SHARE:
            why.append(f"acks {acks}/{sent.sent}")
        if closed > self.closed_before:
            why.append(f"{closed - self.closed_before} receivers disconnected")
        self.closed_before = closed
        result = StepResult(
            rate=rate,
            seconds=round(wall, 2),
            sent=sent.sent,
            expected=expected,
            delivered=len(lat),
            deliveries_per_s=round(len(lat) / span, 1),
            p50_ms=percentile(lat, 0.50),
            p99_ms=p99,
            max_ms=lat[-1] / 1e6 if lat else None,
            server_cpu=round((cpu1 - cpu0) / wall, 2),
            client_cpu=round((ccpu1 - ccpu0) / wall, 2),
            acks=acks,
            errors=dict(errors),
            closed=closed,
            ok=not why,
            why="; ".join(why) or "ok",
            other_cpu=round(max(0.0, (mcpu1 - mcpu0) - (cpu1 - cpu0) - (ccpu1 - ccpu0)) / wall, 2),
            late=sum(t["late"] for t in taken),
            slow_topics=dict(Counter(topic for t in taken for _, _, topic in t["slow"])),
            slow_times=sorted(
                {round((at / 1e9) - self.server.started, 1) for t in taken for at, _, _ in t["slow"]}
            ),
        )
        print(
            f"    step {step:>2}: {rate:8.1f} msg/s -> {result.deliveries_per_s:9.0f} deliveries/s, "
            f"p50 {fmt_ms(result.p50_ms)} p99 {fmt_ms(result.p99_ms)}, server CPU {result.server_cpu:.2f}, "
            f"clients CPU {result.client_cpu:.2f}, other {result.other_cpu:.2f}: {result.why}",
            flush=True,
        )
        if self.opts.verbose and result.slow_topics:
            print(
                f"      slow deliveries by topic {result.slow_topics}; at {result.slow_times[:40]}",
                flush=True,
            )
        if errors and self.senders.error_samples:
            print(f"    sender errors, e.g. {self.senders.error_samples[-1]}", flush=True)
        if result.closed and not result.ok:
            heal = await self.workers.call("heal")
            print(f"    reconnected {sum(h['ok'] for h in heal)} receivers", flush=True)
            self.closed_before = sum(s["closed"] for s in await self.workers.call("status"))
        return result

    closed_before = 0

    capped = False

    async def ramp(self, fanout: float, start_deliveries: float) -> tuple[float | None, list[StepResult]]:
        """Double the rate until a step fails, then bisect; the highest passing rate."""
        rate = max(MIN_MESSAGES_PER_S, start_deliveries / fanout)
        lo: float | None = None
        hi: float | None = None
        steps: list[StepResult] = []
        for _ in range(MAX_STEPS):
            r = await self.step(rate, self.opts.step_seconds)
            steps.append(r)
            if not r.ok and (lo is None or rate > lo):
                # Confirmed before it counts: on two shared cores one stall of the machine,
                # the database or the clients would otherwise set the maximum of the run.
                r = await self.step(rate, self.opts.step_seconds)
                r.repeat = True
                steps.append(r)
            if r.ok:
                lo = rate
            else:
                hi = rate
            if hi is None:
                nxt = rate * 2
                if nxt > MAX_MESSAGES_PER_S or nxt * fanout > MAX_DELIVERIES_PER_S:
                    self.capped = True
                    break  # the ramp's ceiling: report it as a lower bound
            elif lo is None:
                nxt = rate / 2
                if nxt < MIN_MESSAGES_PER_S:
                    break
            elif hi / lo <= BISECT_RATIO:
                break
            else:
                nxt = math.sqrt(lo * hi)
            rate = nxt
        return lo, steps


# ---------------------------------------------------------------------------- a server x N


def sender_sockets(layout: Layout, per_topic: int) -> list[tuple[str | None, str]]:
    """The hosts, plus participants seated at each table, up to `per_topic` sockets a topic,
    interleaved so a round robin over them visits every topic in turn."""
    by_topic: dict[str, list[tuple[str | None, str]]] = {
        topic: [(tok, topic)] for tok, topic in layout.senders
    }
    for tok, topic in layout.receivers:
        if topic in by_topic and len(by_topic[topic]) < per_topic:
            by_topic[topic].append((tok, topic))
    columns = list(by_topic.values())
    return [col[i] for i in range(per_topic) for col in columns if i < len(col)]


async def measure_point(label: str, make_server, layout: Layout, n: int, opts, hint: float | None) -> Point:
    receivers = layout.receivers[:n]
    point = Point(server=label, connections=n, connected=0, mode=layout.mode, tables=len(layout.senders))
    if len(receivers) < n:
        point.notes.append(f"only {len(receivers)} receivers were seeded")
    server = make_server()
    senders = workers = None
    try:
        await server.wait_ready()
        senders = Senders(server.ws_url, sender_sockets(layout, opts.senders_per_topic), opts.compression)
        await senders.open()
        await asyncio.sleep(1.0)
        rss0 = server.rss()
        workers = Workers(
            server.ws_url, receivers, opts.client_procs, opts.compression, opts.connect_concurrency
        )
        started = time.monotonic()
        connected = await workers.call("connect", wait=clients.CONNECT_DEADLINE + RPC_TIMEOUT)
        point.connect_seconds = round(time.monotonic() - started, 1)
        point.connected = sum(c["ok"] for c in connected)
        subs: Counter[str] = Counter()
        for c in connected:
            subs.update(c["topics"])
        errors = Counter()
        for c in connected:
            errors.update(c["errors"])
        timed_out = sum(c.get("timed_out", 0) for c in connected)
        if timed_out:
            point.notes.append(
                f"{timed_out} receivers still connecting at the {clients.CONNECT_DEADLINE:.0f} s deadline"
            )
        print(
            f"  {label} N={n}: {point.connected} connected in {point.connect_seconds}s"
            + (f", errors {dict(errors)} e.g. {connected[0]['error_samples'][:1]}" if errors else ""),
            flush=True,
        )
        if point.connected == 0:
            point.notes.append("no receiver could connect")
            return point
        await asyncio.sleep(2.0)  # idle: let allocations settle
        cpu0, t0 = server.cpu(), time.monotonic()
        await asyncio.sleep(IDLE_SECONDS)
        point.idle_cpu = round((server.cpu() - cpu0) / (time.monotonic() - t0), 3)
        rss1 = server.rss()
        point.rss_before_mib = round(rss0 / 2**20, 1)
        point.rss_idle_mib = round(rss1 / 2**20, 1)
        point.kib_per_connection = round((rss1 - rss0) / 1024 / point.connected, 1)
        print(
            f"  idle: {point.kib_per_connection} KiB per connection, server CPU {point.idle_cpu:.2f}",
            flush=True,
        )
        if opts.memory_only:
            return point
        bench = Bench(server, senders, workers, dict(subs), opts)
        bench.closed_before = sum(c.get("closed", 0) for c in await workers.call("status"))
        fanout = point.connected / max(1, len(subs))
        lo, point.ramp = await bench.ramp(fanout, hint or opts.start_deliveries)
        point.max_rate = lo
        point.capped = bench.capped
        if lo is None:
            point.notes.append("no rate passed")
            return point
        best = [r for r in point.ramp if r.ok and r.rate == lo]
        point.at_max = best[-1:]
        for _ in range(opts.repeats - 1):
            point.at_max.append(await bench.step(lo, opts.step_seconds))
        for _ in range(opts.repeats):
            point.at_half.append(await bench.step(lo / 2, opts.duration))
        if (
            opts.profile_seconds
            and server.kind == "forum"
            and n == opts.profile_at
            and label == opts.profile_label
        ):
            point.profile = await profile(server, bench, lo * 0.8, opts)
        return point
    finally:
        if workers is not None:
            await workers.stop()
        if senders is not None:
            await senders.close()
        server.stop()


def find_py_spy() -> str | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return spy if Path(spy).exists() else None


async def profile(server: Server, bench: Bench, rate: float, opts) -> dict[str, Any]:
    """py-spy samples the server while it carries 80% of its maximum; the top frames."""
    spy = find_py_spy()
    if spy is None:
        return {"error": "py-spy is not installed (pip install py-spy)"}
    out = Path(opts.logdir) / "profile.txt"
    svg = Path(opts.logdir) / "profile.svg"
    seconds = opts.profile_seconds
    # --gil: only the thread holding the GIL, so idle database threads do not fill the profile.
    argv = [spy, "record", "--pid", str(server.proc.pid), "--gil", "--rate", "200", "--duration"]
    raw = await asyncio.create_subprocess_exec(
        *argv,
        str(int(seconds)),
        "--format",
        "raw",
        "-o",
        str(out),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    await asyncio.sleep(1.0)
    result = await bench.step(rate, seconds)
    try:
        _, err = await asyncio.wait_for(raw.communicate(), seconds + 60)
    except TimeoutError:
        raw.kill()
        return {"error": "py-spy did not finish"}
    text = await asyncio.to_thread(lambda: out.read_text() if out.exists() else "")
    if raw.returncode != 0 or not text:
        return {"error": f"py-spy failed: {err.decode()[-300:]}"}
    summary = summarise_stacks(text)
    summary.update(rate=rate, step=asdict(result), raw=str(out))
    # A flame graph for a person to look at, from a second, shorter sample under the same load.
    svg_proc = await asyncio.create_subprocess_exec(
        *argv, "5", "-o", str(svg), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    await bench.step(rate, 6)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(svg_proc.wait(), 60)
        summary["svg"] = str(svg)
    return summary


def summarise_stacks(text: str, top: int = 15) -> dict[str, Any]:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        own[short(frames[-1])] += n
        for f in {short(f) for f in frames}:
            incl[f] += n
    share = lambda c: [(f, round(100 * v / max(total, 1), 1)) for f, v in c.most_common(top)]  # noqa: E731
    return {"samples": total, "self": share(own), "inclusive": share(incl)}


def short(frame: str) -> str:
    """`func (path/to/module.py:12)` -> `func (package/module.py)`: lines merged, paths cut."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})" if path else name


# ---------------------------------------------------------------------------- backends


async def make_pg_database() -> str | None:
    try:
        import asyncpg
    except ImportError:
        return None
    name = f"forum_bench_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        conn = await asyncio.wait_for(asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres"), 5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        print(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({exc!r}); skipping it", flush=True)
        return None
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def seed_forum(database_url: str, opts, logdir: Path) -> Layout:
    env = seed.server_env(database_url)
    started = time.monotonic()
    await asyncio.to_thread(seed.prepare_database, env)
    server = start_forum(database_url, logdir)
    try:
        await server.wait_ready()
        layout = await seed.seed_over_http(
            server.http_url, database_url, max(opts.connections), opts.tables, opts.topic
        )
    finally:
        server.stop()
    print(
        f"  seeded {len(layout.receivers)} participants at {len(layout.senders)} {layout.mode}s "
        f"in {time.monotonic() - started:.0f}s",
        flush=True,
    )
    return layout


def dump_json(path: str, points: list[Point]) -> None:
    Path(path).write_text(json.dumps([asdict(p) for p in points], indent=1, default=str))


def fresh_sqlite(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


async def run_all(opts) -> dict[str, Any]:
    logdir = Path(opts.logdir)
    points: list[Point] = []
    best: dict[tuple[str, int], float] = {}

    def hint(label: str, n: int) -> float | None:
        # Start near what this server managed with fewer connections, or half the bare's.
        prev = [v for (lab, m), v in best.items() if lab == label and m < n]
        if prev:
            return prev[-1] / 2
        if (bare := best.get(("bare", n))) is not None and label != "bare":
            # Far below the bare figure: a first step many times over capacity leaves a
            # backlog that takes the next steps with it.
            return min(bare / 4, opts.start_deliveries)
        return None

    async def run_server(label: str, make_server, layout: Layout) -> None:
        for n in opts.connections:
            print(f"== {label}, {n} connections", flush=True)
            try:
                point = await measure_point(label, make_server, layout, n, opts, hint(label, n))
            except Exception as exc:  # one broken point must not lose the others
                print(f"  {label} N={n} failed: {exc!r}", flush=True)
                point = Point(server=label, connections=n, connected=0, mode=layout.mode, tables=opts.tables)
                point.notes.append(f"failed: {exc!r}"[:300])
            points.append(point)
            if opts.json:
                await asyncio.to_thread(dump_json, opts.json, points)
            if point.at_max:
                best[(label, n)] = statistics.median(r.deliveries_per_s for r in point.at_max)

    T = opts.tables
    mx = max(opts.connections)
    if "bare" in opts.backends:
        bare_layout = Layout(
            "room", [(None, f"room:{i % T}") for i in range(mx)], [(None, f"room:{i}") for i in range(T)]
        )
        await run_server("bare", lambda: start_bare(logdir), bare_layout)
    for backend in [b for b in opts.backends if b != "bare"]:
        label = f"forum-{backend}"
        pg_name = None
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{fresh_sqlite(logdir / 'bench.db')}"
        else:
            pg_name = await make_pg_database()
            if pg_name is None:
                continue
            url = f"{PG_SERVER}/{pg_name}"
        print(f"== {label}: seeding", flush=True)
        try:
            layout = await seed_forum(url, opts, logdir)
            await run_server(label, lambda url=url: start_forum(url, logdir, opts.server_prelude), layout)
        finally:
            if pg_name:
                await drop_pg_database(pg_name)
    return {"points": points}


# ---------------------------------------------------------------------------- report


def fmt_ms(v: float | None) -> str:
    return "–" if v is None else (f"{v:.0f} ms" if v >= 10 else f"{v:.1f} ms")


def fmt_n(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}"


def git_head() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def machine() -> dict[str, str]:
    model = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import websockets

    return {
        "cpus": str(os.cpu_count()),
        "cpu": model,
        "memory": f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "websockets": websockets.__version__,
    }


def report(points: list[Point], opts, started: dt.datetime, elapsed: float) -> str:
    m = machine()
    bare = {p.connections: p for p in points if p.server == "bare"}
    lines = [
        f"Measured {started:%Y-%m-%d %H:%M} UTC in {elapsed / 60:.1f} minutes with",
        "",
        f"    {opts.command}",
        "",
        f"Code: commit {opts.head_at_start}"
        + (
            f" at the start, {head} at the end: servers started after the change ran the new code."
            if (head := git_head()) != opts.head_at_start
            else " (unchanged during the run)."
        ),
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory']}, {m['os']}, Python {m['python']}, "
        f"websockets {m['websockets']}. The client processes ({opts.client_procs} receiver processes "
        "and the coordinator, which sends) share these CPUs with the server, so every figure is "
        "a floor for a server with the machine to itself; the bare server's figure, measured "
        "with the same clients in the same run, is the ceiling we compare with.",
        "",
        f"Settings: {opts.tables} topics (tables), p99 limit {opts.p99_limit_ms:.0f} ms, ramp steps of "
        f"{opts.step_seconds:g} s, {opts.repeats} repetitions at the maximum and at half of it "
        f"({opts.duration:g} s each; medians shown), compression `{opts.compression or 'none'}`.",
        "",
        "| server | N | topic | max deliveries/s | vs bare | p50 / p99 at max | p50 / p99 at half max "
        "| server CPU at max | client CPU at max | other load at max | RSS idle | per idle connection "
        "| idle server CPU |",
        "| --- | ---: | --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in points:
        dmax = p.median(p.at_max, "deliveries_per_s")
        ratio = "–"
        if (
            p.server != "bare"
            and (b := bare.get(p.connections))
            and dmax
            and (bd := b.median(b.at_max, "deliveries_per_s"))
        ):
            ratio = f"{dmax / bd:.2f}"
        capped = p.capped
        lines.append(
            f"| {p.server} | {p.connected:,}"
            + (f" of {p.connections:,}" if p.connected != p.connections else "")
            + f" | {p.mode} | {fmt_n(dmax)}{' (ramp ceiling)' if capped else ''} | {ratio} "
            f"| {fmt_ms(p.median(p.at_max, 'p50_ms'))} / {fmt_ms(p.median(p.at_max, 'p99_ms'))} "
            f"| {fmt_ms(p.median(p.at_half, 'p50_ms'))} / {fmt_ms(p.median(p.at_half, 'p99_ms'))} "
            f"| {fmt_cpu(p.median(p.at_max, 'server_cpu'))} | {fmt_cpu(p.median(p.at_max, 'client_cpu'))} "
            f"| {fmt_cpu(p.median(p.at_max, 'other_cpu'))} "
            f"| {p.rss_idle_mib:.0f} MiB | {'–' if p.kib_per_connection is None else f'{p.kib_per_connection:.1f} KiB'} "
            f"| {fmt_cpu(p.idle_cpu)} |"
        )
    lines += ["", "Goals (at 1,000 connections):", ""]
    for p in points:
        if p.server == "bare" or p.connections != 1000:
            continue
        b = bare.get(1000)
        dmax = p.median(p.at_max, "deliveries_per_s")
        bd = b.median(b.at_max, "deliveries_per_s") if b else None
        half99 = p.median(p.at_half, "p99_ms")
        lines.append(
            f"- {p.server}: deliveries/s {fmt_n(dmax)} vs bare {fmt_n(bd)}"
            + (
                f" = {dmax / bd:.2f} ({'met' if dmax / bd >= 0.5 else 'NOT met'}: goal ≥ 0.5)"
                if dmax and bd
                else ""
            )
            + f"; p99 at half max {fmt_ms(half99)}"
            + (f" ({'met' if half99 < 100 else 'NOT met'}: goal < 100 ms)" if half99 is not None else "")
            + f"; memory {p.kib_per_connection} KiB per idle connection"
            + (
                f" ({'met' if p.kib_per_connection < 50 else 'NOT met'}: goal < 50 KiB)"
                if p.kib_per_connection is not None
                else ""
            )
        )
    lines += [
        "",
        "<details><summary>Every step (rate asked, deliveries/s, latency, why it failed)</summary>",
        "",
    ]
    for p in points:
        lines.append(
            f"**{p.server}, N={p.connections}** (connected in {p.connect_seconds}s) {' '.join(p.notes)}"
        )
        lines.append("")
        for kind, runs in (("ramp", p.ramp), ("max", p.at_max[1:]), ("half", p.at_half)):
            for r in runs:
                lines.append(
                    f"- {kind}{' (repeated)' if r.repeat else ''}: {r.rate:.1f} msg/s for {r.seconds:g}s → {r.deliveries_per_s:,.0f} deliveries/s "
                    f"({r.delivered:,}/{r.expected:,}), p50 {fmt_ms(r.p50_ms)}, p99 {fmt_ms(r.p99_ms)}, "
                    f"max {fmt_ms(r.max_ms)}, CPU server {r.server_cpu:.2f} / clients {r.client_cpu:.2f} "
                    f"/ other {r.other_cpu:.2f}: {r.why}"
                )
        lines.append("")
    lines.append("</details>")
    for p in points:
        if p.profile:
            lines += [
                "",
                f"Profile of {p.server} at N={p.connections}, {p.profile.get('rate', 0):.0f} msg/s:",
                "",
            ]
            if "error" in p.profile:
                lines.append(f"profiling failed: {p.profile['error']}")
                continue
            lines.append(f"{p.profile['samples']} samples (py-spy, 200 Hz). Top self time:")
            lines.append("")
            lines += [f"- {share}% {frame}" for frame, share in p.profile["self"]]
            lines += ["", "Top inclusive time:", ""]
            lines += [f"- {share}% {frame}" for frame, share in p.profile["inclusive"]]
    return "\n".join(lines) + "\n"


def fmt_cpu(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def write_docs(path: Path, block: str) -> None:
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{MARK_START}\n{MARK_END}\n"
    if MARK_START not in text:
        text += f"\n{MARK_START}\n{MARK_END}\n"
    head, _, rest = text.partition(MARK_START)
    _, _, tail = rest.partition(MARK_END)
    path.write_text(f"{head}{MARK_START}\n{block}{MARK_END}{tail}")


# ---------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None):
    p = argparse.ArgumentParser(description="Live-delivery load benchmark (see docs/benchmarks.md).")
    p.add_argument("--connections", default="100,1000,5000", help="comma-separated N")
    p.add_argument("--backends", default="bare,sqlite,postgresql", help="of bare, sqlite, postgresql")
    p.add_argument("--tables", type=int, default=10, help="topics the receivers are spread over")
    p.add_argument("--duration", type=float, default=8.0, help="seconds of each run at half the maximum")
    p.add_argument("--step-seconds", type=float, default=4.0, help="seconds of each ramp step")
    p.add_argument("--repeats", type=int, default=3, help="runs at the maximum and at half of it")
    p.add_argument("--client-procs", type=int, default=2, help="receiver processes")
    p.add_argument("--p99-limit-ms", type=float, default=250.0)
    p.add_argument("--start-deliveries", type=float, default=2000.0, help="first ramp step, deliveries/s")
    p.add_argument(
        "--connect-concurrency", type=int, default=32, help="receivers connecting at once, over all processes"
    )
    p.add_argument(
        "--senders-per-topic",
        type=int,
        default=3,
        help="sockets posting to each topic (the host and participants seated there)",
    )
    p.add_argument("--topic", choices=["auto", "table", "thread"], default="auto")
    p.add_argument(
        "--compression",
        choices=["deflate", "none"],
        default="none",
        help="what the clients offer; none matches the forum's default (FORUM_WS_COMPRESSION off)",
    )
    p.add_argument("--profile-seconds", type=float, default=15.0, help="py-spy the forum at N=1000; 0: no")
    p.add_argument(
        "--memory-only", action="store_true", help="connect, measure memory and idle CPU, no traffic"
    )
    p.add_argument("--verbose", action="store_true", help="where and when slow deliveries happen")
    p.add_argument(
        "--server-prelude",
        default="",
        help="Python run in the forum's process before it serves (for A/B experiments, e.g. a constant)",
    )
    p.add_argument("--quick", action="store_true", help="about 3 minutes: 100 and 1,000 on SQLite, one run")
    p.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    p.add_argument("--json", help="also write every step as JSON to this file")
    p.add_argument("--logdir", help="server logs and the profile (default: a temporary directory)")
    opts = p.parse_args(argv)
    opts.command = "python -m tests.bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    if opts.quick:
        opts.connections, opts.backends = "100,1000", "bare,sqlite"
        opts.repeats, opts.step_seconds, opts.duration, opts.profile_seconds = 1, 2.0, 3.0, 0.0
    opts.connections = [int(x) for x in str(opts.connections).split(",") if x.strip()]
    opts.backends = [b.strip() for b in opts.backends.split(",") if b.strip()]
    opts.compression = None if opts.compression == "none" else opts.compression
    opts.profile_at = 1000 if 1000 in opts.connections else max(opts.connections)
    opts.profile_label = next((f"forum-{b}" for b in opts.backends if b != "bare"), "")
    opts.logdir = opts.logdir or tempfile.mkdtemp(prefix="forum-bench-")
    Path(opts.logdir).mkdir(parents=True, exist_ok=True)
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    # Like with like: the forum negotiates deflate only when the clients offer it too.
    os.environ["FORUM_WS_COMPRESSION"] = "1" if opts.compression == "deflate" else "0"
    # A SIGTERM unwinds like an error, so the servers and client processes are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    nofile = clients.raise_nofile()
    if nofile < max(opts.connections) + 200:
        print(f"open-files limit is {nofile}; {max(opts.connections)} connections need more", file=sys.stderr)
        return 2
    started = dt.datetime.now(dt.UTC)
    opts.head_at_start = git_head()
    t0 = time.monotonic()
    print(f"logs in {opts.logdir}", flush=True)
    try:
        import uvloop

        outcome = uvloop.run(run_all(opts))
    except ImportError:
        outcome = asyncio.run(run_all(opts))
    block = report(outcome["points"], opts, started, time.monotonic() - t0)
    print()
    print(block)
    if opts.json:
        dump_json(opts.json, outcome["points"])
    if not opts.no_write:
        write_docs(DOCS, block)
        print(f"written to {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
