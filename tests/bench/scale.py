"""The scale benchmark: the hot reads at a million posts, beside the same reads at ten thousand.

    .venv/bin/python -m tests.bench.scale                       # both databases, 1 M and 10 k posts, writes docs
    .venv/bin/python -m tests.bench.scale --backends sqlite --posts 100000 --threads 1000 --no-write
    .venv/bin/python -m tests.bench.scale --backends sqlite --only queue --no-write   # some lines only
    .venv/bin/python -m tests.bench.scale --help

For each database and each size (the large one, default 1,000,000 posts in 10,000
threads; the small baseline, default 10,000 posts in 500 threads, same seed):

1. The data: `forum generate` (forum.demo.generate) into a SQLite file
   `<datadir>/scale-<posts>-<threads>-s<seed>.db` or a PostgreSQL database
   `forum_scale_<posts>_<threads>_s<seed>`,
   made once and reused when it exists (`--regenerate` makes it again); the time the
   generation took is reported when it ran. The migrations are applied to it first (a
   database generated before a new index gets the index).
2. The app in this process (`create_app`, rate limits lifted), read through an in-process
   ASGI client: no network, one request at a time, so each figure is the service's own time
   for that request (routing, auth, queries, encoding) on this machine.
3. For each reader (anonymous, a signed-in observer, a global moderator, and for the
   moderators' lists a focal point who moderates some spaces), `--requests` requests of
   each kind after a short warm-up, the two sizes interleaved request by request (the
   machine's other load then weighs on both alike): a thread page (the first, one in the middle
   by cursor, the last) of the longest thread and of a thread of median length, the
   space's thread list (the first page and a cursor half way down), the moderation queue
   and the audit log (the first page and a deep cursor; moderators only), and
   `GET /api/spaces`. p50 and p99 of each, and the ratio of the large database's p99 to the
   small one's.
4. The plan of every SELECT each request sent, captured from the engine and explained on
   the same database (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN (ANALYZE, BUFFERS)),
   with full scans and sorts of the big tables flagged (tests/plans.py). All plans go to
   `--plans` (a text file); the flagged ones into the summary.

The results replace the block between the `bench-scale:results` markers of
docs/benchmarks.md (`--no-write` only prints).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from litestar.testing import AsyncTestClient
from sqlalchemy import text

from forum.accounts.models import User
from forum.accounts.services import issue_token
from forum.app import create_app
from forum.demo.generate import generate
from forum.lib.db import create_engine, make_sessionmaker
from forum.lib.migrate import upgrade
from forum.lib.pagination import encode_cursor
from forum.settings import Settings
from tests.bench.run import ROOT, git_head, machine
from tests.plans import (
    Captured,
    capture_selects,
    explain_postgres,
    explain_sqlite,
    postgres_problems,
    sqlite_path,
    sqlite_problems,
)

DOCS = ROOT / "docs" / "benchmarks.md"
MARK_START = "<!-- bench-scale:results:start -->"
MARK_END = "<!-- bench-scale:results:end -->"
PG_BASE = "postgresql+asyncpg://postgres@127.0.0.1:5432"
GOAL_MS = 20.0
READERS = ("anonymous", "observer", "moderator")


@dataclass
class Request:
    name: str
    path: str
    params: dict[str, str]
    readers: tuple[str, ...] = READERS
    # The audit log's first page walks the table by id, newest first, under a LIMIT.
    ordered_walks: frozenset[str] = frozenset()
    # The queue sorts what waits (pending posts, open flags): the moderators' backlog.
    bounded_sorts: bool = False


@dataclass
class Measured:
    backend: str
    size: int
    request: str
    reader: str
    latencies_ms: list[float] = field(default_factory=list)
    # CPU time of this process per request (every thread: the app's, and SQLite's work
    # with it): what the request cost, without the time spent waiting for a core while
    # the machine's other processes ran. PostgreSQL's own work is not in it.
    cpu_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def percentile(self, q: float, *, cpu: bool = False) -> float | None:
        values = self.cpu_ms if cpu else self.latencies_ms
        if not values:
            return None
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Plan:
    backend: str
    request: str
    reader: str
    sql: str
    steps: list[str]
    problems: list[str]


# --- the data -----------------------------------------------------------------------------------


async def _admin_pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _pg_exists(name: str) -> bool:
    import asyncpg

    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


def _remove_sqlite(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def ensure_database(backend: str, posts: int, threads: int, opts) -> tuple[str, float | None]:
    """The database of this size and seed, generated unless it exists; (url, seconds spent generating)."""
    tag = f"{posts}-{threads}-s{opts.seed}"
    if backend == "sqlite":
        path = Path(opts.datadir) / f"scale-{tag}.db"
        url = f"sqlite+aiosqlite:///{path}"
        fresh = opts.regenerate or not path.exists()
        if fresh:
            _remove_sqlite(path)
    else:
        name = f"forum_scale_{tag.replace('-', '_')}"
        url = f"{PG_BASE}/{name}"
        fresh = opts.regenerate or not await _pg_exists(name)
        if fresh:
            await _admin_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await _admin_pg(f'CREATE DATABASE "{name}"')
    await asyncio.to_thread(upgrade, url)
    if not fresh:
        return url, None
    print(f"   generating {posts:,} posts in {threads:,} threads on {backend}...", flush=True)
    started = time.monotonic()
    try:
        await generate(url, posts=posts, threads=threads, seed=opts.seed)
    except BaseException:
        # A half-made database must not be reused as if complete.
        if backend == "sqlite":
            _remove_sqlite(Path(sqlite_path(url)))
        else:
            await _admin_pg(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')
        raise
    return url, time.monotonic() - started


# --- what to read -------------------------------------------------------------------------------


async def plan_requests(url: str, settings: Settings) -> tuple[list[Request], dict[str, dict[str, str]]]:
    """The requests to measure on this database and the readers' headers."""
    engine = create_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():

            async def rows(sql: str, **params):
                return (await session.execute(text(sql), params)).all()

            public = (
                "SELECT t.id, t.post_count FROM threads t JOIN spaces s ON s.id = t.space_id"
                " WHERE s.visibility = 'public' AND t.status = 'published'"
            )
            (longest, longest_count) = (await rows(public + " ORDER BY t.post_count DESC, t.id LIMIT 1"))[0]
            (n_public,) = (await rows(f"SELECT count(*) FROM ({public}) x"))[0]
            (typical, typical_count) = (
                await rows(public + " ORDER BY t.post_count, t.id LIMIT 1 OFFSET :o", o=n_public // 2)
            )[0]
            (space_id, slug, n_threads) = (
                await rows(
                    "SELECT s.id, s.slug, count(*) FROM spaces s JOIN threads t ON t.space_id = s.id"
                    " WHERE s.visibility = 'public' GROUP BY s.id, s.slug ORDER BY count(*) DESC LIMIT 1"
                )
            )[0]
            (pinned, last_post_at, mid_id) = (
                await rows(
                    "SELECT pinned, last_post_at, id FROM threads WHERE space_id = :s AND status = 'published'"
                    " ORDER BY pinned DESC, last_post_at DESC, id DESC LIMIT 1 OFFSET :o",
                    s=space_id,
                    o=n_threads // 2,
                )
            )[0]
            if isinstance(last_post_at, str):  # SQLite through text(): the stored text
                last_post_at = dt.datetime.fromisoformat(last_post_at).replace(tzinfo=dt.UTC)
            (audit_count, audit_max) = (await rows("SELECT count(*), max(id) FROM audit_log"))[0]
            (deep_audit,) = (
                await rows(
                    "SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET :o", o=audit_count * 9 // 10
                )
            )[0]
            readers: dict[str, dict[str, str]] = {"anonymous": {}}
            for reader, who in (
                ("observer", "SELECT id FROM users WHERE role = 'observer' ORDER BY id LIMIT 1"),
                ("moderator", "SELECT id FROM users WHERE role = 'moderator' ORDER BY id LIMIT 1"),
                # A focal point who moderates some spaces: the queue and the log filtered to them.
                (
                    "space moderator",
                    "SELECT u.id FROM users u JOIN space_moderators m ON m.user_id = u.id"
                    " WHERE u.role = 'focal_point' ORDER BY u.id LIMIT 1",
                ),
            ):
                user = await session.scalar(text(who))
                token = await issue_token(session, await session.get(User, user), 24 * 3600)
                readers[reader] = {"Authorization": f"Bearer {token}"}
    finally:
        await engine.dispose()
    del audit_max
    thread_list_deep = encode_cursor([int(bool(pinned)), last_post_at.isoformat(), mid_id])
    mods = ("moderator", "space moderator")
    requests = [
        Request("long thread, first page", f"/api/threads/{longest}/posts", {}),
        Request("long thread, middle page", f"/api/threads/{longest}/posts", {"after": str(longest_count // 2)}),
        Request("long thread, last page", f"/api/threads/{longest}/posts", {"after": str(max(0, longest_count - 50))}),
        Request("typical thread, first page", f"/api/threads/{typical}/posts", {}),
        Request("typical thread, middle page", f"/api/threads/{typical}/posts", {"after": str(typical_count // 2)}),
        Request("typical thread, last page", f"/api/threads/{typical}/posts", {"after": str(max(0, typical_count - 50))}),
        Request("thread list, first page", f"/api/spaces/{slug}/threads", {}),
        Request("thread list, half way", f"/api/spaces/{slug}/threads", {"cursor": thread_list_deep}),
        Request("moderation queue, first page", "/api/moderation/queue", {}, mods, bounded_sorts=True),
        Request("moderation queue, last page", "/api/moderation/queue", {"cursor": "QUEUE_DEEP"}, mods, bounded_sorts=True),
        Request("audit log, first page", "/api/moderation/log", {}, mods, frozenset({"audit_log"})),
        Request("audit log, 90 % down", "/api/moderation/log", {"cursor": encode_cursor([deep_audit])}, mods),
        Request("spaces", "/api/spaces", {}),
    ]  # fmt: skip
    return requests, readers


async def resolve_cursors(
    client: AsyncTestClient, requests: list[Request], readers: dict[str, dict[str, str]]
) -> None:
    """Cursors found by reading: the queue's last page (as the global moderator)."""
    deep = await _queue_deep_cursor(client, readers["moderator"])
    for req in requests:
        if req.params.get("cursor") == "QUEUE_DEEP":
            req.params = {"cursor": deep} if deep else {}


async def _queue_deep_cursor(client: AsyncTestClient, headers: dict[str, str]) -> str | None:
    """The cursor of the queue's last page, found by walking it (in a queue of one page,
    the cursor past its first few items, so that a cursor is read all the same)."""
    cursor, last = None, None
    while True:
        params = {"limit": "100"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/moderation/queue", params=params, headers=headers)).json()
        if page["next"] is None:
            break
        last, cursor = cursor, page["next"]
    if last is None:
        page = (await client.get("/api/moderation/queue", params={"limit": "3"}, headers=headers)).json()
        last = page["next"]
    return last


# --- measuring ----------------------------------------------------------------------------------


def bench_settings(url: str) -> Settings:
    """The app's settings for reading `url` at full speed: rate limits lifted."""
    return replace(
        Settings(),
        database_url=url,
        secret_key="scale-bench-secret-key-long-enough",
        rate_limit_per_minute=10**9,
        rate_limit_address_per_minute=10**9,
        log_level="WARNING",
    )


async def measure(backend: str, urls: dict[int, str], opts) -> tuple[list[Measured], list[Plan]]:
    """Every request at every size, the sizes interleaved request by request: whatever else
    the machine does at a moment slows both alike, so the ratio compares like with like.
    Plans are captured at the largest size."""
    largest = max(urls)
    results: list[Measured] = []
    plans: list[Plan] = []
    async with contextlib.AsyncExitStack() as stack:
        setups = {}
        for size, url in sorted(urls.items()):
            settings = bench_settings(url)
            requests, readers = await plan_requests(url, settings)
            if opts.only:
                requests = [req for req in requests if opts.only in req.name]
            client = await stack.enter_async_context(
                AsyncTestClient(app=create_app(settings), base_url="http://bench.local")
            )
            await resolve_cursors(client, requests, readers)
            setups[size] = (client, requests, readers)
        names = [req.name for req in setups[largest][1]]
        for i, name in enumerate(names):
            for reader in setups[largest][1][i].readers:
                measured = {}
                for size, (client, requests, readers) in setups.items():
                    req = requests[i]
                    with capture_selects() as captured:
                        resp = await client.get(req.path, params=req.params, headers=readers[reader])
                    if resp.status_code != 200:
                        raise RuntimeError(f"{name} as {reader}: {resp.status_code} {resp.text[:300]}")
                    if size == largest:
                        plans += await _explain(backend, urls[size], req, reader, captured)
                    for _ in range(opts.warmup):
                        await client.get(req.path, params=req.params, headers=readers[reader])
                    measured[size] = Measured(backend, size, name, reader)
                for _ in range(opts.requests):
                    for size, (client, requests, readers) in setups.items():
                        req = requests[i]
                        t0, c0 = time.perf_counter(), time.process_time()
                        resp = await client.get(req.path, params=req.params, headers=readers[reader])
                        measured[size].latencies_ms.append((time.perf_counter() - t0) * 1000)
                        measured[size].cpu_ms.append((time.process_time() - c0) * 1000)
                        measured[size].errors += resp.status_code != 200
                results += measured.values()
                line = "  ".join(
                    f"{size:>9,}: p50 {m.percentile(0.5):6.2f} p99 {m.percentile(0.99):6.2f} ms"
                    for size, m in measured.items()
                )
                print(f"   {name:30} {reader:15} {line}", flush=True)
    return results, plans


async def _explain(backend: str, url: str, req: Request, reader: str, captured: list[Captured]) -> list[Plan]:
    if backend == "sqlite":
        explained = explain_sqlite(sqlite_path(url), captured)
        return [
            Plan(
                backend,
                req.name,
                reader,
                s.sql,
                steps,
                sqlite_problems(
                    steps, s.sql, ordered_walks=req.ordered_walks, bounded_sorts=req.bounded_sorts
                ),
            )
            for s, steps in explained
        ]
    explained = await explain_postgres(url, captured)
    return [Plan(backend, req.name, reader, s.sql, steps, postgres_problems(steps)) for s, steps in explained]


# --- the report ---------------------------------------------------------------------------------


def fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def report(
    results: list[Measured],
    plans: list[Plan],
    generated: dict[tuple[str, int], float],
    opts,
    started,
    elapsed,
) -> str:
    by = {(m.backend, m.size, m.request, m.reader): m for m in results}
    lines = []
    for backend in opts.backends:
        big = [m for m in results if m.backend == backend and m.size == opts.posts]
        if not big:
            continue
        lines.append(
            f"\n**{backend}**, {opts.posts:,} posts in {opts.threads:,} threads (baseline: "
            f"{opts.small_posts:,} in {opts.small_threads:,}); milliseconds per request:\n"
        )
        lines.append(
            "| request | reader | p50 | p99 | baseline p50 / p99 | ratio p50 / p99 | CPU p50 / p99 "
            "| baseline CPU p99 | p99 < 20 ms |"
        )
        lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for m in big:
            small = by.get((backend, opts.small_posts, m.request, m.reader))
            p50, p99 = m.percentile(0.5) or 0.0, m.percentile(0.99) or 0.0
            sp50 = small.percentile(0.5) if small else None
            sp99 = small.percentile(0.99) if small else None
            ratio = f"{p50 / sp50:.2f} / {p99 / sp99:.2f}" if sp50 and sp99 else "–"
            cpu = f"{fmt(m.percentile(0.5, cpu=True))} / {fmt(m.percentile(0.99, cpu=True))}"
            scpu = fmt(small.percentile(0.99, cpu=True)) if small else "–"
            ok = "yes" if p99 < GOAL_MS else "no"
            lines.append(
                f"| {m.request} | {m.reader} | {fmt(p50)} | {fmt(p99)} | {fmt(sp50)} / {fmt(sp99)} | {ratio} "
                f"| {cpu} | {scpu} | {ok} |"
            )
        flagged = [p for p in plans if p.backend == backend and p.problems]
        seen: set[tuple[str, str]] = set()
        lines.append("")
        if not flagged:
            lines.append(
                f"Plans ({backend}, {opts.posts:,} posts): no full scan or sort of a big table in any of them."
            )
        for p in flagged:
            for problem in p.problems:
                if (p.request, problem) in seen:
                    continue
                seen.add((p.request, problem))
                lines.append(f"- plan flag ({backend}), {p.request} as {p.reader}: `{problem}`")
    gen = "; ".join(f"{b} {n:,} posts in {s / 60:.1f} min" for (b, n), s in sorted(generated.items()))
    load = os.getloadavg()
    mach = machine()
    return (
        f"Measured {started:%Y-%m-%d %H:%M} UTC in {elapsed / 60:.1f} minutes with\n"
        f"    {opts.command}\n"
        f"Code: commit {git_head()}. Machine: {mach['cpus']} CPUs ({mach['cpu']}), {mach['memory']}, "
        f"Python {mach['python']}. {opts.requests} requests per line, one at a time, in-process, after "
        f"{opts.warmup} of warm-up. Generation in this run: {gen or 'none (databases reused)'}. "
        f"Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min; "
        f"above {mach['cpus']} other processes were waiting for the cores, and the p99 shows it).\n"
        + "\n".join(lines)
        + "\n"
    )


def write_plans(path: Path, plans: list[Plan]) -> None:
    with path.open("w") as out:
        for p in plans:
            out.write(f"### {p.backend} | {p.request} | {p.reader}\n{p.sql}\n")
            out.writelines(f"    {step}\n" for step in p.steps)
            out.writelines(f"  !! {problem}\n" for problem in p.problems)
            out.write("\n")


def write_docs(block: str) -> None:
    content = DOCS.read_text()
    if MARK_START not in content:
        content += f"\n## Scale: the hot reads at a million posts\n\n{MARK_START}\n{MARK_END}\n"
    head, _, rest = content.partition(MARK_START)
    _, _, tail = rest.partition(MARK_END)
    DOCS.write_text(f"{head}{MARK_START}\n{block}{MARK_END}{tail}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Scale benchmark: hot reads at 1 M posts beside 10 k.")
    p.add_argument("--backends", default="sqlite,postgresql", help="of sqlite, postgresql")
    p.add_argument("--posts", type=int, default=1_000_000)
    p.add_argument("--threads", type=int, default=10_000)
    p.add_argument("--small-posts", type=int, default=10_000, help="the baseline's size")
    p.add_argument("--small-threads", type=int, default=500, help="enough for full pages of a thread list")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--requests", type=int, default=200, help="measured requests per line")
    p.add_argument("--warmup", type=int, default=5, help="requests before measuring")
    p.add_argument(
        "--datadir", default=os.path.join(tempfile.gettempdir(), "forum-scale"), help="SQLite files"
    )
    p.add_argument("--regenerate", action="store_true", help="generate the databases again")
    p.add_argument("--plans", default=None, help="write every plan to this file")
    p.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    p.add_argument(
        "--only", default=None, help="measure only the lines whose name holds this text (e.g. queue)"
    )
    opts = p.parse_args(argv)
    opts.command = "python -m tests.bench.scale " + " ".join(argv if argv is not None else sys.argv[1:])
    opts.backends = [b.strip() for b in opts.backends.split(",") if b.strip()]
    return opts


async def amain(opts: argparse.Namespace) -> int:
    started = dt.datetime.now(dt.UTC)
    t0 = time.monotonic()
    results: list[Measured] = []
    plans: list[Plan] = []
    generated: dict[tuple[str, int], float] = {}
    for backend in opts.backends:
        urls = {}
        for posts, threads in ((opts.small_posts, opts.small_threads), (opts.posts, opts.threads)):
            print(f"== {backend}, {posts:,} posts", flush=True)
            urls[posts], seconds = await ensure_database(backend, posts, threads, opts)
            if seconds is not None:
                generated[(backend, posts)] = seconds
                print(f"   generated in {seconds:.0f} s", flush=True)
        measured, explained = await measure(backend, urls, opts)
        results += measured
        plans += explained
    block = report(results, plans, generated, opts, started, time.monotonic() - t0)
    print(block)
    if opts.plans:
        write_plans(Path(opts.plans), plans)
        print(f"plans written to {opts.plans}")
    if not opts.no_write:
        write_docs(block)
        print(f"written to {DOCS}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(amain(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
