"""The HTTP benchmark's baseline: the least a server on this stack must do for the same work.

A minimal Litestar app on uvicorn (the forum's server and options), talking to the database
through the bare driver (asyncpg, or aiosqlite in WAL mode), with two endpoints:

- `POST /threads/{id}/posts` numbers and stores a post in one transaction: the thread's
  counter bumped (`UPDATE ... RETURNING`), the post inserted, the transaction committed;
- `GET /threads/{id}/posts` reads a page of 50 posts with their authors' names.

No authentication, no rules, no events: what the forum does beyond this is its own cost.
Run by `tests.bench.http` as `python -m tests.bench.http_baseline --database-url URL --port N`.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec
import uvicorn
from litestar import Litestar, get, post

PAGE = 50

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS base_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS base_threads (id INTEGER PRIMARY KEY, post_count INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS base_posts (id {serial} PRIMARY KEY, thread_id INTEGER NOT NULL, "
    "number INTEGER NOT NULL, author_id INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL, "
    "UNIQUE (thread_id, number))",
]


class PostIn(msgspec.Struct, forbid_unknown_fields=True):
    body: str
    client_id: str | None = None


class PostOut(msgspec.Struct):
    id: int
    number: int
    body: str
    author: str
    created_at: str


class Store:
    """The two statements per request, on PostgreSQL or on SQLite."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def add_post(self, thread_id: int, body: str) -> PostOut: ...
    async def page(self, thread_id: int) -> list[PostOut]: ...


class PgStore(Store):
    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+asyncpg://", "postgresql://")

    async def start(self) -> None:
        import asyncpg

        self.pool = await asyncpg.create_pool(self.url, min_size=4, max_size=16)
        async with self.pool.acquire() as conn:
            for statement in SCHEMA:
                await conn.execute(statement.format(serial="BIGSERIAL"))
            await conn.execute("INSERT INTO base_users VALUES (1, 'Bench') ON CONFLICT DO NOTHING")
            await conn.execute("INSERT INTO base_threads VALUES (1, 0), (2, 0) ON CONFLICT DO NOTHING")

    async def stop(self) -> None:
        await self.pool.close()

    async def add_post(self, thread_id: int, body: str) -> PostOut:
        now = datetime.now(UTC).isoformat()
        async with self.pool.acquire() as conn, conn.transaction():
            number = await conn.fetchval(
                "UPDATE base_threads SET post_count = post_count + 1 WHERE id = $1 RETURNING post_count",
                thread_id,
            )
            post_id = await conn.fetchval(
                "INSERT INTO base_posts (thread_id, number, author_id, body, created_at) "
                "VALUES ($1, $2, 1, $3, $4) RETURNING id",
                thread_id,
                number,
                body,
                now,
            )
        return PostOut(post_id, number, body, "Bench", now)

    async def page(self, thread_id: int) -> list[PostOut]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT p.id, p.number, p.body, u.name, p.created_at FROM base_posts p "
                "JOIN base_users u ON u.id = p.author_id WHERE p.thread_id = $1 ORDER BY p.number LIMIT $2",
                thread_id,
                PAGE,
            )
        return [PostOut(*row) for row in rows]


class SqliteStore(Store):
    def __init__(self, url: str) -> None:
        self.path = url.split(":///", 1)[1]
        self.lock = asyncio.Lock()  # one writer at a time, as SQLite allows

    async def start(self) -> None:
        import aiosqlite

        self.writer = await aiosqlite.connect(self.path, isolation_level=None)
        self.readers = asyncio.Queue()
        await self.writer.execute("PRAGMA journal_mode=WAL")
        await self.writer.execute("PRAGMA synchronous=NORMAL")
        for statement in SCHEMA:
            await self.writer.execute(statement.format(serial="INTEGER"))
        await self.writer.execute("INSERT OR IGNORE INTO base_users VALUES (1, 'Bench')")
        await self.writer.execute("INSERT OR IGNORE INTO base_threads VALUES (1, 0), (2, 0)")
        for _ in range(4):
            reader = await aiosqlite.connect(self.path, isolation_level=None)
            await self.readers.put(reader)

    async def stop(self) -> None:
        await self.writer.close()
        while not self.readers.empty():
            await (self.readers.get_nowait()).close()

    async def add_post(self, thread_id: int, body: str) -> PostOut:
        now = datetime.now(UTC).isoformat()
        async with self.lock:
            await self.writer.execute("BEGIN IMMEDIATE")
            try:
                cursor = await self.writer.execute(
                    "UPDATE base_threads SET post_count = post_count + 1 WHERE id = ? RETURNING post_count",
                    (thread_id,),
                )
                (number,) = await cursor.fetchone()
                cursor = await self.writer.execute(
                    "INSERT INTO base_posts (thread_id, number, author_id, body, created_at) "
                    "VALUES (?, ?, 1, ?, ?) RETURNING id",
                    (thread_id, number, body, now),
                )
                (post_id,) = await cursor.fetchone()
                await self.writer.execute("COMMIT")
            except BaseException:
                await self.writer.execute("ROLLBACK")
                raise
        return PostOut(post_id, number, body, "Bench", now)

    async def page(self, thread_id: int) -> list[PostOut]:
        reader = await self.readers.get()
        try:
            cursor = await reader.execute(
                "SELECT p.id, p.number, p.body, u.name, p.created_at FROM base_posts p "
                "JOIN base_users u ON u.id = p.author_id WHERE p.thread_id = ? ORDER BY p.number LIMIT ?",
                (thread_id, PAGE),
            )
            rows = await cursor.fetchall()
        finally:
            self.readers.put_nowait(reader)
        return [PostOut(*row) for row in rows]


def create_app(database_url: str) -> Litestar:
    store: Store = (
        PgStore(database_url) if database_url.startswith("postgresql") else SqliteStore(database_url)
    )

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        await store.start()
        try:
            yield
        finally:
            await store.stop()

    @post("/threads/{thread_id:int}/posts", status_code=201)
    async def add_post(thread_id: int, data: PostIn) -> PostOut:
        return await store.add_post(thread_id, data.body)

    @get("/threads/{thread_id:int}/posts")
    async def page(thread_id: int) -> dict[str, Any]:
        return {"items": await store.page(thread_id), "next": None}

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar([add_post, page, health], lifespan=[lifespan], debug=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    opts = parser.parse_args()
    uvicorn.run(create_app(opts.database_url), host="127.0.0.1", port=opts.port, log_level="warning")


if __name__ == "__main__":
    main()
