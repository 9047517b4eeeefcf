"""Read positions and unread counts: per thread in lists, per space and in total, per role."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.settings import Settings
from forum.threads.models import ThreadUser
from tests.conftest import Cast, Persona, make_space, make_thread
from tests.helpers import make_post


async def unread(client: AsyncTestClient, who: Persona) -> dict:
    resp = await client.get("/api/me/unread", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def read(client: AsyncTestClient, who: Persona, thread_id: int, number: int) -> None:
    resp = await client.post(f"/api/threads/{thread_id}/read", json={"number": number}, headers=who.headers)
    assert resp.status_code == 204, resp.text


async def listed(client: AsyncTestClient, who: Persona | None, slug: str) -> dict[int, int | None]:
    resp = await client.get(f"/api/spaces/{slug}/threads", headers=who.headers if who else {})
    assert resp.status_code == 200, resp.text
    return {t["id"]: t["unread"] for t in resp.json()["items"]}


async def test_reading_a_page_and_posting_move_the_read_position(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, settings: Settings
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.focal_point, "agora")
    tid = thread["id"]
    for i in range(4):
        await make_post(client, cast.lcipp, tid, f"post {i}")  # numbers 2..5
    # Never opened: no figure yet.
    assert await listed(client, cast.observer, "agora") == {tid: None}
    resp = await client.get(f"/api/threads/{tid}/posts?after=0&limit=3", headers=cast.observer.headers)
    assert [p["number"] for p in resp.json()["items"]] == [1, 2, 3]
    # On PostgreSQL reading a page marks it read; on SQLite a read never writes (it would
    # wait for the writer's lock), and the client says how far it read.
    if settings.is_sqlite:
        assert await listed(client, cast.observer, "agora") == {tid: None}
        await read(client, cast.observer, tid, 3)
    assert await listed(client, cast.observer, "agora") == {tid: 2}
    # Reading on, explicitly; an earlier number never moves it back; beyond the end stops at it.
    assert (
        await client.post(f"/api/threads/{tid}/read", json={"number": 4}, headers=cast.observer.headers)
    ).status_code == 204
    assert (
        await client.post(f"/api/threads/{tid}/read", json={"number": 1}, headers=cast.observer.headers)
    ).status_code == 204
    assert await listed(client, cast.observer, "agora") == {tid: 1}
    await client.post(f"/api/threads/{tid}/read", json={"number": 999}, headers=cast.observer.headers)
    row = await db.scalar(select(ThreadUser).where(ThreadUser.user_id == cast.observer.id))
    assert row is not None and row.last_read_number == 5
    # The author of a post has read it: the lcipp author has nothing unread of their own.
    assert await listed(client, cast.lcipp, "agora") == {tid: 0}
    # Signed out: no figure, and reading marks nothing.
    assert await listed(client, None, "agora") == {tid: None}


async def test_unread_counts_per_role_leave_out_what_others_wait_for(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "workshop", moderation="pre", kind="workshop")
    thread = await make_thread(client, cast.focal_point, "workshop")
    tid = thread["id"]
    readers = (cast.moderator, cast.lcipp, cast.observer, cast.other_observer)
    for who in readers:
        await client.put(f"/api/threads/{tid}/watch", json={"level": "tracking"}, headers=who.headers)
        await read(client, who, tid, 1)
    await make_post(client, cast.focal_point, tid, "published")
    pending = await make_post(client, cast.other_observer, tid, "waiting")
    assert pending["status"] == "pending"
    # One unread post for everyone: the pending one counts for nobody, not even moderators.
    for who in (cast.moderator, cast.lcipp, cast.observer):
        figures = await unread(client, who)
        assert figures["posts"] == 1, who.role
        assert figures["spaces"] == [{"space": "workshop", "unread": 1, "threads": 1}]
        assert figures["threads"][0]["thread_id"] == tid
        assert (await listed(client, who, "workshop"))[tid] == 1
    # Approved, it counts for everyone but its author (who read up to their own post).
    await client.post(f"/api/posts/{pending['id']}/approve", headers=cast.moderator.headers)
    assert (await unread(client, cast.observer))["posts"] == 2
    assert (await unread(client, cast.other_observer))["posts"] == 0


async def test_unread_covers_tracked_threads_of_spaces_the_reader_may_read(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    await make_space(client, cast.admin, "closed", visibility="restricted", allowed_roles=["lcipp"])
    tracked = await make_thread(client, cast.observer, "agora")  # posting tracks it
    normal = await make_thread(client, cast.lcipp, "agora")
    await read(client, cast.observer, normal["id"], 1)
    await make_post(client, cast.lcipp, tracked["id"], "one")
    await make_post(client, cast.lcipp, normal["id"], "two")
    figures = await unread(client, cast.observer)
    assert figures["posts"] == 1 and [t["thread_id"] for t in figures["threads"]] == [tracked["id"]]
    # Shown in the list all the same, for a thread read before.
    assert (await listed(client, cast.observer, "agora"))[normal["id"]] == 1
    # Muting hides the figure.
    await client.put(
        f"/api/threads/{normal['id']}/watch", json={"level": "muted"}, headers=cast.observer.headers
    )
    assert (await listed(client, cast.observer, "agora"))[normal["id"]] is None
    # The thread moves where the observer may not read: it leaves their figures.
    await client.patch(f"/api/threads/{tracked['id']}", json={"space": "closed"}, headers=cast.admin.headers)
    figures = await unread(client, cast.observer)
    assert figures == {"notifications": 0, "posts": 0, "spaces": [], "threads": []}
    watching = (await client.get("/api/me/watching", headers=cast.observer.headers)).json()["items"]
    assert [(w["kind"], w["thread_id"], w["level"]) for w in watching] == [("thread", normal["id"], "muted")]


async def test_tracking_a_batch_keeps_each_users_choice_and_the_furthest_position(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, settings: Settings
) -> None:
    """`track_many` as one statement: a user who watches the space gets no level of their
    own, a level chosen for the thread stays, a position never moves back, a user named
    twice keeps the furthest position, and an id of nobody writes nothing."""
    from forum.lib.db import create_engine, make_sessionmaker
    from forum.threads import reading
    from forum.threads.models import Thread

    await make_space(client, cast.admin, "agora")
    tid = (await make_thread(client, cast.focal_point, "agora"))["id"]
    space_id = (await client.get("/api/spaces/agora")).json()["id"]
    watch = await client.put(
        "/api/spaces/agora/watch", json={"level": "watching"}, headers=cast.observer.headers
    )
    assert watch.status_code in (200, 204), watch.text
    chosen = await client.put(
        f"/api/threads/{tid}/watch", json={"level": "muted"}, headers=cast.lcipp.headers
    )
    assert chosen.status_code in (200, 204), chosen.text
    await read(client, cast.other_observer, tid, 1)

    engine = create_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            thread = await session.get(Thread, tid)
            assert thread is not None and thread.space_id == space_id
            await reading.track_many(
                session,
                [
                    (thread, [cast.observer.id, cast.lcipp.id, 10**9], 0),
                    (thread, [cast.other_observer.id, cast.observer.id], 0),
                    (thread, [cast.observer.id], 1),
                ],
            )
    finally:
        await engine.dispose()

    rows = {
        row.user_id: (row.level, row.last_read_number)
        for row in (await db.scalars(select(ThreadUser).where(ThreadUser.thread_id == tid))).all()
    }
    assert rows[cast.observer.id] == (None, 1)  # watches the space; the furthest of 0 and 1
    assert rows[cast.lcipp.id] == ("muted", 0)  # chose a level: it stays
    assert rows[cast.other_observer.id][1] == 1  # had read 1: tracking at 0 does not move it back
    assert rows[cast.other_observer.id][0] == "tracking"
    assert 10**9 not in rows
