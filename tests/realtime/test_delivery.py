"""Subscribing, live events from HTTP writes, sending over the socket, and who sees what."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.exceptions import InvalidStatus

from forum.accounts.models import AuthToken
from forum.realtime import connection
from forum.streams.models import Event
from forum.threads.models import Post
from tests.conftest import ORIGIN, Cast, make_space, make_thread
from tests.helpers import create_cafe, join
from tests.realtime.conftest import Live, expect_nothing_before_marker


async def test_subscribe_and_receive_an_http_post_live(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "subaru")
    thread = await make_thread(live.http, cast.focal_point, "subaru")
    peer = await live.peer(cast.observer)
    sub = await peer.subscribe(f"thread:{thread['id']}")
    assert sub["seq"] == 1  # the thread's first post
    post = await live.post(cast.lcipp, thread["id"], "Hello from the LCIPP")
    ev = await peer.expect("event", topic=f"thread:{thread['id']}")
    assert ev["seq"] == 2
    assert ev["type"] == "post.created"
    assert ev["data"]["id"] == post["id"]
    assert ev["data"]["body"] == "Hello from the LCIPP"
    await peer.close()


async def test_send_over_the_socket_stores_the_post_and_acks_after_commit(
    live: Live, cast: Cast, db: AsyncSession
) -> None:
    await make_space(live.http, cast.admin, "fcc")
    thread = await make_thread(live.http, cast.focal_point, "fcc")
    topic = f"thread:{thread['id']}"
    sender = await live.peer(cast.observer)
    watcher = await live.peer(cast.moderator)
    await sender.subscribe(topic)
    await watcher.subscribe(topic)

    await sender.send(
        op="send", topic=topic, body="Forest certificates: *how* are they priced?", client_id="c-1"
    )
    ack = await sender.expect("ack", client_id="c-1")
    assert ack["seq"] == 2
    # The ack names the seq of the event that announced the stored post.
    stored = (await db.scalars(select(Post).where(Post.client_id == "c-1"))).one()
    assert stored.thread_id == thread["id"] and stored.author_id == cast.observer.id
    assert "<em>how</em>" in stored.html
    event = (await db.scalars(select(Event).where(Event.topic == topic, Event.seq == 2))).one()
    assert event.type == "post.created" and event.data["id"] == stored.id
    seen = await watcher.expect("event", topic=topic)
    assert seen["seq"] == 2 and seen["data"]["client_id"] == "c-1"

    # The same client_id again: no second post, and the ack points at the first one's event.
    await sender.send(
        op="send", topic=topic, body="Forest certificates: *how* are they priced?", client_id="c-1"
    )
    again = await sender.expect("ack", client_id="c-1")
    assert again["seq"] == 2
    posts = (await db.scalars(select(Post).where(Post.thread_id == thread["id"]))).all()
    assert len(posts) == 2

    # A repeat of a post first made over HTTP finds that post's event too.
    http_post = await live.post(cast.observer, thread["id"], "via HTTP", client_id="c-2")
    # That post's event is the next thing the watcher hears: the repeat announced nothing.
    marker = await expect_nothing_before_marker(watcher, topic=topic, seq=3)
    assert marker["data"]["id"] == http_post["id"]
    await sender.send(op="send", topic=topic, body="via HTTP", client_id="c-2")
    ack2 = await sender.expect("ack", client_id="c-2")
    row = (await db.scalars(select(Event).where(Event.topic == topic, Event.seq == ack2["seq"]))).one()
    assert row.data["id"] == http_post["id"]


async def test_service_errors_become_error_frames_with_the_client_id(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "locked")
    thread = await make_thread(live.http, cast.focal_point, "locked")
    resp = await live.http.patch(
        f"/api/threads/{thread['id']}", json={"locked": True}, headers=cast.admin.headers
    )
    assert resp.status_code == 200, resp.text
    peer = await live.peer(cast.observer)
    await peer.send(op="send", topic=f"thread:{thread['id']}", body="let me in", client_id="k-1")
    err = await peer.expect("error")
    assert err["code"] == "forbidden" and err["ref"] == "k-1"
    await peer.send(op="send", topic="thread:999999", body="nobody home", client_id="k-2")
    err = await peer.expect("error")
    assert err["code"] == "not_found" and err["ref"] == "k-2"
    await peer.send(op="send", topic="cafe:1", body="no sending here", client_id="k-3")
    err = await peer.expect("error")
    assert err["ref"] == "k-3" and err["code"] in ("forbidden", "not_found")


async def test_anonymous_may_subscribe_to_public_topics_but_never_send(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "open")
    thread = await make_thread(live.http, cast.focal_point, "open")
    topic = f"thread:{thread['id']}"
    anon = await live.peer()
    await anon.subscribe(topic, after=0)
    first = await anon.expect("event", topic=topic)
    assert first["seq"] == 1 and first["data"]["body"] == "First"
    await anon.send(op="send", topic=topic, body="hi", client_id="a-1")
    err = await anon.expect("error")
    assert err == {"op": "error", "code": "unauthorized", "detail": err["detail"], "ref": "a-1"}
    # A token that does not work reads as anonymous, as over HTTP.
    stale = await live.peer(headers={"Authorization": "Bearer not-a-token"})
    await stale.subscribe(topic)
    await stale.send(op="send", topic=topic, body="hi", client_id="a-2")
    assert (await stale.expect("error"))["code"] == "unauthorized"
    # The moderation topic is not there for them.
    await anon.send(op="subscribe", topic="moderation")
    err = await anon.expect("error")
    assert err["code"] == "not_found" and err["ref"] == "moderation"


async def test_a_restricted_space_is_not_found_for_outsiders(live: Live, cast: Cast) -> None:
    await make_space(
        live.http, cast.admin, "parties-only", visibility="restricted", allowed_roles=["focal_point"]
    )
    thread = await make_thread(live.http, cast.focal_point, "parties-only", body="between Parties")
    topic = f"thread:{thread['id']}"
    # A public thread every one of them hears: its posts are the markers.
    await make_space(live.http, cast.admin, "everyone")
    public = await make_thread(live.http, cast.focal_point, "everyone")
    public_topic = f"thread:{public['id']}"
    for who in (cast.observer, cast.lcipp, None):
        peer = await live.peer(who)
        await peer.subscribe(public_topic)
        await peer.send(op="subscribe", topic=topic, after=0)
        err = await peer.expect("error")
        assert err["code"] == "not_found" and err["ref"] == topic
        # Nothing of the topic follows, even when it gets a new post: the next public post
        # is the next thing the peer hears.
        await live.post(cast.focal_point, thread["id"], "still between Parties")
        marker = await live.post(cast.focal_point, public["id"], "for everyone")
        heard = await expect_nothing_before_marker(peer, topic=public_topic)
        assert heard["data"]["id"] == marker["id"]
        await peer.close()
    insider = await live.peer(cast.focal_point)
    assert (await insider.subscribe(topic, after=0))["seq"] == 4
    got = await insider.events_until(topic, 4)
    assert [e["seq"] for e in got] == [1, 2, 3, 4]
    moderator = await live.peer(cast.moderator)
    await moderator.subscribe(topic)


async def test_pending_posts_reach_author_and_moderators_in_full_and_others_as_hidden(
    live: Live, cast: Cast
) -> None:
    await make_space(live.http, cast.admin, "safeguards", moderation="pre")
    thread = await make_thread(live.http, cast.lcipp, "safeguards", body="FPIC first")
    topic = f"thread:{thread['id']}"
    author = await live.peer(cast.observer)
    moderator = await live.peer(cast.moderator)
    other = await live.peer(cast.other_observer)
    anon = await live.peer()
    for peer in (author, moderator, other, anon):
        await peer.subscribe(topic)
    mod_queue = await live.peer(cast.moderator)
    await mod_queue.subscribe("moderation")

    await author.send(op="send", topic=topic, body="A secret draft", client_id="p-1")
    ack = await author.expect("ack", client_id="p-1")
    assert ack["seq"] == 2
    full_for_author = await author.expect("event", topic=topic)
    full_for_moderator = await moderator.expect("event", topic=topic)
    for ev in (full_for_author, full_for_moderator):
        assert ev["seq"] == 2 and ev["type"] == "post.created"
        assert ev["data"]["body"] == "A secret draft" and ev["data"]["status"] == "pending"
    for peer in (other, anon):
        ev = await peer.expect("event", topic=topic)
        assert ev["seq"] == 2 and ev["type"] == "post.hidden"
        assert "body" not in ev["data"] and "html" not in ev["data"]
        assert "A secret draft" not in str(ev)
    item = await mod_queue.expect("event", topic="moderation")
    assert "A secret draft" in str(item["data"])

    # A replay applies the same rule.
    late = await live.peer(cast.other_observer)
    await late.subscribe(topic, after=0)
    replayed = await late.events_until(topic, 2)
    assert [(e["seq"], e["type"]) for e in replayed] == [(1, "post.created"), (2, "post.hidden")]
    assert "A secret draft" not in str(replayed)
    late_author = await live.peer(cast.observer)
    await late_author.subscribe(topic, after=1)
    (mine,) = await late_author.events_until(topic, 2)
    assert mine["data"]["body"] == "A secret draft"

    # Approval publishes it to everyone.
    post_id = full_for_author["data"]["id"]
    resp = await live.http.post(f"/api/posts/{post_id}/approve", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    for peer in (other, anon):
        ev = await peer.expect("event", topic=topic, seq=3)
        assert ev["data"]["body"] == "A secret draft"


@pytest.mark.parametrize("origin", ["https://evil.example", None])
async def test_cookie_auth_needs_our_own_origin(live: Live, cast: Cast, origin: str | None) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await live.peer(headers={"Cookie": f"forum_session={cast.observer.token}"}, origin=origin)
    assert refused.value.response.status_code == 403


async def test_cookie_auth_from_our_origin_and_bearer_from_anywhere_are_accepted(
    live: Live, cast: Cast
) -> None:
    await make_space(live.http, cast.admin, "workshop")
    thread = await make_thread(live.http, cast.focal_point, "workshop")
    topic = f"thread:{thread['id']}"
    browser = await live.peer(headers={"Cookie": f"forum_session={cast.observer.token}"}, origin=ORIGIN)
    await browser.send(op="send", topic=topic, body="from the browser", client_id="b-1")
    assert (await browser.expect("ack", client_id="b-1"))["seq"] == 2
    script = await live.peer(cast.lcipp, origin="https://elsewhere.example")
    await script.send(op="send", topic=topic, body="from a script", client_id="s-1")
    assert (await script.expect("ack", client_id="s-1"))["seq"] == 3


async def test_a_revoked_session_stops_receiving(live: Live, cast: Cast, db: AsyncSession) -> None:
    # The logout announces the change on `user:{id}`: the socket ends at once.
    await make_space(live.http, cast.admin, "revoked")
    thread = await make_thread(live.http, cast.focal_point, "revoked")
    topic = f"thread:{thread['id']}"
    peer = await live.peer(cast.observer)
    await peer.subscribe(topic)
    resp = await live.http.post("/api/auth/logout", headers=cast.observer.headers)
    assert resp.status_code == 204
    token = (await db.scalars(select(AuthToken).where(AuthToken.user_id == cast.observer.id))).one()
    assert token.revoked_at is not None
    assert await peer.closed_code() == connection.ENDED_CODE


async def test_a_send_on_a_revoked_session_is_refused_and_closes(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "revoked2")
    thread = await make_thread(live.http, cast.focal_point, "revoked2")
    topic = f"thread:{thread['id']}"
    peer = await live.peer(cast.observer)
    resp = await live.http.post("/api/auth/logout", headers=cast.observer.headers)
    assert resp.status_code == 204
    await peer.send(op="send", topic=topic, body="after logout", client_id="r-1")
    err = await peer.expect("error")
    # The logout's signal may end the session before the send arrives (ref None), or the
    # send may find it ended: either way it is refused and the socket closes.
    assert err["code"] == "unauthorized" and err["ref"] in ("r-1", None)
    assert await peer.closed_code() == connection.ENDED_CODE
    posts = await live.http.get(f"/api/threads/{thread['id']}/posts")
    assert [p["body"] for p in posts.json()["items"]] == ["First"]


async def test_unsubscribe_stops_the_topic(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "unsub")
    thread = await make_thread(live.http, cast.focal_point, "unsub")
    topic = f"thread:{thread['id']}"
    # Another thread the peer keeps: its post is the marker.
    kept = await make_thread(live.http, cast.focal_point, "unsub")
    peer = await live.peer(cast.observer)
    await peer.subscribe(topic)
    await peer.subscribe(f"thread:{kept['id']}")
    await peer.send(op="unsubscribe", topic=topic)
    await peer.expect("unsubscribed", topic=topic)
    await live.post(cast.focal_point, thread["id"], "nobody listening")
    marker = await live.post(cast.focal_point, kept["id"], "still listening here")
    heard = await expect_nothing_before_marker(peer, topic=f"thread:{kept['id']}")
    assert heard["data"]["id"] == marker["id"]
    assert live.app.state.hub.local_subscriptions(topic) == 0


async def test_a_suspension_ends_the_users_sockets_at_once(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "suspend")
    thread = await make_thread(live.http, cast.focal_point, "suspend")
    peer = await live.peer(cast.observer)
    await peer.subscribe(f"thread:{thread['id']}")
    bystander = await live.peer(cast.other_observer)
    await bystander.subscribe(f"thread:{thread['id']}")
    resp = await live.http.post(
        f"/api/users/{cast.observer.id}/suspend",
        json={"reason": "repeated abuse", "duration_seconds": 3600},
        headers=cast.admin.headers,
    )
    assert resp.status_code == 200, resp.text
    ended = await peer.expect("error")
    assert ended["code"] == "unauthorized"
    assert await peer.closed_code() == connection.ENDED_CODE
    # Others keep their sockets and their events.
    await live.post(cast.focal_point, thread["id"], "still here")
    assert (await bystander.expect("event", seq=2))["data"]["body"] == "still here"


async def test_cafe_tables_over_the_socket_send_messages_and_presence(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "workshop-63", kind="workshop")
    cafe = await create_cafe(live.http, cast.moderator, [cast.focal_point], slug="workshop-63")
    table_id = cafe["tables"][0]["id"]
    assert await join(live.http, cafe["id"], cast.observer) == table_id
    topic = f"table:{table_id}"

    host = await live.peer(cast.focal_point)
    await host.subscribe(topic)
    first = await host.expect("event", topic=topic, type="presence")
    assert first["seq"] is None and first["data"]["user_ids"] == [cast.focal_point.id]
    guest = await live.peer(cast.observer)
    await guest.subscribe(topic)
    both = await host.expect("event", topic=topic, type="presence")
    assert both["data"]["user_ids"] == sorted([cast.focal_point.id, cast.observer.id])

    await guest.send(op="send", topic=topic, body="Matching cities and companies", client_id="t-1")
    ack = await guest.expect("ack", client_id="t-1")
    msg = await host.expect("event", topic=topic, type="message.created")
    assert msg["seq"] == ack["seq"] and msg["data"]["body"] == "Matching cities and companies"
    await guest.send(op="send", topic=topic, body="Matching cities and companies", client_id="t-1")
    assert (await guest.expect("ack", client_id="t-1"))["seq"] == ack["seq"]

    # Outsiders may not listen to the table; the café itself is open to its space's readers.
    outsider = await live.peer(cast.other_observer)
    await outsider.send(op="subscribe", topic=topic)
    assert (await outsider.expect("error", ref=topic))["code"] == "not_found"
    await outsider.subscribe(f"cafe:{cafe['id']}")

    await guest.close()
    left = await host.expect("event", topic=topic, type="presence")
    assert left["data"]["user_ids"] == [cast.focal_point.id]
