"""What the spaces list's activity figures cost: the page of spaces and its moderators,
then the activity statement (forum.cafes.activity), timed apart on the database that
FORUM_DATABASE_URL names (fill it first with `forum generate`).

    FORUM_DATABASE_URL=sqlite+aiosqlite:////tmp/gen.db python -m tests.bench.space_activity 50
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from forum.accounts.viewer import Viewer
from forum.cafes.activity import read_activity
from forum.lib.db import create_engine, make_sessionmaker
from forum.settings import Settings
from forum.spaces import services


async def measure(rounds: int) -> None:
    settings = Settings.from_env()
    engine = create_engine(settings)
    maker = make_sessionmaker(engine)
    guest = Viewer()
    base: list[float] = []
    extra: list[float] = []
    spaces = posts = 0
    for _ in range(rounds):
        async with maker() as session:
            t0 = time.perf_counter()
            page = await services.list_spaces(session, guest, limit=100)
            await services.moderator_ids(session, [s.id for s in page.items])
            t1 = time.perf_counter()
            figures = await read_activity(session, guest, page.items)
            t2 = time.perf_counter()
        base.append((t1 - t0) * 1000)
        extra.append((t2 - t1) * 1000)
        spaces, posts = len(page.items), sum(f.post_count for f in figures.values())
    print(f"{spaces} spaces, {posts} posts a guest may see")
    print(
        f"list + moderators: median {statistics.median(base):.2f} ms; "
        f"activity: median {statistics.median(extra):.2f} ms ({rounds} rounds)"
    )
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 30))
