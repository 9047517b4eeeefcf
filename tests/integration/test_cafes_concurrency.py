"""World café under concurrent requests: seats, numbers and the archive stay whole."""

from __future__ import annotations

import asyncio
from collections import Counter

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.cafes.models import CafeSeat, TableMessage
from tests.conftest import Cast, People
from tests.helpers import create_cafe, events, fetch, join, say, workshop


async def test_concurrent_joins_are_balanced_and_seat_each_person_once(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await workshop(client, cast)
    hosts = [await people.make("focal_point") for _ in range(4)]
    cafe = await create_cafe(client, cast.moderator, hosts)
    joiners = [await people.make("observer") for _ in range(16)]
    # Everyone joins at once, and the first four twice at once.
    seats = await asyncio.gather(*(join(client, cafe["id"], p) for p in joiners + joiners[:4]))
    assert seats[16:] == seats[:4]
    assert sorted(Counter(seats[:16]).values()) == [4, 4, 4, 4]
    rows = await fetch(db, select(CafeSeat).where(CafeSeat.cafe_id == cafe["id"]))
    assert len(rows) == 16 + 4
    assert len({r.user_id for r in rows}) == len(rows)


async def test_concurrent_messages_get_every_number_once(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await workshop(client, cast)
    cafe = await create_cafe(client, cast.moderator, [cast.focal_point])
    table = cafe["tables"][0]["id"]
    talkers = [await people.make("observer") for _ in range(5)]
    for p in talkers:
        await join(client, cafe["id"], p)
    sends = [
        say(client, table, p, f"{p.name} says {i}", client_id=f"m-{i}") for p in talkers for i in range(4)
    ]
    # Each message is also sent twice at once, as a flaky connection would.
    results = await asyncio.gather(
        *sends, *[say(client, table, talkers[0], f"{talkers[0].name} says 0", client_id="m-0")]
    )
    assert all(r.status_code in (200, 201) for r in results), [r.text for r in results]
    stored = await fetch(db, select(TableMessage).where(TableMessage.table_id == table))
    assert sorted(m.number for m in stored) == list(range(1, 21))
    evs = await events(db, f"table:{table}")
    assert [e.seq for e in evs] == list(range(1, 21))
    assert sorted(e.data["number"] for e in evs) == list(range(1, 21))


async def test_nothing_said_while_closing_is_lost(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await workshop(client, cast)
    hosts = [await people.make("focal_point") for _ in range(2)]
    cafe = await create_cafe(client, cast.moderator, hosts)
    talkers = [await people.make("observer") for _ in range(6)]
    seat = {p.id: await join(client, cafe["id"], p) for p in talkers}
    texts = {(p.id, i): f"Point {i} by {p.name}" for p in talkers for i in range(3)}
    sends = [
        say(client, seat[uid], next(p for p in talkers if p.id == uid), text)
        for (uid, _), text in texts.items()
    ]
    close = client.post(f"/api/cafes/{cafe['id']}/close", headers=cast.moderator.headers)
    *answers, closed = await asyncio.gather(*sends, close)
    assert closed.status_code == 200, closed.text
    thread_id = closed.json()["thread_id"]
    archive = "\n".join(
        p["body"] for p in (await client.get(f"/api/threads/{thread_id}/posts")).json()["items"]
    )
    accepted = 0
    for answer, text in zip(answers, texts.values(), strict=True):
        assert answer.status_code in (201, 409), answer.text
        if answer.status_code == 201:
            accepted += 1
            assert text in archive, f"{text!r} was accepted but is not in the archive"
    stored = await fetch(db, select(TableMessage))
    assert len(stored) == accepted
