"""Losing access to a topic while subscribed: the socket hears `not_found` at once and
nothing of the topic after it, on every process.

Who may read `thread:{id}` changes when the thread moves to another space; who may read
any topic changes with the reader's role, their moderation of a space, a suspension. Each
test subscribes first, makes the change, and checks that the change's own event and every
later one stay away from a socket that lost access, while those who keep it go on.
"""

from __future__ import annotations

import os

import pytest

from forum.lib.db import create_engine, make_sessionmaker
from forum.settings import Settings
from forum.spaces import services as spaces
from forum.spaces.schemas import ModeratorsIn
from forum.threads import services
from forum.threads.schemas import ThreadPatchIn
from tests.conftest import Cast, People, Persona, make_space, make_thread
from tests.integration.conftest import viewer_of
from tests.realtime.conftest import Live, Peer, expect_nothing_before_marker, two_processes

REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL")
PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")


async def two_spaces(live: Live, cast: Cast) -> tuple[dict, dict]:
    """A public thread to move, and a public thread whose posts are every peer's markers.
    The restricted space `lcipp-only` is for the LCIPP (and moderators) only."""
    await make_space(live.http, cast.admin, "open")
    await make_space(live.http, cast.admin, "lcipp-only", visibility="restricted", allowed_roles=["lcipp"])
    moved = await make_thread(live.http, cast.focal_point, "open", title="To be moved")
    markers = await make_thread(live.http, cast.focal_point, "open", title="Markers")
    return moved, markers


async def listening(live: Live, who: Persona | None, *topics: str) -> Peer:
    peer = await live.peer(who)
    for topic in topics:
        await peer.subscribe(topic)
    return peer


async def lost(peer: Peer, topic: str) -> None:
    err = await peer.expect("error", ref=topic)
    assert err["code"] == "not_found", err


async def nothing_more_of(live: Live, peers: list[Peer], author: Persona, markers: dict) -> None:
    """Nothing reaches these peers before the next post of the markers' thread."""
    marker = await live.post(author, markers["id"], "marker")
    for peer in peers:
        heard = await expect_nothing_before_marker(peer, topic=f"thread:{markers['id']}")
        assert heard["data"]["id"] == marker["id"]


