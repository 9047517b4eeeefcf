"""Live delivery across a Redis outage: how long until it recovers, and at what latency.

    .venv/bin/python -m tests.bench.broker_outage                   # PostgreSQL, 3 runs
    .venv/bin/python -m tests.bench.broker_outage --database sqlite --runs 1
    .venv/bin/python -m tests.bench.broker_outage --outage 10 --rate 50

Two `forum serve` processes share a fresh database and a `redis-server` of the script's own
(a free loopback port, no persistence; the machine's shared Redis is never touched).
Listeners on both processes subscribe to one thread; a sender on each process (or on the
first only: `--writers 1`) posts over its socket at a steady total rate, each body carrying
its send time (CLOCK_MONOTONIC, one clock for every process on Linux). After `--before` seconds Redis is killed (SIGKILL), after
`--outage` seconds started again on the same port, and the posting goes on for `--after`
seconds. Reported per run:

- broker up: from Redis answering again until both processes report it up on `/health`
  (a probe came back through Redis, every channel subscribed again);
- backlog in: from Redis answering again until every post sent while it was away reached
  every listener (0 when the event log had already brought them all);
- p50 and p99 latency of the posts sent before the outage (the baseline), while it lasted,
  in the first second after Redis returned, and from the broker being up to the end;
- whether every listener got every post exactly once and in order;
- how many times the processes saw the broker fail (2: each saw the outage once; more
  means a probe came back late, on a loaded machine, and a process reconnected).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.bench import seed
from tests.faults.conftest import RedisServer
from tests.realtime.conftest import ServerProcess

PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
LISTENERS_PER_PROCESS = 2
DRAIN_SECONDS = 30.0


@dataclass
class Run:
    sent: dict[int, int] = field(default_factory=dict)  # post number -> send time (ns)
    # listener -> [(post number, receive time ns, seq)]
    heard: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    killed: int = 0
    back: int = 0
    broker_up: int = 0
    failures: int = 0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def listen(ws: ClientConnection, index: int, run: Run, stop: asyncio.Event) -> None:
    heard = run.heard.setdefault(index, [])
    while not stop.is_set():
        try:
            raw = await asyncio.wait_for(ws.recv(), 0.5)
        except TimeoutError:
            continue
        now = time.monotonic_ns()
        frame = json.loads(raw)
        if frame.get("op") == "event" and frame.get("type") == "post.created":
            body = frame["data"]["body"]
            if body.startswith("OUTAGE:"):
                heard.append((int(body.split(":")[1]), now, frame["seq"]))


async def broker_up(http: httpx.AsyncClient) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return (await http.get("/health")).json().get("broker") == "ok"
    return False


async def one_run(database_url: str, args: argparse.Namespace) -> Run:
    redis = RedisServer()
    redis.start()
    servers = [ServerProcess(database_url, redis.url) for _ in range(2)]
    run = Run()
    stop = asyncio.Event()
    try:
        await asyncio.gather(*(server.wait_ready() for server in servers))
        admin_login = {"email": seed.ADMIN_EMAIL, "password": seed.ADMIN_PASSWORD}
        people = await seed.bulk_users(
            database_url, 2 + 2 * LISTENERS_PER_PROCESS, f"o{uuid.uuid4().hex[:6]}-"
        )
        async with (
            httpx.AsyncClient(base_url=servers[0].base_url, timeout=30) as http0,
            httpx.AsyncClient(base_url=servers[1].base_url, timeout=30) as http1,
        ):
            token = (await http0.post("/api/auth/login", json=admin_login)).json()["token"]
            admin = {"Authorization": f"Bearer {token}"}
            slug = f"outage-{uuid.uuid4().hex[:8]}"
            space = {"slug": slug, "title": "Outage", "kind": "general", "moderation": "post"}
            (
                await http0.post("/api/spaces", json={**space, "visibility": "public"}, headers=admin)
            ).raise_for_status()
            thread = (
                await http0.post(
                    f"/api/spaces/{slug}/threads", json={"title": "t", "body": "b"}, headers=admin
                )
            ).json()
            topic = f"thread:{thread['id']}"
            sockets = []
            for i, (_, tok) in enumerate(people):
                server = servers[i % 2]
                ws = await connect(server.ws_url, additional_headers={"Authorization": f"Bearer {tok}"})
                sockets.append(ws)
            senders, listeners = sockets[:2], sockets[2:]
            for ws in listeners:
                await ws.send(json.dumps({"op": "subscribe", "topic": topic}))
            tasks = [asyncio.create_task(listen(ws, i, run, stop)) for i, ws in enumerate(listeners)]
            drains = [asyncio.create_task(drain(ws, stop)) for ws in senders]
            await asyncio.sleep(1.0)

            period = 1.0 / args.rate
            start = time.monotonic()
            total = args.before + args.outage + args.after
            n = 0
            watching: asyncio.Task[None] | None = None
            while (elapsed := time.monotonic() - start) < total:
                if not run.killed and elapsed >= args.before:
                    redis.kill()
                    run.killed = time.monotonic_ns()
                if run.killed and not run.back and elapsed >= args.before + args.outage:
                    await asyncio.to_thread(redis.start)
                    run.back = time.monotonic_ns()
                    watching = asyncio.create_task(watch_broker(run, [http0, http1]))
                n += 1
                run.sent[n] = time.monotonic_ns()
                body = {"op": "send", "topic": topic, "body": f"OUTAGE:{n}:x", "client_id": f"o-{n}"}
                await senders[n % args.writers].send(json.dumps(body))
                await asyncio.sleep(max(0.0, start + n * period - time.monotonic()))
            for _ in range(int(DRAIN_SECONDS / 0.1)):
                if all(len(h) >= n for h in run.heard.values()):
                    break
                await asyncio.sleep(0.1)
            stop.set()
            await asyncio.gather(*tasks, *drains)
            if watching is not None:
                with contextlib.suppress(TimeoutError):  # reported as nan: it never came up
                    await asyncio.wait_for(watching, DRAIN_SECONDS)
            for ws in sockets:
                await ws.close()
    finally:
        for server in servers:
            server.stop()
            if server.proc.stderr is not None:
                # Each process should see the broker fail once (the outage) and come back once.
                run.failures += server.proc.stderr.read().decode().count("the broker failed")
        redis.stop()
    return run


async def drain(ws: ClientConnection, stop: asyncio.Event) -> None:
    """Read (and drop) what a sender's socket is told: its acks."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.5)


