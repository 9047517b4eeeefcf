"""Polls over real sockets: each answer brings the space's moderators the new results and
everyone else only the count; a poll in a restricted space is no topic for outsiders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import Cast, make_space
from tests.realtime.conftest import Live

SLUG = "live-feedback"


async def make_poll(live: Live, cast: Cast, slug: str) -> dict:
    resp = await live.http.post(
        f"/api/spaces/{slug}/polls",
        json={
            "title": "How was it?",
            "questions": [{"kind": "rating", "prompt": "Rate the workshop"}],
            "closes_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        },
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_moderators_see_results_live_and_others_the_count(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, SLUG, kind="workshop")
    poll = await make_poll(live, cast, SLUG)
    topic = f"poll:{poll['id']}"
    moderator = await live.peer(cast.moderator)
    participant = await live.peer(cast.observer)
    for peer in (moderator, participant):
        await peer.subscribe(topic, after=0)

    resp = await live.http.put(
        f"/api/polls/{poll['id']}/response", json={"answers": [4]}, headers=cast.focal_point.headers
    )
    assert resp.status_code == 200, resp.text
    seen = await moderator.expect("event", topic=topic, seq=1)
    assert seen["type"] == "poll.answered"
    assert seen["data"]["results"]["questions"][0]["counts"] == [0, 0, 0, 1, 0]
    told = await participant.expect("event", topic=topic, seq=1)
    assert told["data"] == {"poll_id": poll["id"], "responses": 1}


async def test_a_restricted_poll_is_no_topic_for_outsiders(live: Live, cast: Cast) -> None:
    await make_space(
        live.http,
        cast.admin,
        "lcipp-feedback",
        kind="workshop",
        visibility="restricted",
        allowed_roles=["lcipp"],
    )
    poll = await make_poll(live, cast, "lcipp-feedback")
    topic = f"poll:{poll['id']}"
    for who in (cast.observer, None):
        peer = await live.peer(who)
        await peer.send(op="subscribe", topic=topic)
        assert (await peer.expect("error", ref=topic))["code"] == "not_found"
    member = await live.peer(cast.lcipp)
    assert (await member.subscribe(topic, after=0))["topic"] == topic