async def test_a_thread_moved_into_a_restricted_space_ends_the_outsiders_subscriptions_at_once(
    live: Live, cast: Cast
) -> None:
    moved, markers = await two_spaces(live, cast)
    topic, marker_topic = f"thread:{moved['id']}", f"thread:{markers['id']}"
    outsiders = [await listening(live, who, topic, marker_topic) for who in (cast.observer, None)]
    insider = await listening(live, cast.lcipp, topic)

    resp = await live.http.patch(
        f"/api/threads/{moved['id']}", json={"space": "lcipp-only"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text
    for peer in outsiders:
        await lost(peer, topic)
    # The LCIPP keeps the thread: the move, then the next post in full.
    assert (await insider.expect("event", topic=topic, type="thread.updated"))["data"][
        "space"
    ] == "lcipp-only"
    await live.post(cast.lcipp, moved["id"], "said in the LCIPP space")
    heard = await insider.expect("event", topic=topic, type="post.created")
    assert heard["data"]["body"] == "said in the LCIPP space"
    # Neither the move (which names the restricted space) nor the new post reached the others.
    await nothing_more_of(live, outsiders, cast.focal_point, markers)
    # And they may not come back.
    for peer in outsiders:
        await peer.send(op="subscribe", topic=topic, after=0)
        await lost(peer, topic)


async def test_a_thread_moved_between_public_spaces_keeps_its_subscribers(live: Live, cast: Cast) -> None:
    moved, _ = await two_spaces(live, cast)
    await make_space(live.http, cast.admin, "also-open")
    topic = f"thread:{moved['id']}"
    peer = await listening(live, cast.observer, topic)
    resp = await live.http.patch(
        f"/api/threads/{moved['id']}", json={"space": "also-open"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text
    updated = await peer.expect("event", topic=topic, type="thread.updated")
    assert updated["data"]["space"] == "also-open"
    await live.post(cast.lcipp, moved["id"], "after the move")
    heard = await expect_nothing_before_marker(peer, topic=topic, type="post.created")
    assert heard["data"]["body"] == "after the move" and heard["seq"] == updated["seq"] + 1


async def test_an_event_that_outruns_the_change_is_held_back(
    live: Live, cast: Cast, settings: Settings
) -> None:
    """The move's broker signal never comes (here: a writer without a publisher, as the CLI
    writes): the next event of the thread names the restricted space, and the socket
    checks its access again before delivering it."""
    moved, markers = await two_spaces(live, cast)
    topic, marker_topic = f"thread:{moved['id']}", f"thread:{markers['id']}"
    outsider = await listening(live, cast.observer, topic, marker_topic)
    insider = await listening(live, cast.lcipp, topic)

    engine = create_engine(settings)
    try:
        silent = make_sessionmaker(engine)
        moderator = await viewer_of(silent, cast.moderator)
        async with silent() as session, session.begin():
            await services.update_thread(session, moderator, moved["id"], ThreadPatchIn(space="lcipp-only"))
    finally:
        await engine.dispose()
    await live.post(cast.lcipp, moved["id"], "said in the LCIPP space")

    await lost(outsider, topic)
    await nothing_more_of(live, [outsider], cast.focal_point, markers)
    # The LCIPP gets both: the move, fetched from the log, and the post.
    got = await insider.events_until(topic, 3)
    assert [(e["seq"], e["type"]) for e in got] == [(2, "thread.updated"), (3, "post.created")]


async def test_a_role_change_ends_the_topics_the_new_role_may_not_read(live: Live, cast: Cast) -> None:
    moved, markers = await two_spaces(live, cast)
    await live.http.patch(
        f"/api/threads/{moved['id']}", json={"space": "lcipp-only"}, headers=cast.moderator.headers
    )
    topic, marker_topic = f"thread:{moved['id']}", f"thread:{markers['id']}"
    peer = await listening(live, cast.lcipp, topic, marker_topic)
    resp = await live.http.patch(
        f"/api/users/{cast.lcipp.id}", json={"role": "observer"}, headers=cast.admin.headers
    )
    assert resp.status_code == 200, resp.text
    await lost(peer, topic)
    await live.post(cast.moderator, moved["id"], "for the LCIPP only")
    await nothing_more_of(live, [peer], cast.focal_point, markers)


async def test_a_moderator_removed_from_a_space_hears_its_queue_as_elsewhere_at_once(
    live: Live, cast: Cast, people: People
) -> None:
    """Still moderating another space, they keep the `moderation` topic; the next item of
    the space they left reaches them only as its placeholder."""
    await make_space(live.http, cast.admin, "pre-a", moderation="pre")
    await make_space(live.http, cast.admin, "pre-b", moderation="pre")
    mod = await people.make("focal_point", name="Moderator of both")
    for slug in ("pre-a", "pre-b"):
        resp = await live.http.put(
            f"/api/spaces/{slug}/moderators", json={"user_ids": [mod.id]}, headers=cast.admin.headers
        )
        assert resp.status_code == 200, resp.text
    thread = await make_thread(live.http, cast.focal_point, "pre-a")
    peer = await listening(live, mod, "moderation")
    resp = await live.http.put(
        "/api/spaces/pre-a/moderators", json={"user_ids": []}, headers=cast.admin.headers
    )
    assert resp.status_code == 200, resp.text
    await live.post(cast.observer, thread["id"], "a name and a phone number")
    heard = await peer.expect("event", topic="moderation")
    assert heard["type"] == "moderation.elsewhere" and heard["data"] == {}


async def test_a_moderator_removed_from_a_restricted_space_loses_its_topics(
    live: Live, cast: Cast, people: People
) -> None:
    await make_space(live.http, cast.admin, "closed", visibility="restricted")
    await make_space(live.http, cast.admin, "open")
    markers = await make_thread(live.http, cast.focal_point, "open")
    mod = await people.make("focal_point", name="Moderator of closed")
    resp = await live.http.put(
        "/api/spaces/closed/moderators", json={"user_ids": [mod.id]}, headers=cast.admin.headers
    )
    assert resp.status_code == 200, resp.text
    thread = await make_thread(live.http, mod, "closed")
    topic = f"thread:{thread['id']}"
    peer = await listening(live, mod, topic, "moderation", f"thread:{markers['id']}")
    resp = await live.http.put(
        "/api/spaces/closed/moderators", json={"user_ids": []}, headers=cast.admin.headers
    )
    assert resp.status_code == 200, resp.text
    await lost(peer, topic)
    await lost(peer, "moderation")
    await live.post(cast.moderator, thread["id"], "between the secretariat")
    await nothing_more_of(live, [peer], cast.focal_point, markers)


@pytest.mark.redis
@pytest.mark.skipif(
    not (REDIS_URL and PG_URL), reason="needs FORUM_TEST_REDIS_URL and FORUM_TEST_DATABASE_URL"
)
async def test_a_move_ends_the_outsiders_subscriptions_on_every_process(
    database_url: str, cast: Cast
) -> None:
    async with two_processes(database_url, REDIS_URL) as (live_one, live_two):
        moved, markers = await two_spaces(live_one, cast)
        topic, marker_topic = f"thread:{moved['id']}", f"thread:{markers['id']}"
        outsiders = [
            await listening(live, who, topic, marker_topic)
            for live in (live_one, live_two)
            for who in (cast.observer, None)
        ]
        insiders = [await listening(live, cast.lcipp, topic) for live in (live_one, live_two)]

        resp = await live_two.http.patch(
            f"/api/threads/{moved['id']}", json={"space": "lcipp-only"}, headers=cast.moderator.headers
        )
        assert resp.status_code == 200, resp.text
        for peer in outsiders:
            await lost(peer, topic)
        await live_one.post(cast.lcipp, moved["id"], "said in the LCIPP space")
        for peer in insiders:
            heard = await peer.expect("event", topic=topic, type="post.created")
            assert heard["data"]["body"] == "said in the LCIPP space"
        marker = await live_two.post(cast.focal_point, markers["id"], "marker")
        for peer in outsiders:
            heard = await expect_nothing_before_marker(peer, topic=marker_topic)
            assert heard["data"]["id"] == marker["id"]


async def test_an_event_right_behind_an_account_change_is_judged_by_the_new_account(
    live: Live, cast: Cast, people: People, settings: Settings
) -> None:
    """The change and the next queue item reach the hub back to back (here: one transaction
    makes both): the item waits for the socket's session to be re-read."""
    await make_space(live.http, cast.admin, "pre-a", moderation="pre")
    await make_space(live.http, cast.admin, "pre-b", moderation="pre")
    mod = await people.make("focal_point", name="Moderator of both")
    for slug in ("pre-a", "pre-b"):
        resp = await live.http.put(
            f"/api/spaces/{slug}/moderators", json={"user_ids": [mod.id]}, headers=cast.admin.headers
        )
        assert resp.status_code == 200, resp.text
    thread = await make_thread(live.http, cast.focal_point, "pre-a")
    peer = await listening(live, mod, "moderation")

    assert live.app is not None
    engine = create_engine(settings)
    try:
        sessions = make_sessionmaker(engine, live.app.state.hub.publisher)
        admin, observer = await viewer_of(sessions, cast.admin), await viewer_of(sessions, cast.observer)
        async with sessions() as session, session.begin():
            await spaces.set_moderators(session, admin, "pre-a", ModeratorsIn(user_ids=[]))
            await services.create_post(session, observer, thread["id"], "a name and a phone number")
    finally:
        await engine.dispose()
    heard = await peer.expect("event", topic="moderation")
    assert heard["type"] == "moderation.elsewhere" and heard["data"] == {}
