"""The database fails: 503 problem+json with Retry-After (an `error` frame over the socket),
never a 500, never a half-written record, and a commit that succeeded is never lost.

PostgreSQL runs behind a TCP proxy of the test's own that refuses connections or loses
the answer to a COMMIT; SQLite runs on a small tmpfs that the test fills up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.exceptions import InvalidStatus

from forum.app import create_app
from forum.realtime import hub
from forum.settings import Settings
from forum.threads.models import Post, Thread
from tests.conftest import Cast, make_space, make_thread
from tests.faults.conftest import COMMIT_MESSAGE, SmallDisk, TcpProxy, copy_sqlite
from tests.helpers import assert_problem, count, create_cafe, join
from tests.realtime.conftest import WAIT, Live, Peer, serving


def assert_unavailable(resp: httpx.Response, code: str = "unavailable") -> dict:
    body = assert_problem(resp, 503)
    assert body["code"] == code, body
    assert int(resp.headers["retry-after"]) > 0
    return body


async def eventually(
    client: httpx.AsyncClient, method: str, path: str, status: int, **kwargs: object
) -> None:
    """Repeat a request until it answers `status` (the service recovers by itself)."""
    deadline = time.monotonic() + WAIT
    while True:
        resp = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
        if resp.status_code == status:
            return
        assert resp.status_code == 503, resp.text
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} {path} still answers {resp.status_code}")
        await asyncio.sleep(0.1)


# --- PostgreSQL behind a proxy ------------------------------------------------------------


@pytest.fixture
async def proxied(settings: Settings, pg_proxy: tuple[TcpProxy, str]) -> AsyncIterator[tuple[TcpProxy, Live]]:
    """The service, its database reached through the proxy, under a real server."""
    proxy, url = pg_proxy
    through = replace(settings, database_url=url)
    async with serving(create_app(through), through) as live:
        yield proxy, live


async def test_an_unreachable_database_answers_503_and_stores_nothing(
    proxied: tuple[TcpProxy, Live], cast: Cast, db: AsyncSession
) -> None:
    proxy, live = proxied
    await make_space(live.http, cast.admin, "offline")
    thread = await make_thread(live.http, cast.focal_point, "offline")
    proxy.refuse()
    assert_unavailable(await live.http.get("/api/spaces"))
    assert_unavailable(await live.http.get(f"/api/threads/{thread['id']}", headers=cast.observer.headers))
    # A page of posts is read with the driver's own call on a connection from the pool
    # (forum.lib.driver_reads): a connection the pool cannot open is a 503 there too.
    assert_unavailable(await live.http.get(f"/api/threads/{thread['id']}/posts"))
    resp = await live.http.post(
        "/api/spaces/offline/threads", json={"title": "Lost?", "body": "No"}, headers=cast.observer.headers
    )
    assert_unavailable(resp)
    proxy.restore()
    await eventually(live.http, "GET", "/api/spaces", 200)
    assert await count(db, Thread) == 1


async def test_a_database_that_never_answers_is_given_up_on_with_503(
    proxied: tuple[TcpProxy, Live], cast: Cast
) -> None:
    """Connections accepted and never answered (a hung server, a network dropping packets):
    the request gives up after the connect timeout instead of hanging for a minute."""
    proxy, live = proxied
    await make_space(live.http, cast.admin, "hung")
    thread = await make_thread(live.http, cast.focal_point, "hung")
    proxy.mute()
    assert_unavailable(await live.http.get("/api/spaces"))
    assert_unavailable(await live.http.get(f"/api/threads/{thread['id']}/posts"))
    proxy.restore()
    await eventually(live.http, "GET", "/api/spaces", 200)


async def test_a_commit_whose_answer_is_lost_is_found_again_by_client_id(
    proxied: tuple[TcpProxy, Live], cast: Cast, db: AsyncSession
) -> None:
    proxy, live = proxied
    await make_space(live.http, cast.admin, "in-doubt")
    thread = await make_thread(live.http, cast.focal_point, "in-doubt")
    proxy.lose_reply_to(COMMIT_MESSAGE)
    path = f"/api/threads/{thread['id']}/posts"
    post = {"body": "Did this arrive?", "client_id": "doubt-1"}
    first = await live.http.post(path, json=post, headers=cast.observer.headers)
    assert proxy.replies_lost == 1
    body = assert_unavailable(first, "outcome_unknown")
    assert "client_id" in body["detail"]
    # It was stored: the same client_id finds it, and no second copy is made.
    stored = await db.scalar(select(Post.id).where(Post.client_id == "doubt-1"))
    assert stored is not None
    again = await live.http.post(path, json=post, headers=cast.observer.headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == stored
    assert await count(db, Post, Post.client_id == "doubt-1") == 1


async def test_a_connection_lost_after_the_last_answer_still_answers_the_read(
    proxied: tuple[TcpProxy, Live], cast: Cast
) -> None:
    """The line dies once the rows are in: the answer goes out (it used to be a plain-text
    500, the failed rollback of closing the session raised as the response started)."""
    proxy, live = proxied
    await make_space(live.http, cast.admin, "late-cut")
    thread = await make_thread(live.http, cast.focal_point, "late-cut", body="Zebra crossing ahead")
    proxy.cut_after_reply(b"Zebra crossing ahead")
    resp = await live.http.get(f"/api/threads/{thread['id']}/posts?after=0")
    assert proxy.cuts_after_reply == 1
    assert resp.status_code == 200, f"{resp.status_code} {resp.headers.get('content-type')}: {resp.text}"
    assert [p["body"] for p in resp.json()["items"]] == ["Zebra crossing ahead"]


async def test_a_connection_lost_before_the_commit_stores_nothing_and_answers_503(
    proxied: tuple[TcpProxy, Live], cast: Cast, db: AsyncSession
) -> None:
    proxy, live = proxied
    await make_space(live.http, cast.admin, "mid-cut")
    thread = await make_thread(live.http, cast.focal_point, "mid-cut", title="Quagga sightings")
    # The post's transaction reads its thread; the line dies before anything is written.
    proxy.cut_after_reply(b"Quagga sightings")
    resp = await live.http.post(
        f"/api/threads/{thread['id']}/posts", json={"body": "Cut me off"}, headers=cast.observer.headers
    )
    assert proxy.cuts_after_reply == 1
    assert_unavailable(resp)
    assert await count(db, Post, Post.thread_id == thread["id"]) == 1


async def send(peer: Peer, topic: str, client_id: str, body: str = "hello") -> dict:
    """A `send`, and the server's answer to it: its ack or its error."""
    await peer.send(op="send", topic=topic, body=body, client_id=client_id)
    while True:
        frame = await peer.next()
        if frame.get("op") in ("ack", "error") and frame.get("client_id", frame.get("ref")) == client_id:
            return frame
        peer.skipped.append(frame)


