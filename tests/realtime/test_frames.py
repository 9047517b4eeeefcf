"""Every bad frame gets an `error` frame, and the socket stays open."""

from __future__ import annotations

from dataclasses import replace

import pytest

from forum.realtime.frames import MAX_FRAME_BYTES
from forum.settings import Settings
from tests.conftest import Cast, make_space, make_thread
from tests.realtime.conftest import Live, Peer

SENDS_PER_10S = 3
SENDS_PER_USER_PER_10S = 5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, ws_send_per_10s=SENDS_PER_10S, ws_send_per_user_per_10s=SENDS_PER_USER_PER_10S)


async def still_open(peer: Peer) -> None:
    await peer.send(op="ping")
    await peer.expect("pong")


@pytest.mark.parametrize(
    ("raw", "ref", "says"),
    [
        ("not json at all", None, "JSON"),
        ("[1, 2, 3]", None, "object"),
        ('"subscribe"', None, "object"),
        ("{}", None, "op"),
        ('{"op": "dance"}', None, "unknown op"),
        ('{"op": "subscribe"}', None, "topic"),
        ('{"op": "subscribe", "topic": 42}', None, "topic"),
        ('{"op": "subscribe", "topic": "thread:1", "after": "ten"}', "thread:1", "after"),
        ('{"op": "subscribe", "topic": "thread:1", "after": -1}', "thread:1", "after"),
        ('{"op": "send", "topic": "thread:1", "body": "hi"}', "thread:1", "client_id"),
        ('{"op": "send", "topic": "thread:1", "body": "", "client_id": "c"}', "c", "body"),
        ('{"op": "subscribe", "topic": "weather:1"}', "weather:1", "unknown topic"),
        ('{"op": "subscribe", "topic": "thread:abc"}', "thread:abc", "thread:<id>"),
        ('{"op": "subscribe", "topic": "thread:007"}', "thread:007", "thread:<id>"),
        ('{"op": "subscribe", "topic": "moderation:1"}', "moderation:1", "no id"),
    ],
)
async def test_bad_frames_get_bad_request(
    live: Live, cast: Cast, raw: str, ref: str | None, says: str
) -> None:
    peer = await live.peer(cast.observer)
    await peer.send_raw(raw)
    err = await peer.expect("error")
    assert err["code"] == "bad_request"
    assert err["ref"] == ref
    assert says in err["detail"]
    await still_open(peer)


async def test_a_frame_over_the_limit_is_too_large(live: Live, cast: Cast) -> None:
    peer = await live.peer(cast.observer)
    await peer.send(op="send", topic="thread:1", body="x" * (MAX_FRAME_BYTES + 10), client_id="big")
    err = await peer.expect("error")
    assert err["code"] == "too_large"
    await still_open(peer)


async def test_binary_frames_are_read_as_json(live: Live, cast: Cast) -> None:
    peer = await live.peer(cast.observer)
    await peer.send_raw(b'{"op": "ping"}')
    await peer.expect("pong")
    await peer.send_raw(b"\xff\xfe")
    assert (await peer.expect("error"))["code"] == "bad_request"
    await still_open(peer)


async def test_sends_past_the_per_connection_limit_are_rate_limited(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "busy")
    thread = await make_thread(live.http, cast.focal_point, "busy")
    topic = f"thread:{thread['id']}"
    peer = await live.peer(cast.lcipp)
    for i in range(SENDS_PER_10S):
        await peer.send(op="send", topic=topic, body=f"n{i}", client_id=f"n{i}")
        await peer.expect("ack", client_id=f"n{i}")
    await peer.send(op="send", topic=topic, body="one too many", client_id="extra")
    err = await peer.expect("error")
    assert err["code"] == "rate_limited" and err["ref"] == "extra" and err["retry_after"] >= 1
    await still_open(peer)
    posts = await live.http.get(f"/api/threads/{thread['id']}/posts")
    assert "one too many" not in [p["body"] for p in posts.json()["items"]]
    # Another socket has its own allowance (within the user's).
    other = await live.peer(cast.lcipp)
    await other.send(op="send", topic=topic, body="fresh socket", client_id="fresh")
    await other.expect("ack", client_id="fresh")


