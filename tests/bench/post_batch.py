"""Micro-benchmark of storing thread posts: one post per transaction, or batches of many.

    .venv/bin/python -m tests.bench.post_batch                     # a temporary SQLite file
    .venv/bin/python -m tests.bench.post_batch --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Seeds a fresh database through the migrations (as `tests.bench.send_path` does): a
public space with 10 threads and 30 observers, 10 of whom watch the space. The app's hooks
on new posts are installed as `forum serve` installs them (the watchers' notifications,
read positions, the mail outbox). Then, for each way of writing, it stores posts one
transaction after another, as the websocket's post writer would (`forum.threads.writer`):
`services.create_post`, one post per transaction (the socket's path before the writer, and
HTTP's today), `posting.create_posts` with batches of 1, 10 and 30 posts spread over the
threads, and batches of every size from 1 to 64 in a shuffled order, as a server under a
rising load meets them. It prints the process CPU time per post (the driver's thread
included), which a busy machine disturbs far less than wall time, and the statements and
commits per post.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import replace

from sqlalchemy.ext.asyncio import async_sessionmaker

from forum import attention, mail
from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.lib.db import create_engine, make_sessionmaker
from forum.settings import Settings
from forum.spaces.models import Space
from forum.spaces.viewers import load_viewer
from forum.threads import posting, services
from forum.threads.models import SpaceWatch, WatchLevel
from forum.threads.posting import PostDraft
from forum.threads.schemas import ThreadIn
from forum.threads.services import PostWritten
from tests.bench.send_path import Counts, count_round_trips, temporary_database

THREADS = 10
WRITERS = 30
WATCHERS = 10
# The shuffled sizes of the last way of writing: each size from 1 to MIXED_UP_TO, once.
MIXED_UP_TO = 64
BODY = "A point made in the thread, with **some** Markdown in it and a [link](https://example.org)."


async def seed(settings: Settings) -> tuple[list[int], list[int]]:
    """The space, its threads (opened by an admin) and the observers; their ids."""
    engine = create_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            admin = User(email="admin@bench.example", password_hash="-", display_name="Admin", role="admin")
            people = [
                User(email=f"p{i}@bench.example", password_hash="-", display_name=f"Participant {i}")
                for i in range(WRITERS)
            ]
            space = Space(
                slug="bench-space",
                title="Benchmark space",
                kind="nma",
                moderation="post",
                visibility="public",
                allowed_roles=[],
            )
            session.add_all([admin, *people, space])
            await session.commit()
            session.add_all(
                SpaceWatch(user_id=p.id, space_id=space.id, level=WatchLevel.watching.value)
                for p in people[:WATCHERS]
            )
            await session.commit()
            opener = await load_viewer(session, admin)
            threads = []
            for i in range(THREADS):
                thread, _, _ = await services.open_thread(
                    session, opener, space.slug, ThreadIn(title=f"Thread {i}", body="Opening")
                )
                threads.append(thread.id)
            await session.commit()
            return threads, [p.id for p in people]
    finally:
        await engine.dispose()


async def viewers_of(sessionmaker: async_sessionmaker, user_ids: list[int]) -> list[Viewer]:
    async with sessionmaker() as session:
        return [await load_viewer(session, await session.get(User, uid)) for uid in user_ids]


async def measure(settings: Settings, threads: list[int], user_ids: list[int], posts: int) -> list[str]:
    engine = create_engine(settings)
    counts = Counts()
    count_round_trips(engine, counts)
    sessionmaker = make_sessionmaker(engine)
    viewers = await viewers_of(sessionmaker, user_ids)
    sent = 0

    def draft() -> PostDraft:
        nonlocal sent
        sent += 1
        return PostDraft(viewers[sent % WRITERS], threads[sent % THREADS], f"{BODY} {sent}", f"c-{sent}")

    async def alone() -> None:
        d = draft()
        async with sessionmaker() as session, session.begin():
            written = await services.create_post(
                session, d.viewer, d.thread_id, d.body, client_id=d.client_id
            )
            assert written.created

    async def batch(size: int) -> None:
        drafts = [draft() for _ in range(size)]
        async with sessionmaker() as session, session.begin():
            results = await posting.create_posts(session, drafts, own_transaction=True)
        assert all(isinstance(r, PostWritten) and r.created for r in results), results

    def line(name: str, cpu: float, wall: float, stored: int) -> str:
        return (
            f"{name:36} CPU {cpu / stored * 1e6:6.0f} µs/post, {stored / wall:6.0f} posts/s, "
            f"{counts.statements / stored:5.2f} statements + {counts.commits / stored:4.2f} commits per post"
        )

    async def mixed() -> int:
        """Every batch size up to MIXED_UP_TO once, shuffled; the posts stored."""
        sizes = list(range(1, MIXED_UP_TO + 1))
        random.Random(len(sizes)).shuffle(sizes)
        for size in sizes:
            await batch(size)
        return sum(sizes)

    lines = []
    try:
        for name, size in (
            ("create_post, one per transaction", 1),
            *((f"create_posts, batches of {n}", n) for n in (1, 10, 30)),
        ):
            run = alone if name.startswith("create_post,") else (lambda size=size: batch(size))
            for _ in range(max(1, 200 // size)):  # warm-up: connections, statement caches
                await run()
            counts.statements = counts.commits = 0
            calls = max(1, posts // size)
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(calls):
                await run()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            lines.append(line(name, cpu, wall, calls * size))
        # Not warmed on purpose: the first batch of each size is what a rising load meets.
        counts.statements = counts.commits = 0
        cpu, wall = time.process_time(), time.perf_counter()
        stored = await mixed()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        lines.append(line(f"create_posts, sizes 1-{MIXED_UP_TO} shuffled", cpu, wall, stored))
    finally:
        await engine.dispose()
    return lines


async def main(database_url: str | None, posts: int) -> list[str]:
    async with temporary_database(database_url) as url:
        settings = replace(Settings(), database_url=url, secret_key="bench")
        # The hooks on new posts, as create_app installs them.
        attention.install()
        mail.install(settings)
        threads, user_ids = await seed(settings)
        return await measure(settings, threads, user_ids, posts)


def cli() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL URL: a temporary database is made beside it (default: a temporary SQLite file)",
    )
    parser.add_argument("--posts", type=int, default=1500, help="timed posts per way of writing")
    args = parser.parse_args()
    for line in asyncio.run(main(args.database_url, args.posts)):
        print(line)


if __name__ == "__main__":
    cli()
