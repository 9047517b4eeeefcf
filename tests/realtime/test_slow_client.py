"""A client that stops reading is cut off; everyone else keeps receiving everything."""

from __future__ import annotations

import asyncio
import secrets
import socket

import psutil
import pytest
from websockets.asyncio.client import connect

from forum.realtime import connection, wire
from tests.conftest import Cast, make_space, make_thread
from tests.realtime.conftest import WAIT, Live, Peer

# Posts this big (and not compressible) make each event frame tens of kilobytes, so the
# socket buffers of a client that does not read fill after a few dozen of them.
BIG = secrets.token_urlsafe(14_000)
MAX_POSTS = 400


async def stalled_peer(live: Live, who) -> Peer:
    """A client whose receive buffer is tiny and whose library reads at most one frame ahead."""
    host, port = live.ws_url.removeprefix("ws://").split("/")[0].split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    ws = await connect(
        live.ws_url,
        sock=sock,
        additional_headers=who.headers,
        max_queue=1,
        compression=None,
        open_timeout=WAIT,
    )
    return Peer(ws)


async def test_a_client_that_does_not_read_is_disconnected(
    live: Live, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A short queue, so the test needs dozens of posts rather than thousands.
    monkeypatch.setattr(connection, "SEND_QUEUE_MAX", 16)
    monkeypatch.setattr(connection, "REPLAY_HIGH_WATER", 8)
    await make_space(live.http, cast.admin, "abm")
    thread = await make_thread(live.http, cast.focal_point, "abm")
    topic = f"thread:{thread['id']}"

    slow = await stalled_peer(live, cast.observer)
    await slow.subscribe(topic)
    reader = await live.peer(cast.lcipp)
    await reader.subscribe(topic)

    received: list[int] = []

    async def read_all() -> None:
        while True:
            frame = await reader.expect("event", topic=topic)
            received.append(frame["seq"])

    reading = asyncio.create_task(read_all())
    hub = live.app.state.hub
    posted = 1
    for _ in range(MAX_POSTS):
        await live.post(cast.focal_point, thread["id"], BIG)
        posted += 1
        if any(c.close_code == connection.SLOW_CODE for c in hub.connections):
            break
    else:
        pytest.fail(f"the stalled client was still connected after {MAX_POSTS} posts")
    final = await live.post(cast.focal_point, thread["id"], "the last word")
    posted += 1
    for _ in range(int(WAIT / 0.05)):
        if received and received[-1] >= posted:
            break
        await asyncio.sleep(0.05)
    reading.cancel()
    # The reading client got every event, in order, with no gap, while the other was cut off.
    assert received == list(range(2, posted + 1))
    assert final["number"] == posted

    # The stalled client, once it reads, finds the close frame after what was queued for it.
    code = await slow.closed_code()
    assert code == connection.SLOW_CODE
    seqs = [f["seq"] for f in slow.skipped if f.get("op") == "event"]
    assert posted not in seqs


def _server_side(server_port: int, client_port: int) -> list:
    """The server's end of one TCP connection, as the kernel lists it (both ends live in
    this process: the server under test and the client)."""
    return [
        c
        for c in psutil.Process().net_connections(kind="tcp")
        if c.laddr and c.laddr.port == server_port and c.raddr and c.raddr.port == client_port
    ]


async def test_a_client_that_never_reads_is_cut_off_once_its_queue_is_full(
    live: Live, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server does not keep a socket that never reads until the keepalive gives up on it
    (pings stuck behind a full buffer): once its queue is full the close frame is written at
    once, and the connection dropped if the peer does not answer it within the grace."""
    monkeypatch.setattr(connection, "SEND_QUEUE_MAX", 16)
    monkeypatch.setattr(connection, "REPLAY_HIGH_WATER", 8)
    monkeypatch.setattr(wire, "CLOSE_GRACE_SECONDS", 1.0)
    await make_space(live.http, cast.admin, "never-reads")
    thread = await make_thread(live.http, cast.focal_point, "never-reads")
    topic = f"thread:{thread['id']}"
    slow = await stalled_peer(live, cast.observer)
    await slow.subscribe(topic)
    server_port = int(live.base_url.rsplit(":", 1)[1])
    client_port = slow.ws.local_address[1]
    assert _server_side(server_port, client_port), "the connection is not there to begin with"

    hub = live.app.state.hub
    (conn,) = hub.connections
    for _ in range(MAX_POSTS):
        await live.post(cast.focal_point, thread["id"], BIG)
        if conn.close_code is not None:
            break
    else:
        pytest.fail(f"the stalled client was still connected after {MAX_POSTS} posts")
    assert conn.close_code == connection.SLOW_CODE
    # The client never reads again; the server lets go of the connection all the same (the
    # keepalive, 20 s + 20 s, would only drop it after this wait).
    for _ in range(int(WAIT / 0.1)):
        if not _server_side(server_port, client_port) and conn not in hub.connections:
            break
        await asyncio.sleep(0.1)
    assert not _server_side(server_port, client_port), "the server still holds the connection"
    assert conn not in hub.connections
