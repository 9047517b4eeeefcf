"""Posts sent over many sockets at once: the process's post writer stores them together
(forum.threads.writer), and each sender still gets its own answer, after the commit.

The sends go out without waiting, so they reach the writer while earlier ones are being
stored; however they fall into batches, every rule holds for each of them.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Cast, People, make_space, make_thread
from tests.helpers import assert_gap_free, events
from tests.realtime.conftest import Live, Peer


async def answers(peer: Peer, client_ids: list[str]) -> dict[str, dict]:
    """The `ack` or `error` of each of these sends, by client_id, in the order they came."""
    got: dict[str, dict] = {}
    while len(got) < len(client_ids):
        frame = await peer.next()
        if frame.get("op") == "ack" and frame["client_id"] in client_ids:
            got[frame["client_id"]] = frame
        elif frame.get("op") == "error" and frame.get("ref") in client_ids:
            got[frame["ref"]] = frame
        else:
            peer.skipped.append(frame)
    return got


async def test_many_sockets_posting_at_once_each_get_their_own_answer(
    live: Live, cast: Cast, people: People, db: AsyncSession
) -> None:
    await make_space(live.http, cast.admin, "agora")
    thread = (await make_thread(live.http, cast.focal_point, "agora"))["id"]
    locked = (await make_thread(live.http, cast.focal_point, "agora"))["id"]
    resp = await live.http.patch(f"/api/threads/{locked}", json={"locked": True}, headers=cast.admin.headers)
    assert resp.status_code == 200, resp.text
    topic = f"thread:{thread}"
    writers = [await people.make("observer") for _ in range(6)]
    quiet = await people.make("observer")
    peers = [await live.peer(who) for who in writers]
    # The same user on two sockets sends the same client_id on both at once.
    twice = [await live.peer(cast.observer), await live.peer(cast.observer)]
    silenced = await live.peer(quiet)
    refused = await live.peer(cast.other_observer)
    for peer in [*peers, *twice, silenced, refused]:
        await peer.send(op="ping")
        await peer.expect("pong")  # set up, its viewer loaded
    resp = await live.http.post(
        f"/api/users/{quiet.id}/silence",
        json={"reason": "cool off", "duration_seconds": 600},
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 200, resp.text
    watcher = await live.peer(cast.moderator)
    await watcher.subscribe(topic)

    per_socket = 4
    ids = [[f"p{n}-{i}" for i in range(per_socket)] for n in range(len(peers))]
    frames = [
        peer.send(op="send", topic=topic, body=f"Point {cid}", client_id=cid)
        for peer, mine in zip(peers, ids, strict=True)
        for cid in mine
    ]
    frames += [peer.send(op="send", topic=topic, body="Once only", client_id="twice") for peer in twice]
    frames.append(silenced.send(op="send", topic=topic, body="Let me in", client_id="quiet"))
    frames.append(refused.send(op="send", topic=f"thread:{locked}", body="Too late", client_id="late"))
    await asyncio.gather(*frames)

    got = await asyncio.gather(*(answers(peer, mine) for peer, mine in zip(peers, ids, strict=True)))
    acks = [[by_id[cid] for cid in mine] for by_id, mine in zip(got, ids, strict=True)]
    assert all(a["op"] == "ack" for mine in acks for a in mine), acks
    seqs = [[a["seq"] for a in mine] for mine in acks]
    # Each socket's posts stored in the order it sent them; no two share a seq.
    assert all(mine == sorted(mine) for mine in seqs), seqs
    everyone = [s for mine in seqs for s in mine]
    assert len(set(everyone)) == len(everyone)

    # Sent twice at once by one user: one post, both acks name its event.
    first, again = [(await answers(peer, ["twice"]))["twice"] for peer in twice]
    assert first["op"] == again["op"] == "ack" and first["seq"] == again["seq"]

    # The refused get their own error; nothing of theirs is stored.
    quiet_answer = (await answers(silenced, ["quiet"]))["quiet"]
    assert quiet_answer["op"] == "error" and quiet_answer["code"] == "forbidden"
    assert "silenced" in quiet_answer["detail"]
    late = (await answers(refused, ["late"]))["late"]
    assert late["op"] == "error" and late["code"] == "forbidden" and "locked" in late["detail"]

    stored = await events(db, topic)
    assert_gap_free(stored)
    created = {e.seq: e for e in stored if e.type == "post.created"}
    assert set(everyone) | {first["seq"]} == set(created) - {1}
    assert [created[s].data["client_id"] for s in everyone] == [cid for mine in ids for cid in mine]
    assert [e.data["number"] for e in stored] == list(range(1, len(stored) + 1))
    # The subscriber got every one of them live, in seq order.
    seen = await watcher.events_until(topic, max(created))
    assert [ev["seq"] for ev in seen] == sorted(created)[1:]
    # The locked thread: its first post and the lock's announcement, nothing more.
    assert [e.type for e in await events(db, f"thread:{locked}")] == ["post.created", "thread.updated"]


async def test_a_pending_post_among_others_reaches_others_as_a_stub(
    live: Live, cast: Cast, people: People
) -> None:
    await make_space(live.http, cast.admin, "workshop", moderation="pre", kind="workshop")
    thread = (await make_thread(live.http, cast.focal_point, "workshop"))["id"]
    topic = f"thread:{thread}"
    reader = await live.peer(cast.other_observer)
    await reader.subscribe(topic)
    moderator = await live.peer(cast.moderator)
    await moderator.subscribe(topic)
    await moderator.subscribe("moderation")
    author = await live.peer(cast.observer)
    trusted = [await live.peer(who) for who in (cast.lcipp, cast.focal_point)]

    await asyncio.gather(
        author.send(op="send", topic=topic, body="An observer's view", client_id="obs"),
        *(
            peer.send(op="send", topic=topic, body=f"Published at once {n}", client_id=f"t-{n}")
            for n, peer in enumerate(trusted)
        ),
    )
    ack = (await answers(author, ["obs"]))["obs"]
    assert ack["op"] == "ack"
    published = [(await answers(peer, [f"t-{n}"]))[f"t-{n}"] for n, peer in enumerate(trusted)]
    assert all(a["op"] == "ack" for a in published)
    last = max(ack["seq"], *(a["seq"] for a in published))

    # Others get the pending post as a stub with its seq; its author's socket, were it
    # subscribed, and the moderators get it in full.
    seen = {ev["seq"]: ev for ev in await reader.events_until(topic, last)}
    assert seen[ack["seq"]]["type"] == "post.hidden"
    assert "body" not in seen[ack["seq"]]["data"]
    assert all(seen[a["seq"]]["type"] == "post.created" for a in published)
    full = {ev["seq"]: ev for ev in await moderator.events_until(topic, last)}
    assert full[ack["seq"]]["type"] == "post.created"
    assert full[ack["seq"]]["data"]["status"] == "pending"
    item = await moderator.expect("event", topic="moderation", type="moderation.item")
    assert item["data"]["post"]["client_id"] == "obs" and item["data"]["kind"] == "pending"
