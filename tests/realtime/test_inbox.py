"""The inbox topic: a user's notifications live on their own sockets, resumable, theirs only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from tests.conftest import Cast, make_space, make_thread
from tests.realtime.conftest import Live, expect_nothing_before_marker


async def test_a_mention_reaches_the_inbox_at_once_and_a_resume_loses_nothing(
    live: Live, cast: Cast, db: AsyncSession
) -> None:
    await make_space(live.http, cast.admin, "agora")
    thread = await make_thread(live.http, cast.focal_point, "agora")
    handle = await db.scalar(select(User.handle).where(User.id == cast.observer.id))
    topic = f"inbox:{cast.observer.id}"
    peer = await live.peer(cast.observer)
    assert (await peer.subscribe(topic))["seq"] == 0
    await live.post(cast.focal_point, thread["id"], f"@{handle} first")
    first = await peer.expect("event", topic=topic)
    assert first["seq"] == 1 and first["type"] == "notification.created"
    assert first["data"]["kind"] == "mention"
    # The event names the notification only; its content is read over HTTP, checked again.
    assert set(first["data"]) == {"id", "kind"}
    resp = await live.http.get(f"/api/notifications/{first['data']['id']}", headers=cast.observer.headers)
    assert resp.status_code == 200 and resp.json()["thread_id"] == thread["id"]
    await peer.close()

    # Away: two more notifications and a read. Back, after 1: all three, in order.
    await live.post(cast.focal_point, thread["id"], f"@{handle} second")
    await live.post(cast.focal_point, thread["id"], f"@{handle} third")
    resp = await live.http.post("/api/notifications/read-all", headers=cast.observer.headers)
    assert resp.status_code == 204
    again = await live.peer(cast.observer)
    await again.subscribe(topic, after=1)
    got = await again.events_until(topic, 4)
    assert [(f["seq"], f["type"]) for f in got] == [
        (2, "notification.created"),
        (3, "notification.created"),
        (4, "notification.read"),
    ]
    assert got[2]["data"] == {"all": True}


async def test_only_its_owner_may_subscribe_to_an_inbox(live: Live, cast: Cast) -> None:
    stranger = await live.peer(cast.admin)
    await stranger.send(op="subscribe", topic=f"inbox:{cast.observer.id}")
    error = await stranger.expect("error")
    assert error["code"] == "not_found"
    anonymous = await live.peer()
    await anonymous.send(op="subscribe", topic=f"inbox:{cast.observer.id}")
    assert (await anonymous.expect("error"))["code"] == "not_found"
    for bad in ("inbox", "inbox:01", "inbox:x"):
        await anonymous.send(op="subscribe", topic=bad)
        assert (await anonymous.expect("error"))["code"] == "bad_request"
    # Nothing can be sent to an inbox.
    owner = await live.peer(cast.observer)
    await owner.subscribe(f"inbox:{cast.observer.id}")
    await owner.send(op="send", topic=f"inbox:{cast.observer.id}", body="hi", client_id="c1")
    assert (await owner.expect("error"))["code"] == "forbidden"
    await owner.send(op="ping")
    await expect_nothing_before_marker(owner, op="pong")
