"""Subscribes are limited per socket: each reads the database, so a client looping
subscribe and unsubscribe gets `rate_limited` instead of an endless stream of reads."""

from __future__ import annotations

from dataclasses import replace

import pytest

from forum.settings import Settings
from tests.conftest import Cast, make_space, make_thread
from tests.realtime.conftest import Live

SUBSCRIBES_PER_10S = 4


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, ws_subscribe_per_10s=SUBSCRIBES_PER_10S)


async def test_subscribes_past_the_per_socket_limit_are_rate_limited(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "loop")
    thread = await make_thread(live.http, cast.focal_point, "loop")
    topic = f"thread:{thread['id']}"
    peer = await live.peer(cast.observer)
    for _ in range(SUBSCRIBES_PER_10S):
        await peer.send(op="subscribe", topic=topic)
        await peer.expect("subscribed", topic=topic)
        await peer.send(op="unsubscribe", topic=topic)
        await peer.expect("unsubscribed", topic=topic)
    await peer.send(op="subscribe", topic=topic)
    err = await peer.expect("error")
    assert err["code"] == "rate_limited" and err["ref"] == topic and 1 <= err["retry_after"] <= 10, err
    # The socket stays open and keeps what it holds; another socket has its own allowance.
    await peer.send(op="ping")
    await peer.expect("pong")
    other = await live.peer(cast.observer)
    await other.send(op="subscribe", topic=topic)
    await other.expect("subscribed", topic=topic)
    assert err["detail"].startswith(f"at most {SUBSCRIBES_PER_10S} subscribes")
