"""World café over HTTP: who may do what, seating, messages, harvests, the archive, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.audit.models import AuditEntry
from forum.cafes.models import Cafe, CafeVisit, TableMessage
from forum.threads.models import Post, Thread
from tests.conftest import Cast, People, Persona, make_space
from tests.helpers import WORKSHOP, assert_gap_free, create_cafe, events, fetch, join, say, setup, workshop

# --- creating and reading ------------------------------------------------------------------


async def test_moderator_creates_a_cafe_everyone_may_read_it(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, hosts = await setup(client, cast, people)
    assert cafe["space"] == WORKSHOP
    assert cafe["state"] == "open"
    assert cafe["round"] == 0
    assert cafe["round_ends_at"] is None
    assert [t["topic"] for t in cafe["tables"]] == ["Topic 1", "Topic 2", "Topic 3"]
    assert [t["host"]["id"] for t in cafe["tables"]] == [h.id for h in hosts]
    assert cafe["tables"][0]["host"] == {
        "id": hosts[0].id,
        "display_name": "Host 1",
        "role": "focal_point",
        "party": "JPN",
    }
    assert all(t["participant_ids"] == [] and t["harvest"] == "" for t in cafe["tables"])
    # Anonymous readers of a public space see it, and the space lists it.
    got = await client.get(f"/api/cafes/{cafe['id']}")
    assert got.status_code == 200 and got.json() == cafe
    listed = await client.get(f"/api/spaces/{WORKSHOP}/cafes")
    assert [c["id"] for c in listed.json()["items"]] == [cafe["id"]]
    log = await fetch(db, select(AuditEntry).where(AuditEntry.action == "cafe.create"))
    assert [(e.actor_id, e.target_id) for e in log] == [(cast.moderator.id, cafe["id"])]


async def test_a_space_moderator_who_is_no_global_moderator_may_create(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    await workshop(client, cast)
    resp = await client.put(
        f"/api/spaces/{WORKSHOP}/moderators", json={"user_ids": [cast.lcipp.id]}, headers=cast.admin.headers
    )
    assert resp.status_code == 200
    await create_cafe(client, cast.lcipp, [cast.focal_point])


async def test_who_may_not_create_and_what_input_is_refused(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await workshop(client, cast)
    await make_space(client, cast.admin, "subaru", kind="nma")
    await make_space(
        client, cast.admin, "lcipp-room", kind="workshop", visibility="restricted", allowed_roles=["lcipp"]
    )
    host = cast.focal_point
    good = {"title": "Café", "round_seconds": 600, "tables": [{"topic": "A", "host_id": host.id}]}
    for who in (cast.observer, cast.focal_point, cast.lcipp):
        resp = await client.post(f"/api/spaces/{WORKSHOP}/cafes", json=good, headers=who.headers)
        assert resp.status_code == 403, resp.text
    assert (await client.post(f"/api/spaces/{WORKSHOP}/cafes", json=good)).status_code == 401
    bad_bodies = [
        good | {"round_seconds": 59},
        good | {"round_seconds": 7201},
        good | {"tables": []},
        good | {"tables": [{"topic": f"T{i}", "host_id": host.id} for i in range(51)]},
        good | {"title": ""},
        good | {"tables": [{"topic": "", "host_id": host.id}]},
        good | {"title": "   "},
        good | {"tables": [{"topic": " ", "host_id": host.id}]},
        good | {"tables": [{"topic": "A"}]},
        good | {"unknown": 1},
        good | {"tables": [{"topic": "A", "host_id": host.id}, {"topic": "B", "host_id": host.id}]},
        good | {"tables": [{"topic": "A", "host_id": 999_999}]},
    ]
    for body in bad_bodies:
        resp = await client.post(f"/api/spaces/{WORKSHOP}/cafes", json=body, headers=cast.moderator.headers)
        assert resp.status_code in (400, 422), (body, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["detail"]
    distinct = await client.post(
        f"/api/spaces/{WORKSHOP}/cafes",
        json=good | {"tables": [{"topic": "A", "host_id": host.id}, {"topic": "B", "host_id": host.id}]},
        headers=cast.moderator.headers,
    )
    assert "already hosts" in distinct.json()["detail"]
    # Only workshop spaces hold cafés.
    resp = await client.post("/api/spaces/subaru/cafes", json=good, headers=cast.moderator.headers)
    assert resp.status_code == 422 and "workshop" in resp.json()["detail"]
    # A host must be able to see the space.
    resp = await client.post("/api/spaces/lcipp-room/cafes", json=good, headers=cast.moderator.headers)
    assert resp.status_code == 422 and "may not see" in resp.json()["detail"]
    assert await fetch(db, select(func.count()).select_from(Cafe)) == [0]


async def test_a_restricted_spaces_cafe_does_not_exist_for_outsiders(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    hosts = [await people.make("lcipp"), await people.make("lcipp")]
    await workshop(client, cast, visibility="restricted", allowed_roles=["lcipp"])
    cafe = await create_cafe(client, cast.moderator, hosts)
    table_id = cafe["tables"][0]["id"]
    for who in (None, cast.observer, cast.focal_point):
        headers = who.headers if who else {}
        assert (await client.get(f"/api/cafes/{cafe['id']}", headers=headers)).status_code == 404
        assert (await client.get(f"/api/spaces/{WORKSHOP}/cafes", headers=headers)).status_code == 404
        assert (await client.get(f"/api/tables/{table_id}/messages", headers=headers)).status_code == 404
        if who:
            assert (await client.post(f"/api/cafes/{cafe['id']}/join", headers=headers)).status_code == 404
            assert (await say(client, table_id, who, "hello")).status_code == 404
    assert (await client.get(f"/api/cafes/{cafe['id']}", headers=cast.lcipp.headers)).status_code == 200
    assert await join(client, cafe["id"], cast.lcipp) in {t["id"] for t in cafe["tables"]}


# --- seating ------------------------------------------------------------------------------


async def test_joining_fills_the_least_full_table_hosts_sit_at_their_own(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, hosts = await setup(client, cast, people)
    ids = [t["id"] for t in cafe["tables"]]
    joiners = [await people.make("observer") for _ in range(5)]
    seats = [await join(client, cafe["id"], p) for p in joiners]
    # Least full, ties to the lowest position: 1, 2, 3, 1, 2.
    assert seats == [ids[0], ids[1], ids[2], ids[0], ids[1]]
    # A host is seated at their own table, however full it is.
    assert await join(client, cafe["id"], hosts[0]) == ids[0]
    # Joining again keeps the seat.
    assert await join(client, cafe["id"], joiners[0]) == ids[0]
    got = (await client.get(f"/api/cafes/{cafe['id']}")).json()
    assert [t["participant_ids"] for t in got["tables"]] == [
        sorted([joiners[0].id, joiners[3].id]),
        sorted([joiners[1].id, joiners[4].id]),
        [joiners[2].id],
    ]
    assert (await client.post(f"/api/cafes/{cafe['id']}/join")).status_code == 401
    evs = await events(db, f"cafe:{cafe['id']}")
    assert [e.type for e in evs] == ["cafe.updated"] * 5
    assert_gap_free(evs)
    assert evs[-1].data["tables"][1]["participant_ids"] == sorted([joiners[1].id, joiners[4].id])


async def test_rounds_move_everyone_to_a_new_table_hosts_stay(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, hosts = await setup(client, cast, people)
    ids = [t["id"] for t in cafe["tables"]]
    joiners = [await people.make("observer") for _ in range(7)]
    for p in joiners:
        await join(client, cafe["id"], p)
    for who in (joiners[0], hosts[0], cast.focal_point):
        assert (await client.post(f"/api/cafes/{cafe['id']}/rounds", headers=who.headers)).status_code == 403
    history: dict[int, list[int]] = {p.id: [] for p in joiners}
    current = (await client.get(f"/api/cafes/{cafe['id']}")).json()
    for t in current["tables"]:
        for uid in t["participant_ids"]:
            history[uid].append(t["id"])
    for r in range(1, 6):
        before = datetime.now(UTC)
        resp = await client.post(f"/api/cafes/{cafe['id']}/rounds", headers=cast.moderator.headers)
        after = datetime.now(UTC)
        assert resp.status_code == 200, resp.text
        got = resp.json()
        assert got["state"] == "running" and got["round"] == r
        ends = datetime.fromisoformat(got["round_ends_at"].replace("Z", "+00:00"))
        assert before + timedelta(seconds=900) <= ends + timedelta(seconds=1)
        assert ends <= after + timedelta(seconds=901)
        assert [t["host"]["id"] for t in got["tables"]] == [h.id for h in hosts]
        sizes = [len(t["participant_ids"]) for t in got["tables"]]
        # Everyone joined before the first round: the rotation keeps sizes within 1.
        assert sorted(sizes) == [2, 2, 3]
        for t in got["tables"]:
            for uid in t["participant_ids"]:
                seen = history[uid]
                if len(set(seen)) < len(ids):
                    assert t["id"] not in seen, f"round {r}: {uid} went back while a table was new to them"
                else:
                    assert t["id"] != seen[-1]
                seen.append(t["id"])
        assert sum(len(t["participant_ids"]) for t in got["tables"]) == len(joiners)
    evs = await events(db, f"cafe:{cafe['id']}")
    assert_gap_free(evs)
    started = [e for e in evs if e.type == "cafe.round_started"]
    assert [e.data["round"] for e in started] == [1, 2, 3, 4, 5]
    last = started[-1].data
    final = (await client.get(f"/api/cafes/{cafe['id']}")).json()
    assert last["ends_at"] == final["round_ends_at"]
    expected = {str(h.id): tid for h, tid in zip(hosts, ids, strict=True)}
    for t in final["tables"]:
        expected |= {str(uid): t["id"] for uid in t["participant_ids"]}
    assert last["seating"] == expected
    visits = await fetch(db, select(CafeVisit).where(CafeVisit.user_id == joiners[0].id))
    assert sorted(v.round for v in visits) == [0, 1, 2, 3, 4, 5]


async def test_announcements_reach_the_cafe_topic(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, hosts = await setup(client, cast, people)
    url = f"/api/cafes/{cafe['id']}/announce"
    for who in (cast.observer, hosts[0]):
        assert (await client.post(url, json={"text": "hi"}, headers=who.headers)).status_code == 403
    assert (await client.post(url, json={"text": ""}, headers=cast.moderator.headers)).status_code in (
        400,
        422,
    )
    resp = await client.post(url, json={"text": "Five minutes left"}, headers=cast.moderator.headers)
    assert resp.status_code == 204
    evs = await events(db, f"cafe:{cafe['id']}")
    assert [(e.seq, e.type) for e in evs] == [(1, "cafe.announcement")]
    assert evs[0].data["text"] == "Five minutes left"
    assert evs[0].data["by"]["id"] == cast.moderator.id
    assert evs[0].data["at"]


# --- table messages ---------------------------------------------------------------------


async def test_messages_numbered_idempotent_and_resumable(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, hosts = await setup(client, cast, people, tables=2)
    a, b = cafe["tables"][0]["id"], cafe["tables"][1]["id"]
    ana, bo = cast.observer, cast.other_observer
    assert await join(client, cafe["id"], ana) == a
    assert await join(client, cafe["id"], bo) == b
    first = await say(client, a, ana, "**Hello** <script>alert(1)</script>", client_id="c-1")
    assert first.status_code == 201, first.text
    m1 = first.json()
    assert m1["number"] == 1 and m1["table_id"] == a and m1["author"]["id"] == ana.id
    assert "<strong>Hello</strong>" in m1["html"] and "<script" not in m1["html"]
    again = await say(client, a, ana, "**Hello** <script>alert(1)</script>", client_id="c-1")
    assert again.status_code == 200 and again.json()["id"] == m1["id"]
    # The same client_id at another table is a conflict, not a second message.
    assert (await say(client, b, ana, "elsewhere", client_id="c-1")).status_code in (404, 409)
    assert (await say(client, a, hosts[0], "Welcome, I host this table")).json()["number"] == 2
    assert (await say(client, a, cast.moderator, "Moderator passing by")).json()["number"] == 3
    assert (await say(client, a, ana, "Our NMA is SUBARU")).json()["number"] == 4
    stored = await fetch(
        db, select(TableMessage).where(TableMessage.table_id == a).order_by(TableMessage.number)
    )
    assert [m.number for m in stored] == [1, 2, 3, 4]
    # Resume after number 2, and in pages.
    page = (await client.get(f"/api/tables/{a}/messages?after=2", headers=ana.headers)).json()
    assert [m["number"] for m in page["items"]] == [3, 4]
    page = (await client.get(f"/api/tables/{a}/messages?limit=3", headers=hosts[0].headers)).json()
    assert [m["number"] for m in page["items"]] == [1, 2, 3] and page["next"] == "3"
    # Bob sits elsewhere and never sat here: the table does not exist for him.
    assert (await say(client, a, bo, "can I?")).status_code == 404
    assert (await client.get(f"/api/tables/{a}/messages", headers=bo.headers)).status_code == 404
    assert (await client.get(f"/api/tables/{a}/messages")).status_code == 404
    # Numbers at table b start at 1.
    assert (await say(client, b, bo, "Table b speaks")).json()["number"] == 1
    # Bad input: empty, too long.
    assert (await say(client, a, ana, "")).status_code in (400, 422)
    assert (await say(client, a, ana, "x" * 5001)).status_code in (400, 422)
    evs = await events(db, f"table:{a}")
    assert [e.type for e in evs] == ["message.created"] * 4
    assert_gap_free(evs)
    assert evs[0].data["id"] == m1["id"] and evs[0].data["body"] == m1["body"]
    assert set(evs[0].data) >= {
        "id",
        "table_id",
        "number",
        "author",
        "body",
        "html",
        "client_id",
        "created_at",
    }


async def test_after_moving_a_participant_reads_but_no_longer_writes_the_old_table(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    cafe, _ = await setup(client, cast, people, tables=2)
    a, b = cafe["tables"][0]["id"], cafe["tables"][1]["id"]
    assert await join(client, cafe["id"], cast.observer) == a
    assert (await say(client, a, cast.observer, "round one")).status_code == 201
    await client.post(f"/api/cafes/{cafe['id']}/rounds", headers=cast.moderator.headers)
    refused = await say(client, a, cast.observer, "still here?")
    assert refused.status_code == 403
    history = await client.get(f"/api/tables/{a}/messages", headers=cast.observer.headers)
    assert [m["body"] for m in history.json()["items"]] == ["round one"]
    assert (await say(client, b, cast.observer, "round two")).status_code == 201


async def test_a_silenced_participant_reads_but_cannot_post(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, _ = await setup(client, cast, people, tables=1)
    table = await join(client, cafe["id"], cast.observer)
    silenced = await client.post(
        f"/api/users/{cast.observer.id}/silence",
        json={"reason": "cool down", "duration_seconds": 3600},
        headers=cast.moderator.headers,
    )
    assert silenced.status_code == 200, silenced.text
    assert (await say(client, table, cast.observer, "hello")).status_code == 403
    assert (
        await client.get(f"/api/tables/{table}/messages", headers=cast.observer.headers)
    ).status_code == 200


async def test_hidden_messages_only_to_author_and_moderators(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    from forum.cafes import messages
    from forum.lib.errors import Forbidden
    from forum.spaces.viewers import load_viewer

    cafe, hosts = await setup(client, cast, people, tables=1)
    table = await join(client, cafe["id"], cast.observer)
    await join(client, cafe["id"], cast.other_observer)
    msg = (await say(client, table, cast.observer, "something abusive")).json()
    await say(client, table, cast.other_observer, "a reply")

    async def viewer_of(p: Persona):
        user = (await fetch(db, select(User).where(User.id == p.id)))[0]
        return await load_viewer(db, user)

    participant = await viewer_of(cast.other_observer)
    try:
        await messages.set_message_status(db, participant, msg["id"], "hidden", "abusive")
        raise AssertionError("a participant hid a message")
    except Forbidden:
        await db.rollback()
    moderator = await viewer_of(cast.moderator)
    hidden = await messages.set_message_status(db, moderator, msg["id"], "hidden", "abusive")
    assert hidden.status == "hidden"

    async def bodies(p: Persona) -> list[str]:
        resp = await client.get(f"/api/tables/{table}/messages", headers=p.headers)
        return [m["body"] for m in resp.json()["items"]]

    assert await bodies(cast.other_observer) == ["a reply"]
    assert await bodies(hosts[0]) == ["a reply"]
    assert await bodies(cast.observer) == ["something abusive", "a reply"]
    assert await bodies(cast.moderator) == ["something abusive", "a reply"]
    evs = await events(db, f"table:{table}")
    assert_gap_free(evs)
    last = evs[-1]
    assert last.type == "message.hidden" and last.restricted
    assert last.public_type == "message.hidden"
    assert last.public_data is not None and "body" not in last.public_data
    assert last.owner_id == cast.observer.id
    await messages.set_message_status(db, await viewer_of(cast.moderator), msg["id"], "published", None)
    assert await bodies(cast.other_observer) == ["something abusive", "a reply"]
    assert (await events(db, f"table:{table}"))[-1].type == "message.updated"
    log = await fetch(
        db, select(AuditEntry).where(AuditEntry.target_type == "message").order_by(AuditEntry.id)
    )
    assert [(e.action, e.reason) for e in log] == [("message.hide", "abusive"), ("message.unhide", None)]


# --- harvest and closing ------------------------------------------------------------------


async def test_only_the_host_writes_the_harvest(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, hosts = await setup(client, cast, people, tables=2)
    table = cafe["tables"][0]["id"]
    await join(client, cafe["id"], cast.observer)
    url = f"/api/tables/{table}/harvest"
    assert (await client.put(url, json={"body": "mine"}, headers=cast.observer.headers)).status_code == 403
    assert (await client.put(url, json={"body": "mine"}, headers=cast.moderator.headers)).status_code == 403
    assert (await client.put(url, json={"body": "mine"}, headers=hosts[1].headers)).status_code == 404
    resp = await client.put(url, json={"body": "Tax incentives help"}, headers=hosts[0].headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["harvest"] == "Tax incentives help" and resp.json()["id"] == table
    assert (await client.get(f"/api/cafes/{cafe['id']}")).json()["tables"][0][
        "harvest"
    ] == "Tax incentives help"
    evs = await events(db, f"table:{table}")
    assert [(e.seq, e.type) for e in evs] == [(1, "table.harvest")]
    assert evs[0].data["harvest"] == "Tax incentives help"


async def test_closing_keeps_every_table_in_a_thread(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, hosts = await setup(client, cast, people, tables=3)
    joiners = [await people.make("observer", name=f"Participant {i}") for i in range(6)]
    said: dict[int, list[str]] = {t["id"]: [] for t in cafe["tables"]}
    for i, p in enumerate(joiners):
        table = await join(client, cafe["id"], p)
        text = f"Idea {i} from the first round: payments for ecosystem services"
        assert (await say(client, table, p, text)).status_code == 201
        said[table].append(text)
    await client.post(f"/api/cafes/{cafe['id']}/rounds", headers=cast.moderator.headers)
    now = (await client.get(f"/api/cafes/{cafe['id']}")).json()
    for t in now["tables"]:
        for uid in t["participant_ids"]:
            who = next(p for p in joiners if p.id == uid)
            text = f"Second round, {who.name} at {t['topic']}:\nline two"
            assert (await say(client, t["id"], who, text)).status_code == 201
            said[t["id"]].append(text)
    for host, t in zip(hosts, cafe["tables"], strict=True):
        await client.put(
            f"/api/tables/{t['id']}/harvest", json={"body": f"Harvest of {t['topic']}"}, headers=host.headers
        )
    url = f"/api/cafes/{cafe['id']}/close"
    for who in (joiners[0], hosts[0], cast.focal_point):
        assert (await client.post(url, headers=who.headers)).status_code == 403
    resp = await client.post(url, headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    thread_id = resp.json()["thread_id"]
    thread = (await client.get(f"/api/threads/{thread_id}")).json()
    assert thread["space"] == WORKSHOP and thread["author"]["id"] == cast.moderator.id
    posts = (await client.get(f"/api/threads/{thread_id}/posts")).json()["items"]
    assert [p["number"] for p in posts] == [1, 2, 3]
    assert all(p["status"] == "published" and p["author"]["id"] == cast.moderator.id for p in posts)
    for post, t in zip(posts, cafe["tables"], strict=True):
        assert t["topic"] in post["html"] and f"Harvest of {t['topic']}" in post["body"]
        for text in said[t["id"]]:
            for line in text.splitlines():
                assert line in post["body"], (line, post["body"])
        for p in joiners:
            if any(p.name in s for s in said[t["id"]]):
                assert p.name in post["html"]
    # Anonymous readers of the space see the archive too.
    assert (await client.get(f"/api/threads/{thread_id}/posts")).status_code == 200
    closed = (await client.get(f"/api/cafes/{cafe['id']}")).json()
    assert closed["state"] == "closed" and closed["thread_id"] == thread_id
    # Closed: nothing more is said, nobody joins, no round starts; closing again is the same thread.
    table = now["tables"][0]["id"]
    assert (await say(client, table, hosts[0], "late")).status_code == 409
    assert (await client.post(f"/api/cafes/{cafe['id']}/join", headers=cast.lcipp.headers)).status_code == 409
    assert (
        await client.post(f"/api/cafes/{cafe['id']}/rounds", headers=cast.moderator.headers)
    ).status_code == 409
    assert (
        await client.post(
            f"/api/cafes/{cafe['id']}/announce", json={"text": "x"}, headers=cast.moderator.headers
        )
    ).status_code == 409
    assert (await client.post(url, headers=cast.moderator.headers)).json()["thread_id"] == thread_id
    assert await fetch(db, select(func.count()).select_from(Thread)) == [1]
    assert await fetch(db, select(func.count()).select_from(Post)) == [3]
    # Events: the café topic ends with cafe.closed, the thread topic has one post.created per table.
    cafe_events = await events(db, f"cafe:{cafe['id']}")
    assert_gap_free(cafe_events)
    assert cafe_events[-1].type == "cafe.closed" and cafe_events[-1].data["thread_id"] == thread_id
    assert sum(e.type == "cafe.closed" for e in cafe_events) == 1
    thread_events = await events(db, f"thread:{thread_id}")
    assert [(e.seq, e.type) for e in thread_events] == [
        (1, "post.created"),
        (2, "post.created"),
        (3, "post.created"),
    ]
    for t in cafe["tables"]:
        assert_gap_free(await events(db, f"table:{t['id']}"))
