"""Moderation over real sockets: queue notices per space, hidden posts and table messages, silenced senders."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Cast, People, make_space, make_thread
from tests.helpers import create_cafe, events, join, say
from tests.realtime.conftest import Live, live

__all__ = ["live"]  # the live server fixture, shared with the realtime tests


async def test_queue_notices_reach_only_the_spaces_moderators(live: Live, cast: Cast, people: People) -> None:
    await make_space(live.http, cast.admin, "nma-a", moderation="pre")
    await make_space(live.http, cast.admin, "nma-b", moderation="pre")
    mod_a = await people.make("focal_point")
    mod_b = await people.make("lcipp")
    for slug, mod in (("nma-a", mod_a), ("nma-b", mod_b)):
        resp = await live.http.put(
            f"/api/spaces/{slug}/moderators", json={"user_ids": [mod.id]}, headers=cast.admin.headers
        )
        assert resp.status_code == 200
    thread = await make_thread(live.http, cast.focal_point, "nma-a")

    peer_a = await live.peer(mod_a)
    peer_b = await live.peer(mod_b)
    peer_global = await live.peer(cast.moderator)
    for peer in (peer_a, peer_b, peer_global):
        await peer.subscribe("moderation")

    post = await live.post(cast.observer, thread["id"], "Please approve me")
    assert post["status"] == "pending"
    for peer in (peer_a, peer_global):
        ev = await peer.expect("event", topic="moderation")
        assert ev["type"] == "moderation.item"
        assert ev["data"]["kind"] == "pending" and ev["data"]["post"]["body"] == "Please approve me"
        assert ev["data"]["space"] == "nma-a"
    elsewhere = await peer_b.expect("event", topic="moderation")
    assert elsewhere["type"] == "moderation.elsewhere" and elsewhere["data"] == {}
    assert elsewhere["seq"] == 1

    resp = await live.http.post(f"/api/posts/{post['id']}/approve", headers=mod_a.headers)
    assert resp.status_code == 200
    done = await peer_a.expect("event", topic="moderation", seq=2)
    assert done["type"] == "moderation.resolved" and done["data"]["post_id"] == post["id"]
    assert (await peer_b.expect("event", topic="moderation", seq=2))["type"] == "moderation.elsewhere"


async def test_a_hidden_post_leaves_every_other_screen(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "open")
    thread = await make_thread(live.http, cast.observer, "open", body="Cheap watches")
    topic = f"thread:{thread['id']}"
    reader = await live.peer(cast.other_observer)
    author = await live.peer(cast.observer)
    for peer in (reader, author):
        await peer.subscribe(topic)
    post_id = (await live.http.get(f"/api/threads/{thread['id']}/posts")).json()["items"][0]["id"]
    resp = await live.http.post(
        f"/api/posts/{post_id}/hide", json={"reason": "advertising"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200
    seen = await reader.expect("event", topic=topic, type="post.hidden")
    assert "Cheap watches" not in str(seen) and "advertising" not in str(seen)
    mine = await author.expect("event", topic=topic, type="post.hidden")
    assert mine["data"]["moderation_reason"] == "advertising"


async def test_a_silenced_user_cannot_send_over_the_socket(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "open")
    thread = await make_thread(live.http, cast.lcipp, "open")
    topic = f"thread:{thread['id']}"
    peer = await live.peer(cast.observer)
    await peer.subscribe(topic)
    resp = await live.http.post(
        f"/api/users/{cast.observer.id}/silence",
        json={"reason": "cool off", "duration_seconds": 600},
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 200
    await peer.send(op="send", topic=topic, body="still here", client_id="s-1")
    err = await peer.expect("error", ref="s-1")
    assert err["code"] == "forbidden" and "silenced" in err["detail"]
    listing = await live.http.get(f"/api/threads/{thread['id']}/posts")
    assert [p["body"] for p in listing.json()["items"]] == ["First"]


async def test_a_suspension_ends_the_users_open_sockets(live: Live, cast: Cast) -> None:
    peer = await live.peer(cast.observer)
    resp = await live.http.post(
        f"/api/users/{cast.observer.id}/suspend",
        json={"reason": "abuse", "duration_seconds": 600},
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 200
    assert await peer.closed_code() == 1008


async def test_a_hidden_table_message_is_not_replayed_to_others(
    live: Live, cast: Cast, db: AsyncSession
) -> None:
    """Hiding a message also restricts the event that first announced it: a participant
    who replays the table afterwards gets a stub, as for a hidden post."""
    await make_space(live.http, cast.admin, "workshop", kind="workshop")
    cafe = await create_cafe(live.http, cast.moderator, [cast.focal_point], slug="workshop")
    table = await join(live.http, cafe["id"], cast.observer)
    await join(live.http, cafe["id"], cast.other_observer)
    rude = (await say(live.http, table, cast.observer, "something rude")).json()
    resp = await live.http.post(
        f"/api/table-messages/{rude['id']}/hide", json={"reason": "rude"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text
    topic = f"table:{table}"
    created = (await events(db, topic))[0]
    assert created.type == "message.created"

    for who, sees_text in ((cast.other_observer, False), (cast.focal_point, False), (cast.observer, True)):
        peer = await live.peer(who)
        await peer.subscribe(topic, after=0)
        first, second = [e for e in await peer.events_until(topic, 2) if e["seq"] is not None]
        assert first["seq"] == created.seq
        assert ("something rude" in str(first)) is sees_text, who.name
        assert ("something rude" in str(second)) is sees_text, who.name
        await peer.close()