async def test_a_users_sockets_share_one_send_allowance(live: Live, cast: Cast) -> None:
    """Opening more sockets does not multiply the limit: the user's sends on all of them
    count together."""
    await make_space(live.http, cast.admin, "busy")
    thread = await make_thread(live.http, cast.focal_point, "busy")
    topic = f"thread:{thread['id']}"
    sockets = [await live.peer(cast.lcipp) for _ in range(3)]
    for n in range(SENDS_PER_USER_PER_10S):
        peer = sockets[n % 2]
        await peer.send(op="send", topic=topic, body=f"u{n}", client_id=f"u{n}")
        await peer.expect("ack", client_id=f"u{n}")
    # The third socket has sent nothing yet, but its user has used the allowance.
    await sockets[2].send(op="send", topic=topic, body="one socket too many", client_id="third")
    err = await sockets[2].expect("error")
    assert err["code"] == "rate_limited" and err["ref"] == "third"
    assert 1 <= err["retry_after"] <= 10
    await still_open(sockets[2])
    posts = await live.http.get(f"/api/threads/{thread['id']}/posts")
    assert "one socket too many" not in [p["body"] for p in posts.json()["items"]]
    # Another user is not affected.
    other = await live.peer(cast.focal_point)
    await other.send(op="send", topic=topic, body="another user", client_id="another")
    await other.expect("ack", client_id="another")


BIG = [2**63, 2**64, 10**30]


@pytest.mark.parametrize("big", BIG)
async def test_topic_ids_beyond_64_bits_are_not_found(live: Live, cast: Cast, big: int) -> None:
    """No row can have such an id: as over HTTP, the topic does not exist (never `internal`)."""
    peer = await live.peer(cast.observer)
    for kind in ("thread", "table", "cafe"):
        await peer.send(op="subscribe", topic=f"{kind}:{big}")
        err = await peer.expect("error")
        assert (err["code"], err["ref"]) == ("not_found", f"{kind}:{big}"), err
        await peer.send(op="send", topic=f"{kind}:{big}", body="hi", client_id=f"c-{kind}")
        err = await peer.expect("error")
        assert err["code"] in ("not_found", "forbidden") and err["ref"] == f"c-{kind}", err
    await still_open(peer)


@pytest.mark.parametrize("big", [*BIG, 0, -1])
async def test_reply_to_beyond_64_bits_is_a_bad_request(live: Live, cast: Cast, big: int) -> None:
    await make_space(live.http, cast.admin, "agora")
    thread = await make_thread(live.http, cast.observer, "agora")
    peer = await live.peer(cast.observer)
    await peer.send(op="send", topic=f"thread:{thread['id']}", body="hi", client_id="r1", reply_to=big)
    err = await peer.expect("error")
    assert (err["code"], err["ref"]) == ("bad_request", "r1"), err
    assert "reply_to" in err["detail"]
    await still_open(peer)


@pytest.mark.parametrize(
    "raw",
    [
        '{"op": "ping", "extra": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"op": "subscribe", "topic": ' + "[" * 5000 + "]" * 5000 + "}",
        "[" * 60_000 + "]" * 60_000,
        '{"op": "send", "topic": "thread:1", "client_id": "d", "body": ' + "{" * 3 + "}" * 3 + "}",
    ],
)
async def test_frames_nested_too_deeply_get_bad_request(live: Live, cast: Cast, raw: str) -> None:
    peer = await live.peer(cast.observer)
    await peer.send_raw(raw)
    err = await peer.expect("error")
    assert err["code"] == "bad_request", err
    await still_open(peer)


async def test_blank_bodies_are_refused_over_the_socket_as_over_http(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "agora")
    thread = await make_thread(live.http, cast.observer, "agora")
    peer = await live.peer(cast.observer)
    await peer.send(op="send", topic=f"thread:{thread['id']}", body="  \n\t ", client_id="blank")
    err = await peer.expect("error")
    assert (err["code"], err["ref"]) == ("bad_request", "blank") and "body" in err["detail"], err
    await still_open(peer)
