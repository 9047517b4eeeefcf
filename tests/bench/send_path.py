"""Micro-benchmark of the `send` hot path: what storing one table message costs the server.

    .venv/bin/python -m tests.bench.send_path                      # a temporary SQLite file
    .venv/bin/python -m tests.bench.send_path --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Seeds a fresh database through the migrations (a temporary SQLite file, or a temporary
database created beside the one `--database-url` names on PostgreSQL, dropped afterwards):
an admin who hosts the one table of a café in a workshop space, and an observer seated at
that table. Then it calls `forum.cafes.messages.post_message` N times for the observer, each
call in its own session from the writer sessionmaker with a fresh client_id, as a websocket
`send` frame does, one after another. It prints the median wall time per message, the
process CPU time per message (the aiosqlite thread included), messages per second, and the
statements and commits sent to the database per message.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.cafes import lifecycle
from forum.cafes.schemas import CafeIn, TableIn
from forum.lib.db import create_engine, make_sessionmaker
from forum.lib.migrate import upgrade
from forum.settings import Settings
from forum.spaces.models import Space
from forum.spaces.viewers import load_viewer

DEFAULT_MESSAGES = 2000
# Calls before the timed ones: connections opened, statement caches filled.
WARMUP_MESSAGES = 200
BODY = "A point made at the table, with **some** Markdown in it."


@dataclass
class Counts:
    """What the engine sent to the database."""

    statements: int = 0
    commits: int = 0


@dataclass
class Result:
    messages: int
    median_us: float
    p90_us: float
    cpu_us_per_message: float
    messages_per_second: float
    statements_per_message: float
    commits_per_message: float


@asynccontextmanager
async def temporary_database(database_url: str | None) -> AsyncIterator[str]:
    """A migrated, empty database for this run: a temporary file, or a PostgreSQL database."""
    if database_url is None or database_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="forum-send-path-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            await asyncio.to_thread(upgrade, url)
            yield url
        return
    base, _, _ = database_url.rpartition("/")
    name = f"forum_bench_{uuid.uuid4().hex[:10]}"
    admin: AsyncEngine = create_async_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"{base}/{name}"
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def seed(settings: Settings) -> tuple[int, int]:
    """A workshop space, a café with one table hosted by an admin, an observer seated there.

    Returns (observer's user id, table id)."""
    engine = create_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            admin = User(email="admin@bench.example", password_hash="-", display_name="Host", role="admin")
            speaker = User(email="speaker@bench.example", password_hash="-", display_name="Speaker")
            space = Space(
                slug="bench-workshop",
                title="Benchmark workshop",
                kind="workshop",
                moderation="post",
                visibility="public",
                allowed_roles=[],
            )
            session.add_all([admin, speaker, space])
            await session.commit()
            cafe = await lifecycle.create_cafe(
                session,
                await load_viewer(session, admin),
                space.slug,
                CafeIn(title="Benchmark café", round_seconds=3600, tables=[TableIn("Table 1", admin.id)]),
            )
            table = await lifecycle.join_cafe(session, await load_viewer(session, speaker), cafe.id)
            await session.commit()
            return speaker.id, table.id
    finally:
        await engine.dispose()


def count_round_trips(engine: AsyncEngine, counts: Counts) -> None:
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _statement(*_args: Any) -> None:
        counts.statements += 1

    @event.listens_for(engine.sync_engine, "commit")
    def _commit(*_args: Any) -> None:
        counts.commits += 1


async def measure(settings: Settings, user_id: int, table_id: int, messages: int) -> Result:
    engine = create_engine(settings)
    counts = Counts()
    count_round_trips(engine, counts)
    sessionmaker = make_sessionmaker(engine)
    try:
        # The websocket loads its viewer in a reader session and sends in a writer's.
        async with sessionmaker() as session:
            user = await session.get(User, user_id)
            viewer: Viewer = await load_viewer(session, user)

        async def send(client_id: str) -> None:
            async with sessionmaker() as session, session.begin():
                _, created = await messages.post_message(session, viewer, table_id, BODY, client_id=client_id)
                assert created

        for i in range(WARMUP_MESSAGES):
            await send(f"warm-{i}")
        counts.statements = counts.commits = 0
        durations: list[int] = []
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        for i in range(messages):
            started = time.perf_counter_ns()
            await send(f"msg-{i}")
            durations.append(time.perf_counter_ns() - started)
        wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    finally:
        await engine.dispose()
    deciles = statistics.quantiles(durations, n=10)
    return Result(
        messages=messages,
        median_us=statistics.median(durations) / 1000,
        p90_us=deciles[-1] / 1000,
        cpu_us_per_message=cpu / messages * 1e6,
        messages_per_second=messages / wall,
        statements_per_message=counts.statements / messages,
        commits_per_message=counts.commits / messages,
    )


async def main(database_url: str | None, messages: int) -> Result:
    async with temporary_database(database_url) as url:
        settings = replace(Settings(), database_url=url, secret_key="bench")
        user_id, table_id = await seed(settings)
        return await measure(settings, user_id, table_id, messages)


def cli() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL URL: a temporary database is made beside it (default: a temporary SQLite file)",
    )
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES, help="timed post_message calls")
    args = parser.parse_args()
    result = asyncio.run(main(args.database_url, args.messages))
    backend = "postgresql" if args.database_url and not args.database_url.startswith("sqlite") else "sqlite"
    print(
        f"{backend}: {result.messages} messages, median {result.median_us:.0f} µs, p90 {result.p90_us:.0f} µs, "
        f"CPU {result.cpu_us_per_message:.0f} µs/message, {result.messages_per_second:.0f} messages/s, "
        f"{result.statements_per_message:.1f} statements + {result.commits_per_message:.1f} commit per message"
    )


if __name__ == "__main__":
    cli()