async def watch_broker(run: Run, clients: list[httpx.AsyncClient]) -> None:
    while True:
        if all([await broker_up(http) for http in clients]):
            run.broker_up = time.monotonic_ns()
            return
        await asyncio.sleep(0.02)


def report(run: Run) -> dict[str, float | bool]:
    ms = 1e-6
    latencies: dict[str, list[float]] = {"before": [], "outage": [], "first second": [], "after": []}
    exact = True
    backlog_in = 0
    for heard in run.heard.values():
        numbers = [number for number, _, _ in heard]
        seqs = [seq for _, _, seq in heard]
        exact = (
            exact
            and sorted(numbers) == list(run.sent)
            and seqs == sorted(set(seqs))
            and len(seqs) == len(set(seqs))
        )
        for number, received, _ in heard:
            sent = run.sent[number]
            latency = (received - sent) * ms
            if sent < run.killed:
                latencies["before"].append(latency)
            elif sent < run.back:
                latencies["outage"].append(latency)
                backlog_in = max(backlog_in, received - run.back)
            else:
                if sent < run.back + 1_000_000_000:
                    latencies["first second"].append(latency)
                if run.broker_up and sent >= run.broker_up:
                    latencies["after"].append(latency)
    out: dict[str, float | bool] = {
        "broker up (s)": (run.broker_up - run.back) / 1e9 if run.broker_up else float("nan"),
        "backlog in (s)": backlog_in / 1e9,
        "exactly once, in order": exact,
        "broker failures seen": float(run.failures),
    }
    for phase, values in latencies.items():
        out[f"p50 {phase} (ms)"] = pct(values, 0.5)
        out[f"p99 {phase} (ms)"] = pct(values, 0.99)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=20.0, help="posts per second, both senders together")
    parser.add_argument("--before", type=float, default=8.0)
    parser.add_argument("--outage", type=float, default=2.0)
    parser.add_argument("--after", type=float, default=8.0)
    parser.add_argument(
        "--writers",
        type=int,
        choices=[1, 2],
        default=2,
        help="processes the posts go to: with 1, the listeners of the other process hear "
        "them only through Redis (or, while it is down, the log read every second)",
    )
    args = parser.parse_args()
    # Every client is on 127.0.0.1 and posts faster than a person: lift the limits.
    os.environ["FORUM_RATE_LIMIT_PER_MINUTE"] = "1000000"
    os.environ["FORUM_WS_SEND_PER_10S"] = "100000"

    with tempfile.TemporaryDirectory() as tmp:
        name = f"forum_outage_{uuid.uuid4().hex[:8]}"
        if args.database == "postgresql":
            database_url = f"{PG_SERVER}/{name}"
            await admin_sql(f'CREATE DATABASE "{name}"')
        else:
            database_url = f"sqlite+aiosqlite:///{tmp}/forum.db"
        try:
            env = dict(
                os.environ, FORUM_DATABASE_URL=database_url, FORUM_SECRET_KEY="bench-secret-key-long-enough"
            )
            seed.prepare_database(env)
            results = []
            for i in range(args.runs):
                result = report(await one_run(database_url, args))
                results.append(result)
                print(f"run {i + 1}: " + ", ".join(f"{k} {fmt(v)}" for k, v in result.items()), flush=True)
            print(
                f"\nmedian of {args.runs} ({args.database}, {args.rate:g} posts/s to {args.writers} "
                f"process(es), Redis down {args.outage:g} s):"
            )
            for key in results[0]:
                values = [r[key] for r in results]
                if isinstance(values[0], bool):
                    print(f"  {key}: {all(values)}")
                else:
                    print(f"  {key}: {fmt(statistics.median(values))}")
        finally:
            if args.database == "postgresql":
                await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fmt(value: float | bool) -> str:
    return str(value) if isinstance(value, bool) else f"{value:.2f}"


async def admin_sql(sql: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
