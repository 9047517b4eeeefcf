"""World café over the websocket: table chat with acks, round changes, who may listen."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from forum.cafes.models import Cafe
from forum.lib.db import utcnow
from tests.conftest import Cast, People, make_space
from tests.helpers import create_cafe
from tests.realtime import conftest as realtime
from tests.realtime.conftest import Live

# The live server fixture of the websocket tests, shared here.
live = realtime.live

SLUG = "live-workshop"


async def cafe_with_two_tables(live: Live, cast: Cast, people: People) -> tuple[dict, list]:
    await make_space(live.http, cast.admin, SLUG, kind="workshop")
    hosts = [await people.make("focal_point"), await people.make("lcipp")]
    return await create_cafe(live.http, cast.moderator, hosts, round_seconds=600, slug=SLUG), hosts


async def test_table_chat_rounds_and_announcements_arrive_live(
    live: Live, cast: Cast, people: People
) -> None:
    cafe, hosts = await cafe_with_two_tables(live, cast, people)
    a, b = (t["id"] for t in cafe["tables"])
    ana, bo = cast.observer, cast.other_observer
    for who in (ana, bo):
        assert (await live.http.post(f"/api/cafes/{cafe['id']}/join", headers=who.headers)).status_code == 200
    # ana sits at a, bo at b.
    listener = await live.peer(hosts[0])
    await listener.subscribe(f"table:{a}")
    await listener.subscribe(f"cafe:{cafe['id']}")
    speaker = await live.peer(ana)
    await speaker.subscribe(f"table:{a}")
    await speaker.send(op="send", topic=f"table:{a}", body="Hello *table*", client_id="c-1")
    ack = await speaker.expect("ack", client_id="c-1")
    event = await listener.expect("event", topic=f"table:{a}", type="message.created")
    assert event["type"] == "message.created" and event["seq"] == ack["seq"] == 1
    assert event["data"]["body"] == "Hello *table*" and event["data"]["author"]["id"] == ana.id
    # Someone who never sat at table a may not listen to it, nor speak there.
    outsider = await live.peer(bo)
    await outsider.send(op="subscribe", topic=f"table:{a}")
    assert (await outsider.expect("error"))["code"] == "not_found"
    await outsider.send(op="send", topic=f"table:{a}", body="me too", client_id="c-2")
    assert (await outsider.expect("error", ref="c-2"))["code"] == "not_found"
    # Everyone is connected at their table (rotation moves who is there, seating rule 6).
    await outsider.subscribe(f"table:{b}")
    host_b = await live.peer(hosts[1])
    await host_b.subscribe(f"table:{b}")
    # A round starts: every listener of the café hears where everyone sits now.
    resp = await live.http.post(f"/api/cafes/{cafe['id']}/rounds", headers=cast.moderator.headers)
    assert resp.status_code == 200
    started = await listener.expect("event", topic=f"cafe:{cafe['id']}", type="cafe.round_started")
    assert started["data"]["round"] == 1
    assert started["data"]["ends_at"] == resp.json()["round_ends_at"]
    assert started["data"]["seating"] == {
        str(ana.id): b,
        str(bo.id): a,
        str(hosts[0].id): a,
        str(hosts[1].id): b,
    }
    resp = await live.http.post(
        f"/api/cafes/{cafe['id']}/announce", json={"text": "Ten minutes"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 204
    said = await listener.expect("event", topic=f"cafe:{cafe['id']}", type="cafe.announcement")
    assert said["data"]["text"] == "Ten minutes"
    # Now bo sits at table a: he may listen, and a resume from 0 replays what was said.
    await outsider.subscribe(f"table:{a}", after=0)
    replay = await outsider.expect("event", topic=f"table:{a}", type="message.created")
    assert replay["seq"] == 1 and replay["data"]["body"] == "Hello *table*"
    for peer in (listener, speaker, outsider, host_b):
        await peer.close()


async def test_a_round_moves_who_is_connected_and_only_to_hosted_tables(
    live: Live, cast: Cast, people: People
) -> None:
    """Issue 13: a participant was sent to sit alone at a table whose host never came.
    With three tables and the third host away, the two connected participants at table a
    both go to table b; one who is not connected moves to a hosted table too."""
    await make_space(live.http, cast.admin, SLUG, kind="workshop")
    hosts = [await people.make("focal_point") for _ in range(3)]
    cafe = await create_cafe(live.http, cast.moderator, hosts, round_seconds=600, slug=SLUG)
    a, b, c = (t["id"] for t in cafe["tables"])
    ana, bo, cy = cast.observer, cast.other_observer, await people.make("observer")
    seats = {}
    for who in (ana, bo, cy):
        resp = await live.http.post(f"/api/cafes/{cafe['id']}/join", headers=who.headers)
        seats[who.id] = resp.json()["table_id"]
    assert seats == {ana.id: a, bo.id: b, cy.id: c}
    peers = []
    for who, table in ((hosts[0], a), (hosts[1], b), (ana, a), (bo, b)):
        peer = await live.peer(who)
        await peer.subscribe(f"table:{table}")
        peers.append(peer)
    resp = await live.http.post(f"/api/cafes/{cafe['id']}/rounds", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    by_table = {t["id"]: t for t in resp.json()["tables"]}
    # ana and bo swap between the two hosted tables; cy, not connected, takes the next
    # hosted table after c (a), and table c, whose host never came, is left empty.
    assert by_table[a]["participant_ids"] == sorted([bo.id, cy.id])
    assert by_table[b]["participant_ids"] == [ana.id]
    assert by_table[c]["participant_ids"] == []
    assert [t["seated_count"] for t in resp.json()["tables"]] == [3, 2, 1]
    for peer in peers:
        await peer.close()


async def test_the_clock_ends_a_round_and_rotates_who_is_connected(
    live: Live, cast: Cast, people: People, db: AsyncSession
) -> None:
    """With `auto_rotate`, the hub's round clock says the end and starts the next round,
    asking the hub who is connected. In round 1 both participants go to a hosted table
    they have not sat at, not to table c, whose host never came; in round 2 table c is
    the only one either has not sat at, and the contract's no-repeat rule comes first:
    they go there together, never back (docs/cafes.md, rule 6)."""
    await make_space(live.http, cast.admin, SLUG, kind="workshop")
    hosts = [await people.make("focal_point") for _ in range(3)]
    resp = await live.http.post(
        f"/api/spaces/{SLUG}/cafes",
        json={
            "title": "Rotating",
            "round_seconds": 600,
            "auto_rotate": True,
            "tables": [{"topic": f"T{i}", "host_id": h.id} for i, h in enumerate(hosts)],
        },
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 201, resp.text
    cafe = resp.json()
    a, b, c = (t["id"] for t in cafe["tables"])
    ana, bo = cast.observer, cast.other_observer
    for who in (ana, bo):
        assert (await live.http.post(f"/api/cafes/{cafe['id']}/join", headers=who.headers)).status_code == 200
    peers = []
    for who, table in ((hosts[0], a), (hosts[1], b), (ana, a), (bo, b)):
        peer = await live.peer(who)
        await peer.subscribe(f"table:{table}")
        peers.append(peer)
    listener = peers[0]
    await listener.subscribe(f"cafe:{cafe['id']}")
    resp = await live.http.post(f"/api/cafes/{cafe['id']}/rounds", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    first = await listener.expect("event", topic=f"cafe:{cafe['id']}", type="cafe.round_started")
    assert first["data"]["seating"][str(ana.id)] == b and first["data"]["seating"][str(bo.id)] == a
    # The round's end passes (as stored); the clock, polling, says so and rotates.
    await db.execute(
        update(Cafe).where(Cafe.id == cafe["id"]).values(round_ends_at=utcnow() - timedelta(seconds=1))
    )
    await db.commit()
    ended = await listener.expect("event", topic=f"cafe:{cafe['id']}", type="cafe.round_ended")
    assert ended["data"]["round"] == 1 and ended["data"]["auto_rotate"] is True
    second = await listener.expect("event", topic=f"cafe:{cafe['id']}", type="cafe.round_started")
    assert second["data"]["round"] == 2 and second["data"]["auto"] is True
    assert second["data"]["seating"][str(ana.id)] == c and second["data"]["seating"][str(bo.id)] == c
    for peer in peers:
        await peer.close()
