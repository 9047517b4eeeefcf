"""Seeding a benchmark database: users with tokens in bulk, then the rest through the API.

Signing 5,000 users in over HTTP would spend minutes in argon2, so participants are written
in-process against the same database: one password hash shared by all of them, and bearer
tokens made the way `forum.accounts.services.issue_token` makes them (a random token, its
SHA-256 stored), in one transaction. The admin is made with the CLI (`forum users create`)
and everything else (space, café or threads, seating) goes through the public HTTP API.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

import httpx

ADMIN_EMAIL = "bench-admin@bench.example"
ADMIN_PASSWORD = "bench admin password, long enough"
SPACE_SLUG = "bench-workshop"
# Joins run this many at a time: the write path is serialised by the database anyway.
JOIN_CONCURRENCY = 16
# Participants seated through POST /api/cafes/{id}/join; the rest are seated in bulk (each
# join re-reads every seat to pick the least full table and announces the whole café, so
# joins slow down as the café fills: 5,000 of them would take minutes per backend).
HTTP_JOINS = 1000
HTTP_TIMEOUT = 60.0
TOKEN_TTL = timedelta(days=2)


@dataclass
class Layout:
    """Who connects where: receivers subscribe to their topic, senders post to theirs."""

    mode: str  # "table" (world café tables) or "thread" (threads of the workshop space)
    receivers: list[tuple[str, str]]  # (token, topic), the first N are used for N connections
    senders: list[tuple[str, str]]  # one per topic


def forum_cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "forum", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"forum {' '.join(args[:2])} failed: {out.stderr.strip()[-500:]}")
    return out.stdout.strip()


def prepare_database(env: dict[str, str]) -> None:
    """Migrate the fresh database and make the admin with the CLI."""
    forum_cli(env, "db", "upgrade")
    forum_cli(
        env,
        "users",
        "create",
        "--email",
        ADMIN_EMAIL,
        "--password",
        ADMIN_PASSWORD,
        "--name",
        "Bench Admin",
        "--role",
        "admin",
    )


async def bulk_users(
    database_url: str, count: int, prefix: str, role: str = "observer"
) -> list[tuple[int, str]]:
    """`count` users with a live bearer token each: [(user_id, token)]."""
    from forum.accounts.models import AuthToken, User
    from forum.accounts.passwords import _hasher
    from forum.accounts.services import token_digest
    from forum.lib.db import create_engine, make_sessionmaker, utcnow
    from forum.settings import Settings

    engine = create_engine(Settings(database_url=database_url))
    shared_hash = _hasher.hash(secrets.token_urlsafe(16))  # nobody signs in with it
    try:
        async with make_sessionmaker(engine)() as session:
            users = [
                User(
                    email=f"{prefix}{i}@bench.example",
                    password_hash=shared_hash,
                    display_name=f"{prefix.title()} {i}",
                    role=role,
                )
                for i in range(count)
            ]
            session.add_all(users)
            await session.flush()
            tokens = [secrets.token_urlsafe(32) for _ in users]
            expires = utcnow() + TOKEN_TTL
            session.add_all(
                AuthToken(token_hash=token_digest(raw), user_id=u.id, expires_at=expires)
                for u, raw in zip(users, tokens, strict=True)
            )
            await session.commit()
            return [(u.id, raw) for u, raw in zip(users, tokens, strict=True)]
    finally:
        await engine.dispose()


async def _check(resp: httpx.Response, what: str) -> dict:
    if resp.status_code >= 400:
        raise RuntimeError(f"{what}: {resp.status_code} {resp.text[:400]}")
    return resp.json() if resp.content else {}


async def seed_over_http(
    base: str, database_url: str, receivers: int, tables: int, topic_mode: str
) -> Layout:
    """Space, café (or threads), participants seated; returns who connects where."""
    hosts = await bulk_users(database_url, tables, "host", role="lcipp")
    people = await bulk_users(database_url, receivers, "participant")
    async with httpx.AsyncClient(base_url=base, timeout=HTTP_TIMEOUT) as http:
        login = await _check(
            await http.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
            "admin login",
        )
        admin = {"Authorization": f"Bearer {login['token']}"}
        await _check(
            await http.post(
                "/api/spaces",
                headers=admin,
                json={
                    "slug": SPACE_SLUG,
                    "title": "Benchmark workshop",
                    "kind": "workshop",
                    "moderation": "post",
                    "visibility": "public",
                },
            ),
            "create space",
        )
        if topic_mode in ("auto", "table"):
            resp = await http.post(
                f"/api/spaces/{SPACE_SLUG}/cafes",
                headers=admin,
                json={
                    "title": "Benchmark café",
                    "round_seconds": 3600,
                    "tables": [
                        {"topic": f"Table {i + 1}", "host_id": hid} for i, (hid, _) in enumerate(hosts)
                    ],
                },
            )
            if resp.status_code in (404, 405) and topic_mode == "auto":
                return await _thread_layout(http, admin, hosts, people, tables)
            cafe = await _check(resp, "create café")
            return await _table_layout(http, database_url, cafe, hosts, people)
        return await _thread_layout(http, admin, hosts, people, tables)


async def _table_layout(
    http: httpx.AsyncClient,
    database_url: str,
    cafe: dict,
    hosts: list[tuple[int, str]],
    people: list[tuple[int, str]],
) -> Layout:
    by_host = {t["host"]["id"] if isinstance(t["host"], dict) else t["host"]: t["id"] for t in cafe["tables"]}
    senders = [(token, f"table:{by_host[hid]}") for hid, token in hosts]
    sem = asyncio.Semaphore(JOIN_CONCURRENCY)

    async def join(token: str) -> tuple[str, str]:
        async with sem:
            seat = await _check(
                await http.post(
                    f"/api/cafes/{cafe['id']}/join", headers={"Authorization": f"Bearer {token}"}
                ),
                "join café",
            )
            return token, f"table:{seat['table_id']}"

    # Joined in order, so the first N participants are spread evenly over the tables too.
    receivers: list[tuple[str, str]] = []
    http_people, bulk_people = people[:HTTP_JOINS], people[HTTP_JOINS:]
    started = time.monotonic()
    for start in range(0, len(http_people), 500):
        receivers += await asyncio.gather(*(join(tok) for _, tok in http_people[start : start + 500]))
    elapsed = time.monotonic() - started
    print(f"  {len(http_people)} joins over HTTP at {len(http_people) / elapsed:.0f}/s", flush=True)
    if bulk_people:
        seats = await bulk_seat(database_url, cafe["id"], [uid for uid, _ in bulk_people])
        receivers += [(tok, f"table:{seats[uid]}") for uid, tok in bulk_people]
    return Layout("table", receivers, senders)


async def bulk_seat(database_url: str, cafe_id: int, user_ids: list[int]) -> dict[int, int]:
    """Seat users as join would (the least full table, ties by position), in one transaction."""
    from sqlalchemy import func, select

    from forum.cafes.models import Cafe, CafeSeat, CafeTable, CafeVisit
    from forum.lib.db import create_engine, make_sessionmaker
    from forum.settings import Settings

    engine = create_engine(Settings(database_url=database_url))
    try:
        async with make_sessionmaker(engine)() as session:
            cafe = await session.get(Cafe, cafe_id)
            assert cafe is not None
            tables = (
                await session.scalars(
                    select(CafeTable).where(CafeTable.cafe_id == cafe_id).order_by(CafeTable.position)
                )
            ).all()
            counts = dict(
                (
                    await session.execute(
                        select(CafeSeat.table_id, func.count())
                        .where(
                            CafeSeat.cafe_id == cafe_id, CafeSeat.user_id.not_in([t.host_id for t in tables])
                        )
                        .group_by(CafeSeat.table_id)
                    )
                )
                .tuples()
                .all()
            )
            seats: dict[int, int] = {}
            for uid in user_ids:
                table = min(tables, key=lambda t: (counts.get(t.id, 0), t.position))
                counts[table.id] = counts.get(table.id, 0) + 1
                seats[uid] = table.id
                session.add(CafeSeat(cafe_id=cafe_id, user_id=uid, table_id=table.id))
                session.add(CafeVisit(cafe_id=cafe_id, user_id=uid, table_id=table.id, round=cafe.round))
            await session.commit()
            return seats
    finally:
        await engine.dispose()


async def _thread_layout(
    http: httpx.AsyncClient,
    admin: dict[str, str],
    hosts: list[tuple[int, str]],
    people: list[tuple[int, str]],
    tables: int,
) -> Layout:
    topics = []
    for i in range(tables):
        thread = await _check(
            await http.post(
                f"/api/spaces/{SPACE_SLUG}/threads",
                headers=admin,
                json={"title": f"Breakout {i + 1}", "body": "Notes of this breakout group."},
            ),
            "open thread",
        )
        topics.append(f"thread:{thread['id']}")
    senders = [(token, topics[i]) for i, (_, token) in enumerate(hosts)]
    receivers = [(token, topics[i % tables]) for i, (_, token) in enumerate(people)]
    return Layout("thread", receivers, senders)


def server_env(database_url: str) -> dict[str, str]:
    """The service's environment for a run: limits that guard real users are lifted, since
    every benchmark client comes from 127.0.0.1 and each sender posts far above a person's pace."""
    # FORUM_WS_COMPRESSION passes through: run.py sets it when the clients offer deflate.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_") or k == "FORUM_WS_COMPRESSION"}
    env.update(
        FORUM_DATABASE_URL=database_url,
        FORUM_SECRET_KEY=secrets.token_urlsafe(32),
        FORUM_RATE_LIMIT_PER_MINUTE=str(10**9),
        FORUM_RATE_LIMIT_ADDRESS_PER_MINUTE=str(10**9),
        FORUM_WS_SEND_PER_10S=str(10**9),
        FORUM_WS_SEND_PER_USER_PER_10S=str(10**9),
        FORUM_LOG_LEVEL="WARNING",
    )
    return env
