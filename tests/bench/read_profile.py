"""Where one read's time goes: the app called in-process, under cProfile, no HTTP client.

    .venv/bin/python -m tests.bench.read_profile                      # SQLite, a page of 50 posts
    .venv/bin/python -m tests.bench.read_profile --path me --top 30
    .venv/bin/python -m tests.bench.read_profile --database-url postgresql+asyncpg://...

The database is made fresh (migrated, one admin made with the CLI), seeded as
`tests.bench.http` seeds it (a public space, a thread of 50 posts by ten authors), then the
ASGI app is called directly REQUESTS times with one raw HTTP scope per request (Bearer
token of a signed-in observer, or none with `--anonymous`): no socket, no client, so what
the profile shows is the server's own work. Prints the wall time and Python function calls
per request, the statements one request sends, and the top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import secrets
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from forum.app import create_app
from forum.settings import Settings
from tests.bench import seed
from tests.bench.http import AUTHORS, PAGE_POSTS
from tests.queries import count_app_queries

PATHS = {
    "page": "/api/threads/{page_thread}/posts",
    "me": "/api/me",
    "threads": "/api/spaces/bench-http/threads",
}
QUERIES = {"page": b"after=0", "me": b"", "threads": b""}


async def seed_app(app: Any, database_url: str) -> tuple[str, int]:
    """The reader's token and the id of the thread holding a page of posts."""
    people = await seed.bulk_users(database_url, AUTHORS, "author")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
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
        opened = await http.post(
            "/api/spaces/bench-http/threads",
            json={"title": "A page", "body": "The first post."},
            headers=admin,
        )
        opened.raise_for_status()
        thread_id = opened.json()["id"]
        for i in range(PAGE_POSTS - 1):
            _, token = people[i % AUTHORS]
            (
                await http.post(
                    f"/api/threads/{thread_id}/posts",
                    json={"body": f"Post {i} with some **Markdown** and a [link](https://example.org)."},
                    headers={"Authorization": f"Bearer {token}"},
                )
            ).raise_for_status()
    return people[0][1], thread_id


def scope_for(path: str, query: bytes, token: str | None) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def call(app: Any, scope: dict[str, Any]) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(dict(scope, state={}), receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


async def amain(opts: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="forum-read-profile-") as tmp:
        url = opts.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'forum.db'}"
        env = seed.server_env(url)
        await asyncio.to_thread(seed.prepare_database, env)
        settings = replace(
            Settings.from_env(),
            database_url=url,
            secret_key=secrets.token_urlsafe(32),
            redis_url=opts.redis_url,
            rate_limit_per_minute=10**9,
            rate_limit_address_per_minute=10**9,
            log_level="WARNING",
        )
        app = create_app(settings)
        async with app.lifespan():
            token, thread_id = await seed_app(app, url)
            path = PATHS[opts.path].format(page_thread=thread_id)
            scope = scope_for(path, QUERIES[opts.path], None if opts.anonymous else token)
            for _ in range(50):  # warm: caches, statement compilation, the remembered viewer
                status, body = await call(app, scope)
                assert status == 200, (status, body[:300])
            with count_app_queries(app) as queries:
                await call(app, scope)
            print(f"{opts.path}: {len(body)} bytes; statements per request: {queries.count()}")
            print("  " + ", ".join(queries.labels()))
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(opts.requests):
                await call(app, scope)
            plain = (time.perf_counter() - t0) / opts.requests
            cpu = (time.process_time() - c0) / opts.requests
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(opts.requests):
                await call(app, scope)
            profile.disable()
            stats = pstats.Stats(profile)
            calls = stats.total_calls / opts.requests  # type: ignore[attr-defined]
            print(
                f"  without the profiler: {plain * 1e6:,.0f} µs per request, {cpu * 1e6:,.0f} µs of the"
                f" process's CPU; {calls:,.0f} Python calls each"
            )
            if opts.dump:
                profile.dump_stats(opts.dump)
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(opts.sort).print_stats(opts.top)
            print(out.getvalue())
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--path", choices=sorted(PATHS), default="page")
    p.add_argument("--anonymous", action="store_true", help="no token")
    p.add_argument("--requests", type=int, default=500)
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--sort", default="cumulative")
    p.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    p.add_argument("--redis-url", default=None)
    p.add_argument("--dump", default=None, help="write the raw profile to this file")
    return asyncio.run(amain(p.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
