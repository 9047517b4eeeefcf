"""A thread's events follow it to its new space, and a post never lands in a thread that
moved under it; a change of a whole space's audience reaches every topic of the space."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.lib.db import create_engine, make_sessionmaker
from forum.lib.errors import NotFound
from forum.settings import Settings
from forum.spaces.models import Space
from forum.spaces.viewers import load_viewer
from forum.streams import signals
from forum.streams.models import Event
from forum.threads import services
from forum.threads.posting import PostWritten
from forum.threads.schemas import ThreadPatchIn
from tests.conftest import Cast, People, make_space, make_thread
from tests.helpers import create_cafe, events, join
from tests.integration.conftest import viewer_of
from tests.realtime.conftest import WAIT, Live, expect_nothing_before_marker

PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")


async def test_a_moved_threads_hidden_posts_go_in_full_to_the_new_spaces_moderators_only(
    live: Live, cast: Cast, people: People, db: AsyncSession
) -> None:
    mod_a, mod_b = await people.make("focal_point"), await people.make("lcipp")
    for slug, mod in (("pre-a", mod_a), ("pre-b", mod_b)):
        await make_space(live.http, cast.admin, slug, moderation="pre")
        resp = await live.http.put(
            f"/api/spaces/{slug}/moderators", json={"user_ids": [mod.id]}, headers=cast.admin.headers
        )
        assert resp.status_code == 200, resp.text
    thread = await make_thread(live.http, cast.focal_point, "pre-a")
    waiting = await live.post(cast.observer, thread["id"], "my phone number, pending")
    resp = await live.http.patch(
        f"/api/threads/{thread['id']}", json={"space": "pre-b"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text
    topic = f"thread:{thread['id']}"
    b_space = (await live.http.get("/api/spaces/pre-b")).json()["id"]
    assert {ev.space_id for ev in await events(db, topic)} == {b_space}

    # Over HTTP, the new space's moderator sees the pending post and the old one's does not.
    for who, sees in ((mod_b, True), (mod_a, False)):
        resp = await live.http.get(f"/api/threads/{thread['id']}/posts", headers=who.headers)
        assert (waiting["id"] in [p["id"] for p in resp.json()["items"]]) is sees
    # The socket's replay says the same.
    for who, sees in ((mod_b, True), (mod_a, False)):
        peer = await live.peer(who)
        await peer.subscribe(topic, after=0)
        got = await peer.events_until(topic, 3)
        (announced,) = [e for e in got if e["data"].get("id") == waiting["id"]]
        assert ("my phone number" in str(announced)) is sees, who.name
        assert announced["type"] == ("post.created" if sees else "post.hidden")
        await peer.close()


async def test_a_space_whose_audience_narrows_ends_every_topic_of_it_for_outsiders(
    live: Live, cast: Cast, settings: Settings
) -> None:
    """No call changes a space's visibility today; whatever does (an admin's tool) signals
    `access.changed` with the space in the same transaction, and every process checks the
    sockets on the space's threads, cafés and tables."""
    await make_space(live.http, cast.admin, "workshop", kind="workshop")
    await make_space(live.http, cast.admin, "elsewhere")
    markers = await make_thread(live.http, cast.focal_point, "elsewhere")
    thread = await make_thread(live.http, cast.focal_point, "workshop")
    cafe = await create_cafe(live.http, cast.moderator, [cast.lcipp], slug="workshop")
    table = await join(live.http, cafe["id"], cast.observer)
    topics = [f"thread:{thread['id']}", f"cafe:{cafe['id']}", f"table:{table}"]
    marker_topic = f"thread:{markers['id']}"
    outsider = await live.peer(cast.observer)
    host = await live.peer(cast.lcipp)
    for topic in [*topics, marker_topic]:
        await outsider.subscribe(topic)
    for topic in topics:
        await host.subscribe(topic)
    # Both are at the table now: what the outsider heard of that is not what is tested.
    both = {"table_id": table, "user_ids": sorted([cast.observer.id, cast.lcipp.id])}
    await outsider.expect("event", topic=topics[2], type="presence", data=both)
    outsider.skipped = [f for f in outsider.skipped if f.get("type") != "presence"]

    assert live.app is not None
    engine = create_engine(settings)
    try:
        sessions = make_sessionmaker(engine, live.app.state.hub.publisher)
        async with sessions() as session, session.begin():
            space_id = await session.scalar(select(Space.id).where(Space.slug == "workshop"))
            await session.execute(
                update(Space)
                .where(Space.id == space_id)
                .values(visibility="restricted", allowed_roles=["lcipp"])
            )
            signals.access_changed(session, space_id=space_id)
            # In the same transaction: its event reaches the hub right behind the signal.
            lcipp = await load_viewer(session, await session.get(User, cast.lcipp.id))
            await services.create_post(session, lcipp, thread["id"], "for the LCIPP now")
    finally:
        await engine.dispose()

    for topic in topics:
        err = await outsider.expect("error", ref=topic)
        assert err["code"] == "not_found"
    assert (await host.expect("event", topic=topics[0], type="post.created"))["data"]["body"] == (
        "for the LCIPP now"
    )
    marker = await live.post(cast.focal_point, markers["id"], "marker")
    heard = await expect_nothing_before_marker(outsider, topic=marker_topic)
    assert heard["data"]["id"] == marker["id"]


