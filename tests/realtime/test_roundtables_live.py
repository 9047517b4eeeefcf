"""Round tables over real sockets: several participants follow the floor and the queue,
a dropped socket resumes with exactly the events it missed, the reminder arrives from the
server's own clock, a restricted round table's topic is refused, and two processes on one
database and one Redis announce the reminder once."""

from __future__ import annotations

import os
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from forum.lib.db import utcnow
from forum.roundtables.models import RoundTable
from tests.conftest import Cast, People, Persona, make_space
from tests.helpers import events
from tests.realtime.conftest import Live, expect_nothing_before_marker, two_processes

REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL")
PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")
SLUG = "live-roundtable"


async def call(http: httpx.AsyncClient, who: Persona, path: str, body: dict | None = None) -> dict:
    resp = await http.post(path, json=body, headers=who.headers)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


async def open_rt(live: Live, chair: Persona, **body: object) -> dict:
    payload = {"question": "What worked in your country?", "turn_seconds": 120} | body
    return await call(live.http, chair, f"/api/spaces/{SLUG}/roundtables", payload)


async def overdue(db: AsyncSession, roundtable_id: int) -> None:
    """The stored end of the turn passes, as it would after `turn_seconds`."""
    await db.execute(
        update(RoundTable)
        .where(RoundTable.id == roundtable_id)
        .values(turn_ends_at=utcnow() - timedelta(seconds=1))
    )
    await db.commit()


async def test_participants_follow_the_floor_live_and_a_dropped_socket_resumes(
    live: Live, cast: Cast, people: People, db: AsyncSession
) -> None:
    await make_space(live.http, cast.admin, SLUG, kind="workshop")
    mys = await people.make("focal_point", party="MYS")
    rt = await open_rt(live, cast.moderator)
    topic = f"roundtable:{rt['id']}"
    base = f"/api/roundtables/{rt['id']}"
    chair = await live.peer(cast.moderator)
    first = await live.peer(mys)
    second = await live.peer(cast.lcipp)
    anonymous = await live.peer()
    for peer in (chair, first, second, anonymous):
        assert (await peer.subscribe(topic, after=0))["seq"] == 1
        opened = await peer.expect("event", topic=topic, seq=1)
        assert opened["type"] == "roundtable.opened"

    await call(live.http, mys, f"{base}/requests", {"capacity": "party"})
    await call(live.http, cast.lcipp, f"{base}/requests", {"capacity": "lcipp"})
    for peer in (chair, first, second, anonymous):
        got = await peer.events_until(topic, 3)
        assert [e["type"] for e in got] == ["roundtable.floor_requested"] * 2
        assert [r["user"]["id"] for r in got[-1]["data"]["roundtable"]["queue"]] == [mys.id, cast.lcipp.id]

    given = await call(live.http, cast.moderator, f"{base}/floor", {})
    for peer in (chair, first, second, anonymous):
        event = await peer.expect("event", topic=topic, seq=4)
        assert event["type"] == "roundtable.floor_given"
        floor = event["data"]["roundtable"]["floor"]
        assert floor["speaker"]["id"] == mys.id and floor["capacity"]["label"] == "Malaysia"
        # The countdown's end is the server's, the same for everyone.
        assert event["data"]["ends_at"] == floor["ends_at"] == given["floor"]["ends_at"]

    # The second participant's socket drops; meanwhile the time runs out (the server's
    # own work says so), the chair ends the turn and a summary is written.
    await second.close()
    await overdue(db, rt["id"])
    reminded = await first.expect("event", topic=topic, seq=5)
    assert reminded["type"] == "roundtable.time_up" and reminded["data"]["roundtable"]["turn_reminded"]
    # Reminded, not cut off: the floor is still the speaker's.
    assert reminded["data"]["roundtable"]["floor"]["speaker"]["id"] == mys.id
    await call(live.http, cast.moderator, f"{base}/end-turn")
    intervention = given["floor"]["id"]
    resp = await live.http.put(
        f"/api/interventions/{intervention}/summary",
        json={"summary": "Forest certificates."},
        headers=mys.headers,
    )
    assert resp.status_code == 200
    back = await live.peer(cast.lcipp)
    await back.subscribe(topic, after=4)
    missed = await back.events_until(topic, 7)
    assert [(e["seq"], e["type"]) for e in missed] == [
        (5, "roundtable.time_up"),
        (6, "roundtable.turn_ended"),
        (7, "roundtable.summary_recorded"),
    ]
    # Nothing twice: the next live event is the next seq.
    await call(live.http, cast.moderator, f"{base}/floor", {})
    marker = await expect_nothing_before_marker(back, topic=topic, seq=8)
    assert marker["data"]["roundtable"]["floor"]["speaker"]["id"] == cast.lcipp.id
    stored = await events(db, topic)
    assert [e.type for e in stored].count("roundtable.time_up") == 1
    # The round table's actions are HTTP calls: nothing is sent to its topic.
    await first.send(op="send", topic=topic, body="May I?", client_id="rt-1")
    assert (await first.expect("error", ref="rt-1"))["code"] == "forbidden"
    for peer in (chair, first, anonymous, back):
        await peer.close()


async def test_a_restricted_round_tables_topic_is_refused_to_those_who_may_not_read_it(
    live: Live, cast: Cast
) -> None:
    await make_space(
        live.http, cast.admin, SLUG, kind="workshop", visibility="restricted", allowed_roles=["lcipp"]
    )
    rt = await open_rt(live, cast.admin)
    topic = f"roundtable:{rt['id']}"
    for who in (None, cast.observer, cast.focal_point):
        peer = await live.peer(who)
        await peer.send(op="subscribe", topic=topic)
        assert (await peer.expect("error", ref=topic))["code"] == "not_found"
        await peer.close()
    member = await live.peer(cast.lcipp)
    await member.subscribe(topic, after=0)
    assert (await member.expect("event", topic=topic, seq=1))["type"] == "roundtable.opened"
    await member.close()


@pytest.mark.redis
@pytest.mark.skipif(
    not (REDIS_URL and PG_URL), reason="needs FORUM_TEST_REDIS_URL and FORUM_TEST_DATABASE_URL"
)
async def test_two_processes_deliver_every_event_and_remind_once(
    database_url: str, cast: Cast, db: AsyncSession
) -> None:
    async with two_processes(database_url, REDIS_URL) as (one, two):
        await make_space(one.http, cast.admin, SLUG, kind="workshop")
        rt = await open_rt(one, cast.moderator)
        topic = f"roundtable:{rt['id']}"
        base = f"/api/roundtables/{rt['id']}"
        on_one = await one.peer(cast.observer)
        on_two = await two.peer(cast.lcipp)
        for peer in (on_one, on_two):
            await peer.subscribe(topic, after=0)
        await call(two.http, cast.focal_point, f"{base}/requests", {"capacity": "party"})
        await call(one.http, cast.moderator, f"{base}/floor", {})
        await overdue(db, rt["id"])
        for peer in (on_one, on_two):
            got = await peer.events_until(topic, 4)
            assert [e["type"] for e in got] == [
                "roundtable.opened",
                "roundtable.floor_requested",
                "roundtable.floor_given",
                "roundtable.time_up",
            ]
        # Both processes watch the clock; the reminder went out once.
        await call(two.http, cast.moderator, f"{base}/end-turn")
        for peer in (on_one, on_two):
            marker = await expect_nothing_before_marker(peer, topic=topic, seq=5)
            assert marker["type"] == "roundtable.turn_ended"
        assert [e.type for e in await events(db, topic)].count("roundtable.time_up") == 1
        for peer in (on_one, on_two):
            await peer.close()
