"""Helpers the test modules share (the fixtures and personas are in tests/conftest.py).

Checking an answer (`assert_problem`), looking at the database (`count`, `fetch`,
`events`), posting (`make_post`), the world café of the café tests (`setup`, `join`,
`say`...), and stopping a server process.
"""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from forum.streams.models import Event
from tests.conftest import Cast, People, Persona, make_space

PROBLEM_JSON = "application/problem+json"


def assert_problem(resp: httpx.Response, status: int | tuple[int, ...], *, names: str | None = None) -> dict:
    """The response is problem+json with this status, and its detail names `names`."""
    statuses = (status,) if isinstance(status, int) else status
    assert resp.status_code in statuses, f"{resp.status_code}: {resp.text}"
    assert resp.headers["content-type"].startswith(PROBLEM_JSON), resp.headers["content-type"]
    body = resp.json()
    assert body["status"] == resp.status_code
    assert body["title"]
    assert body["detail"]
    if names is not None:
        assert names in body["detail"], body
    return body


# --- the database as it is now -------------------------------------------------------


async def count(db: AsyncSession, model: Any, *where: Any) -> int:
    """Rows of a table as the database has them now (a fresh transaction each time)."""
    query = select(func.count()).select_from(model)
    if where:
        query = query.where(*where)
    value = await db.scalar(query)
    # End the read transaction so it neither pins a snapshot nor holds SQLite's lock.
    await db.rollback()
    return int(value or 0)


async def fetch(db: AsyncSession, stmt: Any) -> list[Any]:
    """Fresh rows from the database; the transaction ends so the app can write again."""
    rows = list((await db.execute(stmt.execution_options(populate_existing=True))).scalars().all())
    await db.commit()
    return rows


async def events(db: AsyncSession, topic: str) -> list[Event]:
    """The stored events of a topic (`thread:42`, `table:7`, `moderation`), by seq."""
    return await fetch(db, select(Event).where(Event.topic == topic).order_by(Event.seq))


async def until_a_transaction_waits(db: AsyncSession, seconds: float = 4.0) -> None:
    """Return once some PostgreSQL transaction waits for a lock another one holds (a row, a
    unique key): a race made to happen, not hoped for."""
    for _ in range(int(seconds / 0.02)):
        if await db.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no transaction waited on another")


def assert_gap_free(evs: list[Event]) -> None:
    assert [e.seq for e in evs] == list(range(1, len(evs) + 1))


# --- posting ---------------------------------------------------------------------------


async def make_post(
    client: httpx.AsyncClient, who: Persona, thread_id: int, body: str = "a reply", **extra: Any
) -> dict:
    """A new post in a thread (201), as the API returns it."""
    resp = await client.post(
        f"/api/threads/{thread_id}/posts", json={"body": body, **extra}, headers=who.headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


# --- the world café ----------------------------------------------------------------------

# The workshop space of the café tests.
WORKSHOP = "sbsta63-workshop"


async def workshop(client: httpx.AsyncClient, cast: Cast, **kwargs: Any) -> dict:
    return await make_space(client, cast.admin, WORKSHOP, kind="workshop", **kwargs)


async def create_cafe(
    client: httpx.AsyncClient,
    who: Persona,
    hosts: list[Persona],
    *,
    round_seconds: int = 900,
    slug: str = WORKSHOP,
) -> dict:
    resp = await client.post(
        f"/api/spaces/{slug}/cafes",
        json={
            "title": "Sharing NMA experiences",
            "round_seconds": round_seconds,
            "tables": [{"topic": f"Topic {i + 1}", "host_id": h.id} for i, h in enumerate(hosts)],
        },
        headers=who.headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def setup(
    client: httpx.AsyncClient, cast: Cast, people: People, tables: int = 3, **space: Any
) -> tuple[dict, list[Persona]]:
    """The workshop space and a café with `tables` tables, each hosted by a new focal point."""
    await workshop(client, cast, **space)
    hosts = [await people.make("focal_point", name=f"Host {i + 1}") for i in range(tables)]
    return await create_cafe(client, cast.moderator, hosts), hosts


async def join(client: httpx.AsyncClient, cafe_id: int, who: Persona) -> int:
    """Join a café; the id of the table where `who` sits."""
    resp = await client.post(f"/api/cafes/{cafe_id}/join", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["table_id"]


async def say(client: httpx.AsyncClient, table_id: int, who: Persona, body: str, **extra: Any) -> Any:
    return await client.post(
        f"/api/tables/{table_id}/messages", json={"body": body, **extra}, headers=who.headers
    )


# --- server processes --------------------------------------------------------------------


def stop_process(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM, and SIGKILL if it is still there after `timeout` seconds."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
