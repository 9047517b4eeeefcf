"""Subscribing, live events from HTTP writes, sending over the socket, acks."""

from __future__ import annotations

from tests.conftest import Cast, make_space
from tests.realtime.conftest import Live


async def make_thread_http(live: Live, who, slug: str, title: str = "A thread", body: str = "First") -> dict:
    resp = await live.http.post(
        f"/api/spaces/{slug}/threads", json={"title": title, "body": body}, headers=who.headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_subscribe_and_receive_an_http_post_live(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "subaru")
    thread = await make_thread_http(live, cast.focal_point, "subaru")
    peer = await live.peer(cast.observer)
    sub = await peer.subscribe(f"thread:{thread['id']}")
    assert sub["seq"] == 1
    post = await live.post(cast.lcipp, thread["id"], "Hello from the LCIPP")
    ev = await peer.expect("event", topic=f"thread:{thread['id']}")
    assert ev["seq"] == 2
    assert ev["type"] == "post.created"
    assert ev["data"]["id"] == post["id"]
    assert ev["data"]["body"] == "Hello from the LCIPP"
    await peer.close()
