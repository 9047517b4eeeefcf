"""Moderation over real sockets: queue notices per space, hidden posts, silenced senders."""

from __future__ import annotations

from tests.conftest import Cast, People, make_space, make_thread
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