async def test_over_the_socket_a_database_failure_is_a_retryable_error_and_the_socket_lives_on(
    proxied: tuple[TcpProxy, Live], cast: Cast, db: AsyncSession
) -> None:
    proxy, live = proxied
    await make_space(live.http, cast.admin, "socket-db")
    thread = await make_thread(live.http, cast.focal_point, "socket-db")
    topic = f"thread:{thread['id']}"
    peer = await live.peer(cast.observer)
    await peer.subscribe(topic)

    proxy.refuse()
    failed = await send(peer, topic, "s-1")
    assert failed["op"] == "error" and failed["code"] == "unavailable", failed
    assert failed["retry_after"] > 0
    await peer.send(op="ping")
    await peer.expect("pong")
    # A new socket cannot be signed in meanwhile: the upgrade says so (not a 403).
    with pytest.raises(InvalidStatus) as refused:
        await live.peer(cast.moderator)
    assert refused.value.response.status_code == 503
    assert int(refused.value.response.headers["retry-after"]) > 0
    proxy.restore()

    proxy.lose_reply_to(COMMIT_MESSAGE)
    doubt = await send(peer, topic, "s-2")
    assert doubt["op"] == "error" and doubt["code"] == "outcome_unknown", doubt
    # Sent again with its client_id: the stored post is acknowledged, not stored twice.
    deadline = time.monotonic() + WAIT
    while (answer := await send(peer, topic, "s-2"))["op"] != "ack":
        assert answer["code"] == "unavailable" and time.monotonic() < deadline, answer
        await asyncio.sleep(0.1)
    assert answer["seq"] == 2
    assert await count(db, Post, Post.client_id == "s-2") == 1
    assert await count(db, Post, Post.client_id == "s-1") == 0


