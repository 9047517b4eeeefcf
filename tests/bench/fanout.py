"""Micro-benchmark of a post's notification fan-out: what W watchers cost the post.

    .venv/bin/python -m tests.bench.fanout                 # a temporary SQLite file
    .venv/bin/python -m tests.bench.fanout --watchers 0 100 1000 --posts 20

Seeds a fresh SQLite database through the migrations: a public space, a thread, and W
observers who watch it (each a row of thread_users at `watching`). Then it stores N posts
in the thread one after another, each in its own transaction through the threads'
`create_post` (which runs forum.attention's hook: W notifications, W inbox events), and
prints the median wall time per post and the notifications written, for each W.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, insert, select

from forum import attention
from forum.accounts.models import User
from forum.attention.models import Notification
from forum.lib.db import create_engine, make_sessionmaker
from forum.lib.migrate import upgrade
from forum.settings import Settings
from forum.spaces.models import Space
from forum.spaces.viewers import load_viewer
from forum.threads import services
from forum.threads.models import Thread, ThreadUser


async def run(watchers: int, posts: int, url: str) -> tuple[float, int]:
    settings = replace(Settings(), database_url=url, secret_key="bench-secret-key-long-enough")
    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        author = User(email="author@bench.example", password_hash="-", display_name="Author", role="lcipp")
        session.add(author)
        space = Space(slug="agora", title="Agora", kind="general", moderation="post", visibility="public")
        session.add(space)
        await session.flush()
        thread = Thread(space_id=space.id, title="Watched", author_id=author.id)
        session.add(thread)
        await session.flush()
        if watchers:
            await session.execute(
                insert(User),
                [
                    {
                        "email": f"w{i}@bench.example",
                        "password_hash": "-",
                        "display_name": "W",
                        "handle": f"w{i}x",
                    }
                    for i in range(watchers)
                ],
            )
            ids = (await session.scalars(select(User.id).where(User.email.like("w%@bench.example")))).all()
            await session.execute(
                insert(ThreadUser), [{"user_id": i, "thread_id": thread.id, "level": "watching"} for i in ids]
            )
        author_id, thread_id = author.id, thread.id
    async with sessions() as session:
        viewer = await load_viewer(session, await session.get(User, author_id))
    times = []
    for i in range(posts):
        start = time.perf_counter()
        async with sessions() as session, session.begin():
            await services.create_post(session, viewer, thread_id, f"post {i}")
        times.append(time.perf_counter() - start)
    async with sessions() as session:
        written = await session.scalar(select(func.count(Notification.id)))
    await engine.dispose()
    return statistics.median(times), int(written or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchers", type=int, nargs="+", default=[0, 100, 1000])
    parser.add_argument("--posts", type=int, default=20)
    args = parser.parse_args()
    attention.install()
    with tempfile.TemporaryDirectory() as tmp:
        for w in args.watchers:
            url = f"sqlite+aiosqlite:///{Path(tmp) / f'fanout-{w}.db'}"
            upgrade(url)  # runs its own event loop
            median, written = asyncio.run(run(w, args.posts, url))
            print(
                f"watchers={w:>6}  median per post {median * 1000:7.2f} ms  notifications written {written}"
            )


if __name__ == "__main__":
    main()
