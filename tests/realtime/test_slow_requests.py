"""Clients that send a request too slowly are cut off (slowloris), over real sockets.

The server runs `forum.lib.http_timeouts.HttpProtocol`, as `forum serve` does, with its
deadlines shortened so that the tests need not wait 20 seconds; the assertions are about
what the server did (closed the connection, answered 408, stored nothing), never about
how fast. Every wait is bounded by WAIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from forum.lib.http_timeouts import HttpProtocol
from forum.realtime.wire import uvicorn_options
from forum.settings import Settings
from forum.threads.models import Thread
from tests.conftest import Cast, make_space
from tests.helpers import count
from tests.realtime.conftest import WAIT, Live, serving


class ShortDeadlines(HttpProtocol):
    header_seconds = 1.0
    body_seconds = 1.0
    # Far above the trickle the tests send, so only the rate decides.
    body_min_rate = 100_000


@pytest.fixture
async def quick(app: Litestar, settings: Settings) -> AsyncIterator[Live]:
    async with serving(app, settings, http=ShortDeadlines) as running:
        yield running


def test_forum_serve_uses_the_protocol_with_deadlines(settings: Settings) -> None:
    assert uvicorn_options(settings)["http"] == "forum.lib.http_timeouts:HttpProtocol"


async def _open(live: Live) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = live.base_url.removeprefix("http://").split(":")
    return await asyncio.wait_for(asyncio.open_connection(host, int(port)), WAIT)


async def _trickle_until_closed(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
) -> bytes:
    """Send `data` a byte at a time, slowly, until the server closes; what it answered.

    Fails if the server still listens after WAIT seconds or once everything was sent."""
    answer = b""
    deadline = time.monotonic() + WAIT
    for i in range(len(data)):
        if reader.at_eof():
            break
        with contextlib.suppress(ConnectionError):
            writer.write(data[i : i + 1])
            await writer.drain()
        # Read whatever came, waiting a little between bytes: the trickle's pace.
        with contextlib.suppress(TimeoutError):
            answer += await asyncio.wait_for(reader.read(4096), 0.25)
        assert time.monotonic() < deadline, "the server kept the slow connection open"
    else:
        pytest.fail("the whole request was sent before the server cut it off: send a longer one")
    with contextlib.suppress(ConnectionError):
        answer += await asyncio.wait_for(reader.read(), WAIT)
    writer.close()
    return answer


async def test_headers_sent_byte_by_byte_are_cut_off_with_408(quick: Live) -> None:
    reader, writer = await _open(quick)
    headers = b"GET /health HTTP/1.1\r\nHost: localhost\r\n" + b"X-Slow: " + b"a" * 4000 + b"\r\n\r\n"
    answer = await _trickle_until_closed(reader, writer, headers)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert reader.at_eof()


async def test_a_connection_that_sends_nothing_is_closed(quick: Live) -> None:
    reader, writer = await _open(quick)
    assert await asyncio.wait_for(reader.read(), WAIT) == b""
    writer.close()


async def test_the_next_request_of_a_kept_alive_connection_has_its_own_deadline(quick: Live) -> None:
    reader, writer = await _open(quick)
    writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    assert head.startswith(b"HTTP/1.1 200"), head
    length = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    await asyncio.wait_for(reader.readexactly(length), WAIT)
    answer = await _trickle_until_closed(
        reader, writer, b"GET /health HTTP/1.1\r\nHost: localhost\r\n" + b"X: " + b"b" * 4000
    )
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]


async def test_a_body_sent_too_slowly_is_cut_off_and_stores_nothing(
    quick: Live, db: AsyncSession, cast: Cast
) -> None:
    await make_space(quick.http, cast.admin, "agora")
    body = b'{"title": "slow", "body": "' + b"x" * 3000 + b'"}'
    reader, writer = await _open(quick)
    writer.write(
        b"POST /api/spaces/agora/threads HTTP/1.1\r\nHost: localhost\r\n"
        + f"Authorization: Bearer {cast.observer.token}\r\n".encode()
        + b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    await writer.drain()
    await _trickle_until_closed(reader, writer, body)
    assert await count(db, Thread) == 0
    # The server is fine: a request sent at once still works.
    resp = await quick.http.post(
        "/api/spaces/agora/threads", json={"title": "fast", "body": "b"}, headers=cast.observer.headers
    )
    assert resp.status_code == 201, resp.text


async def test_a_websocket_outlives_the_header_deadline(quick: Live, cast: Cast) -> None:
    """The upgrade leaves the HTTP protocol: its deadlines do not touch the socket."""
    peer = await quick.peer(cast.observer)
    await asyncio.sleep(ShortDeadlines.header_seconds + ShortDeadlines.body_seconds + 1)
    await peer.send(op="ping")
    await peer.expect("pong")
    await peer.close()
