"""The HTTP benchmark: the forum's post and page-read paths beside the least this stack can do.

    .venv/bin/python -m tests.bench.http                  # SQLite and PostgreSQL, writes docs/benchmarks.md
    .venv/bin/python -m tests.bench.http --backends sqlite --no-write

For each database, in one run and on the same machine:

1. the baseline (`tests/bench/http_baseline.py`): a minimal Litestar app on uvicorn whose
   `POST` numbers and stores a post in one transaction and whose `GET` reads a page of 50
   posts with their authors, through the bare driver;
2. the forum (`python -m forum serve`, rate limits lifted as in `tests.bench.run`): a signed-in
   observer's `POST /api/threads/{id}/posts` (Bearer token, a fresh `client_id` each) in a
   public space, and `GET /api/threads/{id}/posts?after=0` of a thread holding 50 posts by
   several authors, read as that observer.

Each scenario runs CLIENTS keep-alive connections in a closed loop (each sends its next
request when the last answer arrived) for DURATION seconds, REPEATS times after a warm-up;
the figures are the medians of the repeats: requests per second, and p50 / p99 latency of
every request of the repeats. The clients speak raw HTTP/1.1 over asyncio streams, far
cheaper than the servers they measure, and share the machine's two cores with them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from tests.bench import seed
from tests.bench.run import (
    ROOT,
    Server,
    drop_pg_database,
    free_port,
    fresh_sqlite,
    git_head,
    machine,
    make_pg_database,
    start_forum,
)

DOCS = ROOT / "docs" / "benchmarks.md"
MARK_START = "<!-- bench-http:results:start -->"
MARK_END = "<!-- bench-http:results:end -->"
PAGE_POSTS = 50
AUTHORS = 10
CPU_USERS = ("server", "database", "clients")


@dataclass
class Scenario:
    """One kind of request against one server: what to send, and the measured repeats."""

    server: str
    backend: str
    name: str
    rates: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    # CPU seconds spent during the measured runs, by whom (see `CpuMeter`), and requests done.
    cpu: dict[str, float] = field(default_factory=dict)
    requests: int = 0

    def cpu_per_request_us(self, who: str) -> float | None:
        if not self.requests or who not in self.cpu:
            return None
        return self.cpu[who] / self.requests * 1e6

    @property
    def rate(self) -> float:
        return statistics.median(self.rates) if self.rates else 0.0

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class CpuMeter:
    """CPU time of the server, of PostgreSQL (every `postgres` process) and of the clients
    (this process), read from the kernel's accounting before and after a run: where the
    machine's two cores went, per request. SQLite's work is the server's own."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.me = psutil.Process()

    @staticmethod
    def _seconds(process: psutil.Process) -> float:
        try:
            t = process.cpu_times()
        except psutil.Error:  # a PostgreSQL backend that ended meanwhile
            return 0.0
        return t.user + t.system

    def read(self) -> dict[str, float]:
        database = sum(
            self._seconds(process)
            for process in psutil.process_iter(["name"])
            if process.info["name"] == "postgres"
        )
        return {"server": self.server.cpu(), "database": database, "clients": self._seconds(self.me)}


