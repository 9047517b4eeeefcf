"""A client that stops reading is cut off; everyone else keeps receiving everything."""

from __future__ import annotations

import asyncio
import secrets
import socket

import pytest
from websockets.asyncio.client import connect

from forum.realtime import connection
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
