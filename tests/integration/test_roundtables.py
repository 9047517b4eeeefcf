"""Round tables over HTTP: the queue's rules, capacities, the floor, summaries, attribution,
who may do what, bad input, events, and the archive thread."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from forum.audit.models import AuditEntry
from forum.roundtables.models import RoundTable
from forum.settings import Settings
from forum.threads.models import Post, Thread
from tests.conftest import Cast, People, Persona, make_space
from tests.helpers import WORKSHOP, assert_gap_free, assert_problem, events, fetch, workshop
from tests.queries import count_app_queries


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Every request reads its viewer (no viewer remembered by the process,
    # forum.spaces.viewer_cache), so that two requests compared here cost alike whichever
    # token was used before.
    return replace(settings, viewer_cache_seconds=0)


async def open_rt(client: AsyncTestClient, who: Persona, *, slug: str = WORKSHOP, **body: object) -> dict:
    payload = {"question": "How do NMAs reach local communities?", "turn_seconds": 180} | body
    resp = await client.post(f"/api/spaces/{slug}/roundtables", json=payload, headers=who.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def ask(client: AsyncTestClient, rt: dict, who: Persona, **body: object) -> dict:
    resp = await client.post(f"/api/roundtables/{rt['id']}/requests", json=body, headers=who.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def chair(client: AsyncTestClient, rt: dict, who: Persona, action: str, **body: object) -> dict:
    resp = await client.post(f"/api/roundtables/{rt['id']}/{action}", json=body, headers=who.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def set_organisation(client: AsyncTestClient, admin: Persona, who: Persona, name: str) -> None:
    resp = await client.patch(f"/api/users/{who.id}", json={"organisation": name}, headers=admin.headers)
    assert resp.status_code == 200, resp.text


def queue_of(view: dict) -> list[tuple[int, str]]:
    return [(r["user"]["id"], r["capacity"]["kind"]) for r in view["queue"]]


# --- the whole flow --------------------------------------------------------------------


async def test_the_whole_flow_and_its_archive(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await workshop(client, cast)
    mys = await people.make("focal_point", name="Aida", party="MYS")
    await set_organisation(client, cast.admin, cast.observer, "CGIAR")
    rt = await open_rt(client, cast.moderator)
    assert rt["state"] == "open" and rt["queue"] == [] and rt["floor"] is None
    assert rt["chair"]["id"] == cast.moderator.id and rt["policy"] == "request_order"
    # Anyone who may read the space sees it, and the space lists it.
    assert (await client.get(f"/api/roundtables/{rt['id']}")).json()["question"] == rt["question"]
    listed = (await client.get(f"/api/spaces/{WORKSHOP}/roundtables")).json()
    assert [r["id"] for r in listed["items"]] == [rt["id"]]

    await ask(client, rt, mys, capacity="party")
    await ask(client, rt, cast.lcipp, capacity="fwg")
    view = await ask(client, rt, cast.observer, capacity="observer", attribution="anonymous")
    assert queue_of(view) == [(mys.id, "party"), (cast.lcipp.id, "fwg"), (cast.observer.id, "observer")]
    assert [r["capacity"]["label"] for r in view["queue"]] == [
        "Malaysia",
        "LCIPP Facilitative Working Group",
        "CGIAR",
    ]
    assert [r["position"] for r in view["queue"]] == [1, 2, 3]

    view = await chair(client, rt, cast.moderator, "floor")
    floor = view["floor"]
    assert floor["speaker"]["id"] == mys.id and floor["number"] == 1
    assert floor["ends_at"] > floor["started_at"] and floor["ended_at"] is None
    assert view["turn_reminded"] is False
    assert queue_of(view) == [(cast.lcipp.id, "fwg"), (cast.observer.id, "observer")]
    # One turn at a time.
    resp = await client.post(f"/api/roundtables/{rt['id']}/floor", json={}, headers=cast.moderator.headers)
    assert_problem(resp, 409, names="end the turn")
    # The speaker writes their own summary; the chair ends the turn.
    resp = await client.put(
        f"/api/interventions/{floor['id']}/summary",
        json={"summary": "Certificates reward forest conservation."},
        headers=mys.headers,
    )
    assert resp.status_code == 200, resp.text
    view = await chair(client, rt, cast.moderator, "end-turn")
    assert view["floor"] is None
    done = view["interventions"][0]
    assert done["ended_at"] is not None and done["duration_seconds"] >= 0
    assert done["summary"] == "Certificates reward forest conservation." and done["summary_by"] == mys.id
    assert done["attributed_as"] == "the representative of Malaysia"

    await chair(client, rt, cast.moderator, "floor")
    await chair(client, rt, cast.moderator, "end-turn")
    view = await chair(client, rt, cast.moderator, "floor")
    third = view["floor"]
    assert third["speaker"]["id"] == cast.observer.id and third["attribution"] == "anonymous"
    # The chair writes this one; the speaker changes their mind about the attribution.
    resp = await client.put(
        f"/api/interventions/{third['id']}/summary",
        json={"summary": "Research partnerships help."},
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 200
    resp = await client.put(
        f"/api/interventions/{view['interventions'][1]['id']}/attribution",
        json={"attribution": "anonymous"},
        headers=cast.lcipp.headers,
    )
    assert resp.status_code == 200, resp.text

    resp = await client.post(f"/api/roundtables/{rt['id']}/close", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    thread_id = resp.json()["thread_id"]
    # Closing again answers the same thread.
    again = await client.post(f"/api/roundtables/{rt['id']}/close", headers=cast.moderator.headers)
    assert again.json()["thread_id"] == thread_id
    closed = (await client.get(f"/api/roundtables/{rt['id']}")).json()
    assert closed["state"] == "closed" and closed["thread_id"] == thread_id and closed["floor"] is None
    ended = closed["interventions"][2]
    assert ended["ended_at"] is not None
    # An anonymous intervention, once over, names nobody to everyone else...
    assert (
        ended["speaker"] is None and ended["capacity"] is None and ended["attributed_as"] == "a participant"
    )
    # ...while its speaker and the chair still see who it was.
    own = (await client.get(f"/api/roundtables/{rt['id']}", headers=cast.observer.headers)).json()
    assert own["interventions"][2]["speaker"]["id"] == cast.observer.id

    thread = (await fetch(db, select(Thread).where(Thread.id == thread_id)))[0]
    assert thread.title == "Round table: How do NMAs reach local communities?"
    body = (await fetch(db, select(Post).where(Post.thread_id == thread_id).order_by(Post.id)))[0].body
    assert "How do NMAs reach local communities?" in body
    first = body.index("### 1. The representative of Malaysia")
    second = body.index("### 2. A participant")
    third_at = body.index("### 3. A participant")
    assert first < second < third_at
    assert "Certificates reward forest conservation." in body and "Research partnerships help." in body
    assert "Aida" not in body

    stored = await events(db, f"roundtable:{rt['id']}")
    assert_gap_free(stored)
    assert [e.type for e in stored] == [
        "roundtable.opened",
        "roundtable.floor_requested",
        "roundtable.floor_requested",
        "roundtable.floor_requested",
        "roundtable.floor_given",
        "roundtable.summary_recorded",
        "roundtable.turn_ended",
        "roundtable.floor_given",
        "roundtable.turn_ended",
        "roundtable.floor_given",
        "roundtable.summary_recorded",
        "roundtable.attribution_set",
        "roundtable.closed",
    ]
    assert stored[4].data["ends_at"] == stored[4].data["roundtable"]["floor"]["ends_at"]
    assert stored[-1].data["thread_id"] == thread_id
    actions = [e.action for e in await fetch(db, select(AuditEntry).order_by(AuditEntry.id))]
    for action in ("roundtable.open", "roundtable.give_floor", "roundtable.end_turn", "roundtable.summary"):
        assert action in actions
    assert actions[-1] == "roundtable.close"


# --- the queue's rules -------------------------------------------------------------------


async def test_queue_order_moves_skips_withdrawals_and_out_of_order_floor(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await workshop(client, cast)
    a, b, c, d = [await people.make("focal_point", party=p) for p in ("JPN", "MYS", "BOL", "CHL")]
    rt = await open_rt(client, cast.moderator)
    for who in (a, b, c, d):
        view = await ask(client, rt, who, capacity="party")
    assert [u for u, _ in queue_of(view)] == [a.id, b.id, c.id, d.id]
    requests = {r["user"]["id"]: r["id"] for r in view["queue"]}
    # A second request while one waits is refused.
    resp = await client.post(
        f"/api/roundtables/{rt['id']}/requests", json={"capacity": "party"}, headers=a.headers
    )
    assert_problem(resp, 409)
    # Move d to the head, skip b, c withdraws.
    view = await chair(client, rt, cast.moderator, "move", request_id=requests[d.id], position=1)
    assert [u for u, _ in queue_of(view)] == [d.id, a.id, b.id, c.id]
    view = await chair(client, rt, cast.moderator, "move", request_id=requests[a.id], position=99)
    assert [u for u, _ in queue_of(view)] == [d.id, b.id, c.id, a.id]
    view = await chair(client, rt, cast.moderator, "skip", request_id=requests[b.id])
    assert [u for u, _ in queue_of(view)] == [d.id, c.id, a.id]
    resp = await client.post(f"/api/roundtables/{rt['id']}/withdraw", headers=c.headers)
    assert resp.status_code == 200 and [u for u, _ in queue_of(resp.json())] == [d.id, a.id]
    assert_problem(await client.post(f"/api/roundtables/{rt['id']}/withdraw", headers=c.headers), 404)
    # c may ask again after withdrawing, and goes to the end.
    view = await ask(client, rt, c, capacity="party")
    assert [u for u, _ in queue_of(view)] == [d.id, a.id, c.id]
    # The chair gives the floor out of order: a, not d.
    view = await chair(client, rt, cast.moderator, "floor", request_id=requests[a.id])
    assert view["floor"]["speaker"]["id"] == a.id
    assert [u for u, _ in queue_of(view)] == [d.id, c.id]
    # A skipped or withdrawn request cannot be given the floor, nor moved.
    await chair(client, rt, cast.moderator, "end-turn")
    for action, body in (("floor", {}), ("move", {"position": 1}), ("skip", {})):
        resp = await client.post(
            f"/api/roundtables/{rt['id']}/{action}",
            json={"request_id": requests[b.id], **body},
            headers=cast.moderator.headers,
        )
        assert_problem(resp, 409)
    skipped = await fetch(db, select(AuditEntry).where(AuditEntry.action == "roundtable.skip"))
    assert [e.after["user_id"] for e in skipped] == [b.id]
    moves = await fetch(db, select(AuditEntry).where(AuditEntry.action == "roundtable.move"))
    assert len(moves) == 2
    # An empty queue has no floor to give.
    await chair(client, rt, cast.moderator, "floor")
    await chair(client, rt, cast.moderator, "end-turn")
    await chair(client, rt, cast.moderator, "floor")
    await chair(client, rt, cast.moderator, "end-turn")
    resp = await client.post(f"/api/roundtables/{rt['id']}/floor", json={}, headers=cast.moderator.headers)
    assert_problem(resp, 409, names="nobody")
    assert_problem(
        await client.post(f"/api/roundtables/{rt['id']}/end-turn", headers=cast.moderator.headers), 409
    )


async def test_parties_first_policy(client: AsyncTestClient, cast: Cast, people: People) -> None:
    await workshop(client, cast)
    await set_organisation(client, cast.admin, cast.observer, "PBFCC")
    await set_organisation(client, cast.admin, cast.other_observer, "CGIAR")
    jpn = await people.make("focal_point", party="JPN")
    bol = await people.make("focal_point", party="BOL")
    rt = await open_rt(client, cast.moderator, policy="parties_first")
    await ask(client, rt, cast.observer, capacity="observer")
    await ask(client, rt, jpn, capacity="party")
    await ask(client, rt, cast.lcipp, capacity="lcipp")
    await ask(client, rt, cast.other_observer, capacity="observer", organisation="CGIAR")
    view = await ask(client, rt, bol, capacity="party", party="BOL")
    assert queue_of(view) == [
        (jpn.id, "party"),
        (bol.id, "party"),
        (cast.observer.id, "observer"),
        (cast.lcipp.id, "lcipp"),
        (cast.other_observer.id, "observer"),
    ]
    # Under the default policy the same requests keep their order.
    plain = await open_rt(client, cast.moderator)
    await ask(client, plain, cast.observer, capacity="observer")
    view = await ask(client, plain, jpn, capacity="party")
    assert queue_of(view) == [(cast.observer.id, "observer"), (jpn.id, "party")]


# --- capacities --------------------------------------------------------------------------


async def test_capacity_is_checked_against_who_asks(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    await workshop(client, cast)
    rt = await open_rt(client, cast.moderator)
    url = f"/api/roundtables/{rt['id']}/requests"
    refused = [
        (cast.focal_point, {"capacity": "party", "party": "MYS"}, "party"),  # holds JPN
        (cast.focal_point, {"capacity": "lcipp"}, "capacity"),
        (cast.focal_point, {"capacity": "observer"}, "capacity"),
        (cast.lcipp, {"capacity": "party"}, "capacity"),
        (cast.lcipp, {"capacity": "observer", "organisation": "WWF"}, "organisation"),
        (cast.observer, {"capacity": "observer"}, "capacity"),  # no organisation on the profile
        (cast.observer, {"capacity": "party", "party": "JPN"}, "party"),
        (cast.observer, {"capacity": "secretariat"}, "capacity"),
        (cast.lcipp, {"capacity": "lcipp", "party": "JPN"}, "party"),
        (cast.lcipp, {"capacity": "fwg", "organisation": "X"}, "organisation"),
    ]
    for who, body, field in refused:
        problem = assert_problem(await client.post(url, json=body, headers=who.headers), 422)
        assert problem.get("field") == field, (body, problem)
    await set_organisation(client, cast.admin, cast.observer, "CGIAR")
    problem = assert_problem(
        await client.post(
            url, json={"capacity": "observer", "organisation": "WWF"}, headers=cast.observer.headers
        ),
        422,
        names="CGIAR",
    )
    assert problem["field"] == "organisation"
    for who, body in (
        (cast.focal_point, {"capacity": "party", "party": "JPN"}),
        (cast.lcipp, {"capacity": "lcipp"}),
        (cast.observer, {"capacity": "observer", "organisation": "CGIAR"}),
        (cast.admin, {"capacity": "secretariat"}),
    ):
        view = await ask(client, rt, who, **body)
    assert [r["capacity"]["code"] for r in view["queue"]] == ["JPN", None, "CGIAR", None]


# --- who may do what ---------------------------------------------------------------------


async def test_authorization_matrix(client: AsyncTestClient, cast: Cast, people: People) -> None:
    await workshop(client, cast)
    await make_space(client, cast.admin, "other-workshop", kind="workshop")
    elsewhere = await people.make("observer", name="Elsewhere")
    resp = await client.put(
        "/api/spaces/other-workshop/moderators", json={"user_ids": [elsewhere.id]}, headers=cast.admin.headers
    )
    assert resp.status_code == 200
    space_mod = await people.make("observer", name="Space mod")
    resp = await client.put(
        f"/api/spaces/{WORKSHOP}/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )
    assert resp.status_code == 200
    good = {"question": "Q?", "turn_seconds": 60}
    url = f"/api/spaces/{WORKSHOP}/roundtables"
    assert_problem(await client.post(url, json=good), 401)
    for who in (cast.observer, cast.focal_point, cast.lcipp, elsewhere):
        assert_problem(await client.post(url, json=good, headers=who.headers), 403)
    for who in (space_mod, cast.moderator, cast.admin):
        assert (await client.post(url, json=good, headers=who.headers)).status_code == 201
    rt = await open_rt(client, space_mod)
    await ask(client, rt, cast.focal_point, capacity="party")
    request_id = (await client.get(f"/api/roundtables/{rt['id']}")).json()["queue"][0]["id"]
    chair_calls = [
        ("floor", {"request_id": request_id}),
        ("move", {"request_id": request_id, "position": 1}),
        ("skip", {"request_id": request_id}),
        ("end-turn", None),
        ("close", None),
    ]
    for action, body in chair_calls:
        path = f"/api/roundtables/{rt['id']}/{action}"
        assert_problem(await client.post(path, json=body), 401)
        for who in (cast.observer, cast.focal_point, cast.lcipp, elsewhere):
            assert_problem(await client.post(path, json=body, headers=who.headers), 403)
    # Requests need a sign-in.
    assert_problem(
        await client.post(f"/api/roundtables/{rt['id']}/requests", json={"capacity": "party"}), 401
    )
    view = await chair(client, rt, cast.admin, "floor")
    intervention = view["floor"]["id"]
    # Summaries: the speaker, the chair, a rapporteur; nobody else. Attribution: the speaker only.
    for who in (cast.observer, cast.lcipp, elsewhere):
        resp = await client.put(
            f"/api/interventions/{intervention}/summary", json={"summary": "x"}, headers=who.headers
        )
        assert_problem(resp, 403)
    for who in (cast.moderator, cast.observer):
        resp = await client.put(
            f"/api/interventions/{intervention}/attribution",
            json={"attribution": "anonymous"},
            headers=who.headers,
        )
        assert_problem(resp, 403)
    with_rapporteur = await open_rt(client, cast.moderator, rapporteur_ids=[cast.lcipp.id])
    assert with_rapporteur["rapporteur_ids"] == [cast.lcipp.id]
    await ask(client, with_rapporteur, cast.focal_point, capacity="party")
    floor = (await chair(client, with_rapporteur, cast.moderator, "floor"))["floor"]
    resp = await client.put(
        f"/api/interventions/{floor['id']}/summary",
        json={"summary": "By the rapporteur"},
        headers=cast.lcipp.headers,
    )
    assert resp.status_code == 200 and resp.json()["floor"]["summary"] == "By the rapporteur"


async def test_a_roundtable_in_a_restricted_space_does_not_exist_for_others(
    client: AsyncTestClient, cast: Cast
) -> None:
    await make_space(
        client, cast.admin, "lcipp-room", kind="workshop", visibility="restricted", allowed_roles=["lcipp"]
    )
    rt = await open_rt(client, cast.admin, slug="lcipp-room")
    view = await ask(client, rt, cast.lcipp, capacity="lcipp")
    assert len(view["queue"]) == 1
    for headers in ({}, cast.observer.headers, cast.focal_point.headers):
        assert_problem(await client.get(f"/api/roundtables/{rt['id']}", headers=headers), 404)
        assert_problem(await client.get("/api/spaces/lcipp-room/roundtables", headers=headers), 404)
    resp = await client.post(
        f"/api/roundtables/{rt['id']}/requests", json={"capacity": "party"}, headers=cast.focal_point.headers
    )
    assert_problem(resp, 404)
    intervention = (await chair(client, rt, cast.admin, "floor"))["floor"]["id"]
    resp = await client.put(
        f"/api/interventions/{intervention}/summary", json={"summary": "x"}, headers=cast.focal_point.headers
    )
    assert_problem(resp, 404)
    assert (await client.get(f"/api/roundtables/{rt['id']}", headers=cast.lcipp.headers)).status_code == 200


# --- bad input -----------------------------------------------------------------------------


async def test_bad_input_is_a_problem_naming_the_field(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    await workshop(client, cast)
    await make_space(client, cast.admin, "subaru", kind="nma")
    url = f"/api/spaces/{WORKSHOP}/roundtables"
    good = {"question": "Q?", "turn_seconds": 60}
    for body, field in (
        (good | {"turn_seconds": 29}, "turn_seconds"),
        (good | {"turn_seconds": 1801}, "turn_seconds"),
        (good | {"turn_seconds": "60"}, "turn_seconds"),
        (good | {"question": "  "}, "question"),
        (good | {"question": "x" * 1001}, "question"),
        (good | {"policy": "loudest_first"}, "policy"),
        (good | {"rapporteur_ids": [999_999]}, "rapporteur_ids"),
        (good | {"chair": 1}, None),
        ({"turn_seconds": 60}, "question"),
    ):
        problem = assert_problem(
            await client.post(url, json=body, headers=cast.moderator.headers), (400, 422)
        )
        if field is not None:
            assert problem.get("field") == field, (body, problem)
    problem = assert_problem(
        await client.post("/api/spaces/subaru/roundtables", json=good, headers=cast.moderator.headers), 422
    )
    assert problem["field"] == "slug"
    rt = await open_rt(client, cast.moderator)
    base = f"/api/roundtables/{rt['id']}"
    for path, body, field in (
        ("/requests", {"capacity": "king"}, "capacity"),
        ("/requests", {"capacity": "party", "party": "ZZZ"}, "party"),
        ("/requests", {"capacity": "party", "attribution": "loud"}, "attribution"),
        ("/requests", {}, "capacity"),
        ("/move", {"request_id": 1, "position": 0}, "position"),
        ("/move", {"request_id": "1", "position": 1}, "request_id"),
        ("/move", {"request_id": 999, "position": 1}, "request_id"),
        ("/skip", {"request_id": 999}, "request_id"),
        ("/floor", {"request_id": 999}, "request_id"),
        ("/floor", {"request_id": -1}, "request_id"),
    ):
        who = cast.moderator if path != "/requests" else cast.focal_point
        problem = assert_problem(await client.post(base + path, json=body, headers=who.headers), (400, 422))
        assert problem.get("field") == field, (path, body, problem)
    assert_problem(await client.get("/api/roundtables/01"), (400, 404))
    assert_problem(await client.get("/api/roundtables/999999"), 404)
    await ask(client, rt, cast.focal_point, capacity="party")
    floor = (await chair(client, rt, cast.moderator, "floor"))["floor"]
    for body, field in (({"summary": " "}, "summary"), ({"summary": "x" * 5001}, "summary"), ({}, "summary")):
        resp = await client.put(
            f"/api/interventions/{floor['id']}/summary", json=body, headers=cast.moderator.headers
        )
        assert assert_problem(resp, (400, 422)).get("field") == field
    resp = await client.put(
        f"/api/interventions/{floor['id']}/attribution",
        json={"attribution": "x"},
        headers=cast.focal_point.headers,
    )
    assert assert_problem(resp, (400, 422)).get("field") == "attribution"
    # A closed round table takes nothing more.
    await client.post(f"{base}/close", headers=cast.moderator.headers)
    assert_problem(
        await client.post(f"{base}/requests", json={"capacity": "lcipp"}, headers=cast.lcipp.headers), 409
    )
    resp = await client.put(
        f"/api/interventions/{floor['id']}/summary", json={"summary": "late"}, headers=cast.moderator.headers
    )
    assert_problem(resp, 409)


# --- the reminder ---------------------------------------------------------------------------


async def test_the_reminder_goes_out_once_when_the_time_is_up(
    client: AsyncTestClient, cast: Cast, db: AsyncSession, settings
) -> None:
    from forum.lib.db import create_engine, make_sessionmaker
    from forum.lib.db import utcnow as now
    from forum.roundtables.timer import remind_due

    await workshop(client, cast)
    rt = await open_rt(client, cast.moderator)
    await ask(client, rt, cast.focal_point, capacity="party")
    view = await chair(client, rt, cast.moderator, "floor")
    engine = create_engine(settings)
    try:
        sessions = make_sessionmaker(engine)
        # Not due yet: nothing is announced.
        await remind_due(sessions)
        assert [e.type for e in await events(db, f"roundtable:{rt['id']}")][-1] == "roundtable.floor_given"
        # The turn's end passes (as stored): the next look announces it, and only once.
        await db.execute(
            update(RoundTable)
            .where(RoundTable.id == rt["id"])
            .values(turn_ends_at=now() - timedelta(seconds=1))
        )
        await db.commit()
        await remind_due(sessions)
        await remind_due(sessions)
    finally:
        await engine.dispose()
    stored = await events(db, f"roundtable:{rt['id']}")
    assert [e.type for e in stored].count("roundtable.time_up") == 1
    assert stored[-1].type == "roundtable.time_up"
    assert stored[-1].data["intervention_id"] == view["floor"]["id"]
    assert stored[-1].data["roundtable"]["turn_reminded"] is True
    # The speaker is reminded, not cut off: the floor is still theirs until the chair ends it.
    assert (await client.get(f"/api/roundtables/{rt['id']}")).json()["floor"]["id"] == view["floor"]["id"]


# --- what a read costs ---------------------------------------------------------------------


async def test_reading_a_round_table_costs_the_same_statements_however_long_its_queue(
    client: AsyncTestClient, app: Litestar, cast: Cast, people: People
) -> None:
    await workshop(client, cast)
    small = await open_rt(client, cast.moderator)
    large = await open_rt(client, cast.moderator)
    await ask(client, small, cast.lcipp, capacity="lcipp")
    speakers = [await people.make("focal_point", party=p) for p in ("JPN", "MYS", "BOL", "CHL", "PER", "KEN")]
    for who in speakers:
        await ask(client, large, who, capacity="party")
    for _ in range(3):
        await chair(client, large, cast.moderator, "floor")
        await chair(client, large, cast.moderator, "end-turn")
    logs = []
    for rt in (small, large):
        with count_app_queries(app) as queries:
            resp = await client.get(f"/api/roundtables/{rt['id']}", headers=cast.observer.headers)
        assert resp.status_code == 200
        logs.append(queries.labels())
    assert len(resp.json()["queue"]) == 3 and len(resp.json()["interventions"]) == 3
    assert logs[0] == logs[1], "\n".join(map(str, logs))
    assert logs[1] == [
        # The viewer, when the process does not remember it, in its own short read
        # (forum.spaces.viewers): the request's session is not opened for it.
        "begin",
        "select users",
        "rollback",
        "begin",
        "select roundtables",
        "select spaces",
        "select spaces",  # the slugs of the views
        "select roundtable_requests",
        "select roundtable_interventions",
        "select users",  # every chair, requester and speaker at once
        "rollback",  # a read ends its transaction
    ], logs[1]