async def test_the_periodic_session_re_read_waits_for_the_database_quietly(
    proxied: tuple[TcpProxy, Live],
    cast: Cast,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every socket failing its re-read in turn, each with a stack trace, flooded the log
    during an outage; the re-read now stops at the first and tries again at the next tick."""
    proxy, live = proxied
    monkeypatch.setattr(hub, "REVALIDATE_TICK_SECONDS", 0.1)
    peers = [await live.peer(who) for who in (cast.observer, cast.lcipp, cast.moderator)]
    sockets = live.app.state.hub.connections
    assert len(sockets) == len(peers)
    proxy.refuse()
    for conn in sockets:
        conn.revalidate_at = 0.0
    deadline = time.monotonic() + WAIT
    while "re-reading sessions waits for the database" not in caplog.text:
        assert time.monotonic() < deadline, caplog.text
        await asyncio.sleep(0.05)
    assert "revalidating a socket failed" not in caplog.text
    proxy.restore()
    # Once it is back, the re-read goes through: the sockets are still there, and signed in.
    await peers[0].send(op="ping")
    await peers[0].expect("pong")
    deadline = time.monotonic() + WAIT
    while any(conn.revalidate_at <= time.monotonic() for conn in sockets):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)


# --- SQLite on a full disk -----------------------------------------------------------------


@pytest.fixture
async def on_small_disk(
    settings: Settings, database_url: str, small_disk: SmallDisk, cast: Cast
) -> AsyncIterator[Live]:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite on a disk of its own")
    on_disk = replace(settings, database_url=copy_sqlite(database_url, small_disk.root / "forum.db"))
    async with serving(create_app(on_disk), on_disk) as live:
        yield live


async def test_a_full_disk_refuses_writes_with_503_while_reads_go_on(
    on_small_disk: Live, small_disk: SmallDisk, cast: Cast
) -> None:
    live = on_small_disk
    await make_space(live.http, cast.admin, "full")
    small_disk.fill()
    resp = await live.http.post(
        "/api/spaces/full/threads", json={"title": "Too much", "body": "text"}, headers=cast.observer.headers
    )
    assert_unavailable(resp)
    listed = await live.http.get("/api/spaces/full/threads")
    assert listed.status_code == 200 and listed.json()["items"] == []
    small_disk.empty()
    await make_thread(live.http, cast.observer, "full")


async def test_a_full_disk_over_the_socket_is_a_retryable_error(
    on_small_disk: Live, small_disk: SmallDisk, cast: Cast
) -> None:
    live = on_small_disk
    await make_space(live.http, cast.admin, "workshop-63", kind="workshop")
    thread = await make_thread(live.http, cast.focal_point, "workshop-63")
    cafe = await create_cafe(live.http, cast.moderator, [cast.focal_point], slug="workshop-63")
    table = f"table:{cafe['tables'][0]['id']}"
    await join(live.http, cafe["id"], cast.observer)
    peer = await live.peer(cast.observer)
    await peer.subscribe(table)

    small_disk.fill()
    for topic, client_id in ((f"thread:{thread['id']}", "p-1"), (table, "t-1")):
        failed = await send(peer, topic, client_id)
        assert failed["op"] == "error" and failed["code"] == "unavailable", failed
        assert failed["retry_after"] > 0
    await peer.send(op="ping")
    await peer.expect("pong")
    small_disk.empty()
    for topic, client_id in ((f"thread:{thread['id']}", "p-1"), (table, "t-1")):
        assert (await send(peer, topic, client_id))["op"] == "ack"