def request_bytes(method: str, path: str, port: int, token: str | None, body: bytes | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: application/json"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return head + (body or b"")


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def closed_loop(
    port: int,
    make_request,
    clients: int,
    seconds: float,
    scenario: Scenario | None,
    meter: CpuMeter | None = None,
) -> None:
    """CLIENTS connections sending one request after another for SECONDS; record if asked."""
    deadline = time.monotonic() + seconds
    counter = iter(range(10**12))
    done = 0
    latencies: list[float] = []
    errors = 0

    async def one_client() -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < deadline:
                request = make_request(next(counter))
                started = time.perf_counter()
                writer.write(request)
                status = await read_response(reader)
                latencies.append((time.perf_counter() - started) * 1000)
                done += 1
                if status >= 400:
                    errors += 1
        finally:
            writer.close()

    before = meter.read() if meter else {}
    began = time.monotonic()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    elapsed = time.monotonic() - began
    if scenario is not None:
        if meter:
            # Connections still open past the deadline finish their last request inside
            # this window, so `done` counts what the CPU was spent on.
            for who, seconds_used in meter.read().items():
                scenario.cpu[who] = scenario.cpu.get(who, 0.0) + seconds_used - before[who]
            scenario.requests += done
        scenario.rates.append(done / elapsed)
        scenario.latencies_ms.extend(latencies)
        scenario.errors += errors


async def measure(port: int, scenario: Scenario, make_request, opts, meter: CpuMeter) -> Scenario:
    await closed_loop(port, make_request, opts.clients, opts.warmup, None)
    for _ in range(opts.repeats):
        await closed_loop(port, make_request, opts.clients, opts.duration, scenario, meter)
    per_request = {who: scenario.cpu_per_request_us(who) for who in CPU_USERS}
    cpu = "  ".join(f"{who} {'–' if us is None else f'{us:,.0f}'}" for who, us in per_request.items())
    print(
        f"  {scenario.server:9} {scenario.name:5}: {scenario.rate:7.0f}/s  p50 "
        f"{scenario.percentile(0.5):6.1f} ms  p99 {scenario.percentile(0.99):6.1f} ms  errors {scenario.errors}"
        f"  CPU µs per request: {cpu}",
        flush=True,
    )
    return scenario


def post_body(i: int, client_id: bool) -> bytes:
    data: dict[str, str] = {"body": f"Benchmark post {i}: what did the workshop learn about **NMAs**?"}
    if client_id:
        data["client_id"] = f"bench-{os.getpid()}-{i}"
    return json.dumps(data).encode()


async def run_baseline(backend: str, database_url: str, logdir: Path, opts) -> list[Scenario]:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "tests.bench.http_baseline",
        "--database-url",
        database_url,
        "--port",
        str(port),
    ]
    server = Server("baseline", argv, dict(os.environ), port, logdir / f"baseline-{backend}.log")
    try:
        await wait_health(server)
        meter = CpuMeter(server)
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            for i in range(PAGE_POSTS):
                (await http.post("/threads/2/posts", content=post_body(i, False))).raise_for_status()
        page = await measure(
            port,
            Scenario("baseline", backend, "page"),
            lambda _i: request_bytes("GET", "/threads/2/posts", port, None, None),
            opts,
            meter,
        )
        posts = await measure(
            port,
            Scenario("baseline", backend, "post"),
            lambda i: request_bytes("POST", "/threads/1/posts", port, None, post_body(i, False)),
            opts,
            meter,
        )
    finally:
        server.stop()
    return [posts, page]


async def wait_health(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.kind} exited; see {server.log_path}")
        try:
            async with httpx.AsyncClient(timeout=2) as http:
                if (await http.get(f"{server.http_url}/health")).status_code == 200:
                    return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.3)
    raise RuntimeError(f"{server.kind} not ready; see {server.log_path}")