@pytest.mark.skipif(not PG_URL, reason="SQLite serializes writers: the race needs PostgreSQL")
async def test_a_post_that_waited_for_a_move_is_judged_by_the_new_space(
    live: Live, cast: Cast, settings: Settings
) -> None:
    """A post reads its thread with the row lock the write needs (forum.threads.posting), so
    one that waited for a move's commit reads the moved thread: it is checked by the new
    space's rules and its event names the new space. An observer, who may not read the
    new space, is refused (404) and nothing of theirs is stored; an LCIPP member's post is
    stored there."""
    await make_space(live.http, cast.admin, "open")
    await make_space(live.http, cast.admin, "lcipp-only", visibility="restricted", allowed_roles=["lcipp"])
    thread = await make_thread(live.http, cast.focal_point, "open")
    engine = create_engine(settings)
    try:
        sessions = make_sessionmaker(engine)
        moderator = await viewer_of(sessions, cast.moderator)
        lcipp = await viewer_of(sessions, cast.lcipp)
        observer = await viewer_of(sessions, cast.observer)
        async with sessions() as mover, sessions() as member, sessions() as outsider:
            await mover.begin()
            await services.update_thread(mover, moderator, thread["id"], ThreadPatchIn(space="lcipp-only"))
            await mover.flush()  # the move's row lock is held until the commit
            pids = []
            for poster in (member, outsider):
                await poster.begin()
                pids.append((await poster.execute(text("SELECT pg_backend_pid()"))).scalar_one())

            async def post_and_end(session: AsyncSession, viewer: Viewer, body: str) -> PostWritten:
                # Each ends its transaction at once: whichever gets the row lock first must
                # not keep the other waiting.
                try:
                    written = await services.create_post(session, viewer, thread["id"], body)
                except Exception:
                    await session.rollback()
                    raise
                await session.commit()
                return written

            posting = [
                asyncio.create_task(post_and_end(member, lcipp, "racing the move")),
                asyncio.create_task(post_and_end(outsider, observer, "too late")),
            ]
            # Wait until both posts' reads wait for the move's lock, then commit the move.
            async with sessions() as watcher:
                for _ in range(int(WAIT / 0.05)):
                    waiting = await watcher.scalar(
                        text(
                            "SELECT count(DISTINCT pid) FROM pg_locks WHERE pid = ANY(:pids) AND NOT granted"
                        ),
                        {"pids": pids},
                    )
                    await watcher.rollback()
                    if waiting == 2 or any(task.done() for task in posting):
                        break
                    await asyncio.sleep(0.05)
            assert not any(task.done() for task in posting), posting
            await mover.commit()
            written, refused = await asyncio.wait_for(asyncio.gather(*posting, return_exceptions=True), WAIT)
            assert isinstance(written, PostWritten), written
            assert isinstance(refused, NotFound), refused
        async with sessions() as look:
            announced = await look.scalar(
                select(Event).where(Event.seq == written.seq, Event.topic == f"thread:{thread['id']}")
            )
            new_space = await look.scalar(select(Space.id).where(Space.slug == "lcipp-only"))
        assert announced is not None and announced.space_id == new_space
    finally:
        await engine.dispose()
    posts = await live.http.get(f"/api/threads/{thread['id']}/posts", headers=cast.lcipp.headers)
    assert [p["body"] for p in posts.json()["items"]] == ["First", "racing the move"]


async def test_a_moved_threads_queue_items_go_to_the_new_spaces_moderators(
    live: Live, cast: Cast, people: People
) -> None:
    """The `moderation` topic's items about the thread's posts follow it too: replayed, the
    old space's moderator gets the placeholder, the new one's the item, as the queue says."""
    mod_a, mod_b = await people.make("focal_point"), await people.make("lcipp")
    for slug, mod in (("pre-a", mod_a), ("pre-b", mod_b)):
        await make_space(live.http, cast.admin, slug, moderation="pre")
        resp = await live.http.put(
            f"/api/spaces/{slug}/moderators", json={"user_ids": [mod.id]}, headers=cast.admin.headers
        )
        assert resp.status_code == 200, resp.text
    thread = await make_thread(live.http, cast.focal_point, "pre-a")
    waiting = await live.post(cast.observer, thread["id"], "my phone number, pending")
    resp = await live.http.patch(
        f"/api/threads/{thread['id']}", json={"space": "pre-b"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text

    for who, sees in ((mod_b, True), (mod_a, False)):
        queue = (await live.http.get("/api/moderation/queue", headers=who.headers)).json()["items"]
        assert (waiting["id"] in [item["post"]["id"] for item in queue]) is sees, who.name
        peer = await live.peer(who)
        await peer.subscribe("moderation", after=0)
        (item,) = await peer.events_until("moderation", 1)
        assert item["type"] == ("moderation.item" if sees else "moderation.elsewhere"), who.name
        assert ("my phone number" in str(item)) is sees, who.name
        await peer.close()
