"""A café round's end: the one-minute warning and the end (each once), extending a round,
automatic rotation, and seat counts that include the host."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from forum.audit.models import AuditEntry
from forum.cafes.clock import tick_due
from forum.cafes.models import Cafe
from forum.lib.db import create_engine, make_sessionmaker, utcnow
from tests.conftest import Cast, People
from tests.helpers import WORKSHOP, assert_problem, events, fetch, join, setup, workshop
from tests.queries import INSERT, SELECT, UPDATE, count_queries


async def start(client: AsyncTestClient, cast: Cast, cafe_id: int) -> dict:
    resp = await client.post(f"/api/cafes/{cafe_id}/rounds", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def ends_in(db: AsyncSession, cafe_id: int, seconds: float) -> None:
    """The stored end of the round moves, as time passing would bring it."""
    await db.execute(
        update(Cafe).where(Cafe.id == cafe_id).values(round_ends_at=utcnow() + timedelta(seconds=seconds))
    )
    await db.commit()


async def clock_types(db: AsyncSession, cafe_id: int) -> list[str]:
    return [e.type for e in await events(db, f"cafe:{cafe_id}") if e.type.startswith("cafe.round")]


async def test_the_warning_and_the_end_go_out_once_each_across_processes(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession, settings
) -> None:
    cafe, _ = await setup(client, cast, people, tables=2)
    await join(client, cafe["id"], cast.observer)
    await start(client, cast, cafe["id"])
    # Two processes' clocks, each with its own engine, look at the same stored times.
    engines = [create_engine(settings), create_engine(settings)]
    clocks = [make_sessionmaker(e) for e in engines]
    try:
        for clock in clocks:
            await tick_due(clock)
        assert await clock_types(db, cafe["id"]) == ["cafe.round_started"]
        await ends_in(db, cafe["id"], 30)
        for clock in clocks + clocks:
            await tick_due(clock)
        assert await clock_types(db, cafe["id"]) == ["cafe.round_started", "cafe.round_warning"]
        got = (await client.get(f"/api/cafes/{cafe['id']}")).json()
        assert got["round_over"] is False
        await ends_in(db, cafe["id"], -1)
        # Both processes see the end at the same moment: one of them says it.
        await asyncio.gather(*(tick_due(clock) for clock in clocks))
        for clock in clocks:
            await tick_due(clock)
    finally:
        for e in engines:
            await e.dispose()
    stored = [e for e in await events(db, f"cafe:{cafe['id']}") if e.type.startswith("cafe.round")]
    assert [e.type for e in stored] == ["cafe.round_started", "cafe.round_warning", "cafe.round_ended"]
    warning, ended = stored[1].data, stored[2].data
    assert warning["round"] == 1 and 0 < warning["seconds_left"] <= 60
    assert ended == {"cafe_id": cafe["id"], "round": 1, "ends_at": ended["ends_at"], "auto_rotate": False}
    got = (await client.get(f"/api/cafes/{cafe['id']}")).json()
    # Time's up, and nobody moved: without auto_rotate the facilitator decides.
    assert got["round"] == 1 and got["round_over"] is True and got["state"] == "running"


async def test_extending_a_round_moves_its_end_and_the_clock_speaks_again(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession, settings
) -> None:
    cafe, hosts = await setup(client, cast, people, tables=2)
    url = f"/api/cafes/{cafe['id']}/rounds/extend"
    # Before any round there is nothing to extend.
    assert_problem(await client.post(url, json={"minutes": 5}, headers=cast.moderator.headers), 409)
    await start(client, cast, cafe["id"])
    # Only who runs the café may extend; bad minutes are refused naming the field.
    for who in (hosts[0], cast.observer):
        assert_problem(await client.post(url, json={"minutes": 5}, headers=who.headers), 403)
    assert_problem(await client.post(url, json={"minutes": 5}), 401)
    for body in ({"minutes": 0}, {"minutes": 61}, {"minutes": "5"}, {}, {"minutes": 5, "x": 1}):
        assert_problem(await client.post(url, json=body, headers=cast.moderator.headers), 400)
    engine = create_engine(settings)
    try:
        clock = make_sessionmaker(engine)
        await ends_in(db, cafe["id"], -1)
        await tick_due(clock)
        assert (await client.get(f"/api/cafes/{cafe['id']}")).json()["round_over"] is True
        resp = await client.post(url, json={"minutes": 2}, headers=cast.moderator.headers)
        assert resp.status_code == 200, resp.text
        view = resp.json()
        assert view["round_over"] is False and view["round"] == 1
        (stored,) = await fetch(db, select(Cafe).where(Cafe.id == cafe["id"]))
        assert stored.round_ends_at is not None
        left = (stored.round_ends_at - utcnow()).total_seconds()
        assert 100 < left <= 120  # two minutes from now, since the end had passed
        # The new end brings the warning and the end again, once each.
        await ends_in(db, cafe["id"], 10)
        await tick_due(clock)
        await ends_in(db, cafe["id"], -1)
        await tick_due(clock)
        await tick_due(clock)
    finally:
        await engine.dispose()
    assert await clock_types(db, cafe["id"]) == [
        "cafe.round_started",
        "cafe.round_ended",
        "cafe.round_extended",
        "cafe.round_warning",
        "cafe.round_ended",
    ]
    log = await fetch(db, select(AuditEntry).where(AuditEntry.action == "cafe.extend"))
    assert [(e.actor_id, e.target_id, e.after["minutes"]) for e in log] == [
        (cast.moderator.id, cafe["id"], 2)
    ]


async def test_auto_rotate_starts_the_next_round_at_the_end(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession, settings
) -> None:
    await workshop(client, cast)
    hosts = [await people.make("focal_point", name=f"Host {i}") for i in range(2)]
    resp = await client.post(
        f"/api/spaces/{WORKSHOP}/cafes",
        json={
            "title": "Rotating café",
            "round_seconds": 600,
            "auto_rotate": True,
            "tables": [{"topic": f"T{i}", "host_id": h.id} for i, h in enumerate(hosts)],
        },
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 201, resp.text
    cafe = resp.json()
    assert cafe["auto_rotate"] is True
    first = await join(client, cafe["id"], cast.observer)
    await start(client, cast, cafe["id"])
    engine = create_engine(settings)
    try:
        await ends_in(db, cafe["id"], -1)
        await tick_due(make_sessionmaker(engine))
        await tick_due(make_sessionmaker(engine))
    finally:
        await engine.dispose()
    stored = [e for e in await events(db, f"cafe:{cafe['id']}") if e.type.startswith("cafe.round")]
    assert [e.type for e in stored] == ["cafe.round_started", "cafe.round_ended", "cafe.round_started"]
    assert stored[1].data["auto_rotate"] is True
    assert stored[2].data["round"] == 2 and stored[2].data["auto"] is True
    got = (await client.get(f"/api/cafes/{cafe['id']}")).json()
    assert got["round"] == 2 and got["round_over"] is False
    # Two rounds on two tables: the observer is back where they started, having moved twice.
    assert stored[2].data["seating"][str(cast.observer.id)] == first
    log = await fetch(db, select(AuditEntry).where(AuditEntry.action == "cafe.round"))
    assert [e.after["auto"] for e in log] == [False, True]
    assert log[1].actor_id == cafe["created_by"]


async def test_seat_counts_include_the_host(client: AsyncTestClient, cast: Cast, people: People) -> None:
    cafe, _ = await setup(client, cast, people, tables=2)
    assert [t["seated_count"] for t in cafe["tables"]] == [1, 1]
    await join(client, cafe["id"], cast.observer)
    got = (await client.get(f"/api/cafes/{cafe['id']}")).json()
    assert [t["seated_count"] for t in got["tables"]] == [2, 1]
    assert [len(t["participant_ids"]) for t in got["tables"]] == [1, 0]


async def test_a_warned_round_costs_no_write_until_its_end(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession, settings
) -> None:
    """The clock looks every two seconds: between the warning and the end a look reads,
    and writes nothing (on SQLite a write transaction would take the database's lock)."""
    cafe, _ = await setup(client, cast, people, tables=2)
    await start(client, cast, cafe["id"])
    engine = create_engine(settings)
    try:
        clock = make_sessionmaker(engine)
        await ends_in(db, cafe["id"], 30)
        await tick_due(clock)
        assert (await clock_types(db, cafe["id"]))[-1] == "cafe.round_warning"
        with count_queries(engine) as queries:
            await tick_due(clock)
            await tick_due(clock)
        assert queries.count(UPDATE, INSERT) == 0, queries
        assert queries.count(SELECT) > 0, queries
    finally:
        await engine.dispose()