async def seed_forum(base: str, database_url: str) -> tuple[str, int, int]:
    """A public space with two threads: one to post in, one holding a page of 50 posts by
    several authors. Returns (the poster's token, the thread to post in, the page's thread)."""
    people = await seed.bulk_users(database_url, AUTHORS, "author")
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        login = await http.post(
            "/api/auth/login", json={"email": seed.ADMIN_EMAIL, "password": seed.ADMIN_PASSWORD}
        )
        login.raise_for_status()
        admin = {"Authorization": f"Bearer {login.json()['token']}"}
        space = {
            "slug": "bench-http",
            "title": "HTTP benchmark",
            "kind": "general",
            "moderation": "post",
            "visibility": "public",
        }
        (await http.post("/api/spaces", json=space, headers=admin)).raise_for_status()
        threads = []
        for title in ("Where posts go", "A page of posts"):
            opened = await http.post(
                "/api/spaces/bench-http/threads",
                json={"title": title, "body": "The first post."},
                headers=admin,
            )
            opened.raise_for_status()
            threads.append(opened.json()["id"])
        for i in range(PAGE_POSTS - 1):
            _, token = people[i % AUTHORS]
            (
                await http.post(
                    f"/api/threads/{threads[1]}/posts",
                    json={
                        "body": f"Post {i} of the page, with some **Markdown** and a [link](https://example.org)."
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
            ).raise_for_status()
    return people[0][1], threads[0], threads[1]


async def run_forum(backend: str, database_url: str, logdir: Path, opts) -> list[Scenario]:
    env = seed.server_env(database_url)
    await asyncio.to_thread(seed.prepare_database, env)
    stats = Path(opts.profile).with_suffix(f".{backend}.prof") if opts.profile else None
    server = start_forum(database_url, logdir, prelude=profile_prelude(stats) if stats else "")
    results = []
    try:
        await wait_health(server)
        token, post_thread, page_thread = await seed_forum(server.http_url, database_url)
        port = server.port
        meter = CpuMeter(server)
        if stats:
            await asyncio.to_thread(stats.with_suffix(".start").touch)  # the prelude starts measuring
            await asyncio.sleep(0.5)
        if "page" in opts.scenarios:
            results.append(
                await measure(
                    port,
                    Scenario("forum", backend, "page"),
                    lambda _i: request_bytes(
                        "GET", f"/api/threads/{page_thread}/posts?after=0", port, token, None
                    ),
                    opts,
                    meter,
                )
            )
        if "post" in opts.scenarios:
            results.append(
                await measure(
                    port,
                    Scenario("forum", backend, "post"),
                    lambda i: request_bytes(
                        "POST", f"/api/threads/{post_thread}/posts", port, token, post_body(i, True)
                    ),
                    opts,
                    meter,
                )
            )
    finally:
        server.stop()
    if stats and stats.exists():
        print_profile(stats)
    return results


def profile_prelude(stats: Path) -> str:
    """Python run in the forum's process before `forum serve`: cProfile on the event loop's
    thread from the moment the seeding is done (a marker file appears) to its shutdown (SIGTERM)."""
    marker = stats.with_suffix(".start")
    return (
        "import asyncio, cProfile, os\n"
        "import forum.app as _app\n"
        "_p = cProfile.Profile()\n"
        "async def _arm():\n"
        f"    while not os.path.exists({str(marker)!r}):\n"
        "        await asyncio.sleep(0.1)\n"
        "    _p.enable()\n"
        "_create_app = _app.create_app\n"
        "def _create(*a, **k):\n"
        "    app = _create_app(*a, **k)\n"
        "    app.on_startup.append(lambda: asyncio.get_running_loop().create_task(_arm()))\n"
        f"    app.on_shutdown.append(lambda: (_p.disable(), _p.dump_stats({str(stats)!r})))\n"
        "    return app\n"
        "_app.create_app = _create\n"
    )


def print_profile(stats: Path, top: int = 25) -> None:
    import pstats

    print(f"profile of the forum's event loop: {stats}")
    for key in ("tottime", "cumulative"):
        pstats.Stats(str(stats)).sort_stats(key).print_stats(top)


async def run_backend(backend: str, logdir: Path, opts) -> list[Scenario]:
    print(f"== {backend}", flush=True)
    if backend == "sqlite":
        base = f"sqlite+aiosqlite:///{fresh_sqlite(logdir / 'baseline.db')}"
        forum = f"sqlite+aiosqlite:///{fresh_sqlite(logdir / 'forum.db')}"
        return await run_baseline(backend, base, logdir, opts) + await run_forum(backend, forum, logdir, opts)
    names = [await make_pg_database(), await make_pg_database()]
    if None in names:
        return []
    try:
        base, forum = (f"postgresql+asyncpg://postgres@127.0.0.1:5432/{n}" for n in names)
        return await run_baseline(backend, base, logdir, opts) + await run_forum(backend, forum, logdir, opts)
    finally:
        for name in names:
            if name:
                await drop_pg_database(name)


def fmt(v: float | None) -> str:
    return "–" if v is None else (f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms")


def report(results: list[Scenario], opts, started: dt.datetime, elapsed: float) -> str:
    by = {(s.server, s.backend, s.name): s for s in results}
    rows = []
    for backend in opts.backends:
        for name, what in (("post", "a post (POST)"), ("page", "a page of 50 posts (GET)")):
            base, forum = by.get(("baseline", backend, name)), by.get(("forum", backend, name))
            if not base or not forum:
                continue
            ratio = forum.rate / base.rate if base.rate else 0.0
            rows.append(
                f"| {backend} | {what} | {base.rate:,.0f} | {fmt(base.percentile(0.5))} / "
                f"{fmt(base.percentile(0.99))} | {forum.rate:,.0f} | {fmt(forum.percentile(0.5))} / "
                f"{fmt(forum.percentile(0.99))} | **{ratio:.2f}** | {forum.errors + base.errors} |"
            )
    cpu_rows = []
    for backend in opts.backends:
        for name, what in (("post", "a post"), ("page", "a page of 50 posts")):
            cells = []
            for server in ("baseline", "forum"):
                scenario = by.get((server, backend, name))
                figures = [scenario.cpu_per_request_us(who) if scenario else None for who in CPU_USERS]
                cells.append(" / ".join("–" if f is None else f"{f:,.0f}" for f in figures))
            if any(cell.strip("– /") for cell in cells):
                cpu_rows.append(f"| {backend} | {what} | {cells[0]} | {cells[1]} |")
    mach = machine()
    return (
        f"Measured {started:%Y-%m-%d %H:%M} UTC in {elapsed / 60:.1f} minutes with\n"
        f"    {opts.command}\n"
        f"Code: commit {git_head()}. Machine: {mach['cpus']} CPUs ({mach['cpu']}), {mach['memory']}, "
        f"Python {mach['python']}. {opts.clients} keep-alive clients in a closed loop, "
        f"{opts.repeats} runs of {opts.duration:.0f} s per scenario after {opts.warmup:.0f} s of warm-up "
        f"(rates: median of the runs; latencies: over every request of the runs).\n\n"
        "| database | request | baseline req/s | baseline p50 / p99 | forum req/s | forum p50 / p99 "
        "| forum / baseline | errors |\n| --- | --- | ---: | --- | ---: | --- | ---: | ---: |\n"
        + "\n".join(rows)
        + "\n\nCPU per request over the measured runs, in µs, of the server, of PostgreSQL (every `postgres`"
        " process; SQLite works inside the server) and of the benchmark's clients:\n\n"
        "| database | request | baseline: server / database / clients | forum: server / database / clients |\n"
        "| --- | --- | --- | --- |\n" + "\n".join(cpu_rows) + "\n"
    )


def write_docs(block: str) -> None:
    text = DOCS.read_text()
    if MARK_START not in text:
        text += f"\n## HTTP: posts and page reads\n\n{MARK_START}\n{MARK_END}\n"
    head, _, rest = text.partition(MARK_START)
    _, _, tail = rest.partition(MARK_END)
    DOCS.write_text(f"{head}{MARK_START}\n{block}{MARK_END}{tail}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="HTTP benchmark: forum vs a minimal server on the same stack.")
    p.add_argument("--backends", default="sqlite,postgresql", help="of sqlite, postgresql")
    p.add_argument("--clients", type=int, default=16, help="concurrent keep-alive connections")
    p.add_argument("--duration", type=float, default=5.0, help="seconds of each measured run")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per scenario")
    p.add_argument("--repeats", type=int, default=3, help="measured runs per scenario")
    p.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    p.add_argument("--scenarios", default="post,page", help="of the forum's: post, page")
    p.add_argument(
        "--profile",
        metavar="FILE",
        help="cProfile the forum's event loop during its scenarios; stats to FILE.BACKEND.prof, top printed",
    )
    opts = p.parse_args(argv)
    opts.scenarios = {s.strip() for s in opts.scenarios.split(",") if s.strip()}
    opts.command = "python -m tests.bench.http " + " ".join(argv if argv is not None else sys.argv[1:])
    opts.backends = [b.strip() for b in opts.backends.split(",") if b.strip()]
    return opts


async def amain(opts: argparse.Namespace) -> int:
    started = dt.datetime.now(dt.UTC)
    t0 = time.monotonic()
    results: list[Scenario] = []
    with tempfile.TemporaryDirectory(prefix="forum-bench-http-") as tmp:
        logdir = Path(tmp)
        for backend in opts.backends:
            results += await run_backend(backend, logdir, opts)
    block = report(results, opts, started, time.monotonic() - t0)
    print(block)
    if not opts.no_write:
        write_docs(block)
        print(f"written to {DOCS}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(amain(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
