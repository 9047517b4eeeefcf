"""`queue_entries` stays true on every write path, in the writer's transaction.

The moderation queue reads its pages from `queue_entries` (forum.threads.queue), so each
write that changes what waits must change it too: a post written pending, approved,
rejected, hidden, unhidden, deleted, flagged (and hidden by flags), its flags dismissed,
its thread moved to another space; and people flagging one post at once. After each step the table is compared with what the
posts, flags and threads say (`computed_entries`) and with what the step must leave."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from forum.lib.db import create_engine, make_sessionmaker
from forum.settings import Settings
from forum.threads import queue
from forum.threads.models import Flag, QueueEntry
from forum.threads.queue import computed_entries
from tests.conftest import Cast, People, Persona, make_space, make_thread
from tests.helpers import make_post

Entry = tuple[int, int, str]


async def entries(db: AsyncSession) -> set[Entry]:
    """What the table holds, after checking it against the posts, flags and threads."""
    await db.rollback()  # a fresh read of what the requests committed
    rows = (
        await db.execute(select(QueueEntry.post_id, QueueEntry.space_id, QueueEntry.kind, QueueEntry.since))
    ).all()
    truth = (await db.execute(computed_entries())).all()
    held = {(r[0], r[1], r[2], _utc(r[3])) for r in rows}
    assert held == {(r[0], r[1], r[2], _utc(r[3])) for r in truth}
    assert len(rows) == len(held)
    return {(r[0], r[1], r[2]) for r in rows}


def _utc(value: datetime | str) -> datetime:
    # computed_entries' MIN() over a date comes back as SQLite's stored text.
    return datetime.fromisoformat(value) if isinstance(value, str) else value.replace(tzinfo=None)


async def since_of(db: AsyncSession, post_id: int) -> datetime:
    since = await db.scalar(select(QueueEntry.since).where(QueueEntry.post_id == post_id))
    assert since is not None
    return since


async def ok(resp, status: int = 200) -> dict:
    assert resp.status_code == status, resp.text
    return resp.json() if resp.content else {}


async def flag(client: AsyncTestClient, who: Persona, post_id: int) -> None:
    await ok(
        await client.post(f"/api/posts/{post_id}/flags", json={"reason": "spam"}, headers=who.headers), 201
    )


async def test_pending_posts_enter_and_leave_with_their_thread_s_space(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    pre = await make_space(client, cast.admin, "pre", moderation="pre")
    other = await make_space(client, cast.admin, "pre-two", moderation="pre")
    assert await entries(db) == set()
    # A thread opened by an observer waits with its first post.
    opened = await make_thread(client, cast.observer, "pre")
    first = (
        await ok(await client.get(f"/api/threads/{opened['id']}/posts", headers=cast.moderator.headers))
    )["items"][0]["id"]
    assert await entries(db) == {(first, pre["id"], "pending")}
    await ok(await client.post(f"/api/posts/{first}/approve", headers=cast.moderator.headers))
    assert await entries(db) == set()

    thread = await make_thread(client, cast.focal_point, "pre")
    posts = [(await make_post(client, cast.observer, thread["id"], f"p{n}"))["id"] for n in range(4)]
    assert await entries(db) == {(p, pre["id"], "pending") for p in posts}
    await ok(await client.post(f"/api/posts/{posts[0]}/approve", headers=cast.moderator.headers))
    await ok(
        await client.post(
            f"/api/posts/{posts[1]}/reject", json={"reason": "off topic"}, headers=cast.moderator.headers
        )
    )
    await ok(await client.delete(f"/api/posts/{posts[2]}", headers=cast.observer.headers), 204)
    assert await entries(db) == {(posts[3], pre["id"], "pending")}

    # The thread moves: its waiting post goes with it, to the other space's moderators.
    await ok(
        await client.patch(
            f"/api/threads/{thread['id']}", json={"space": "pre-two"}, headers=cast.moderator.headers
        )
    )
    assert await entries(db) == {(posts[3], other["id"], "pending")}
    mod = await people.make("lcipp")
    await ok(
        await client.put(
            "/api/spaces/pre-two/moderators", json={"user_ids": [mod.id]}, headers=cast.admin.headers
        )
    )
    queue = await ok(await client.get("/api/moderation/queue", headers=mod.headers))
    assert [(i["post"]["id"], i["space"]) for i in queue["items"]] == [(posts[3], "pre-two")]


async def test_flagged_posts_enter_and_leave_as_their_flags_open_and_close(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    space = await make_space(client, cast.admin, "open", moderation="post")
    sid = space["id"]
    thread = await make_thread(client, cast.focal_point, "open")
    a, b, c = [(await make_post(client, cast.observer, thread["id"], f"p{n}"))["id"] for n in range(3)]
    assert await entries(db) == set()

    # Flagged: it waits since its oldest open flag, which a second flag leaves alone.
    await flag(client, cast.other_observer, a)
    assert await entries(db) == {(a, sid, "flagged")}
    oldest = await db.scalar(select(Flag.created_at).where(Flag.post_id == a))
    assert await since_of(db, a) == oldest
    await flag(client, cast.lcipp, a)
    assert await since_of(db, a) == oldest

    # Dismissed: out; flagged again: back, since the new flag; hidden by a moderator: out.
    await ok(await client.post(f"/api/posts/{a}/flags/dismiss", json={}, headers=cast.moderator.headers))
    assert await entries(db) == set()
    await flag(client, cast.admin, a)
    assert await entries(db) == {(a, sid, "flagged")}
    assert await since_of(db, a) > oldest
    await ok(
        await client.post(f"/api/posts/{a}/hide", json={"reason": "spam"}, headers=cast.moderator.headers)
    )
    assert await entries(db) == set()
    await ok(await client.post(f"/api/posts/{a}/unhide", json={}, headers=cast.moderator.headers))
    assert await entries(db) == set()

    # Hidden by its flags: it still waits; dismissing them publishes it and takes it out.
    flaggers = [cast.other_observer, cast.lcipp, await people.make("observer")]
    for who in flaggers:
        await flag(client, who, b)
    post_b = await ok(await client.get(f"/api/threads/{thread['id']}/posts", headers=cast.moderator.headers))
    assert {p["id"]: p["status"] for p in post_b["items"]}[b] == "hidden"
    assert await entries(db) == {(b, sid, "flagged")}
    await ok(await client.post(f"/api/posts/{b}/flags/dismiss", json={}, headers=cast.moderator.headers))
    assert await entries(db) == set()

    # Deleted by its author while flagged: it waits for no one.
    await flag(client, cast.other_observer, c)
    assert await entries(db) == {(c, sid, "flagged")}
    await ok(await client.delete(f"/api/posts/{c}", headers=cast.observer.headers), 204)
    assert await entries(db) == set()


async def test_people_flagging_one_post_at_once_leave_one_true_entry(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    space = await make_space(client, cast.admin, "busy", moderation="post")
    thread = await make_thread(client, cast.focal_point, "busy")
    posts = [(await make_post(client, cast.observer, thread["id"], f"contested {n}"))["id"] for n in range(5)]
    # Two flags a post, below the auto-hide threshold (a hidden post is out of the flaggers' sight).
    flaggers = [await people.make("observer") for _ in range(2)]
    results = await asyncio.gather(
        *(
            client.post(f"/api/posts/{post}/flags", json={"reason": "spam"}, headers=who.headers)
            for post in posts
            for who in flaggers
        )
    )
    assert [r.status_code for r in results] == [201] * 10, [r.text for r in results]
    assert await entries(db) == {(post, space["id"], "flagged") for post in posts}
    for post in posts:
        oldest = await db.scalar(select(func.min(Flag.created_at)).where(Flag.post_id == post))
        assert await since_of(db, post) == oldest


async def test_two_writers_of_one_post_take_turns(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession, settings: Settings
) -> None:
    # Deterministic: the second writer refreshes while the first has not committed yet.
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time")
    space = await make_space(client, cast.admin, "turns", moderation="post")
    thread = await make_thread(client, cast.focal_point, "turns")
    post = (await make_post(client, cast.observer, thread["id"], "contested"))["id"]
    first, second = cast.other_observer, cast.lcipp
    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as a, sessions() as b, sessions() as watcher:
            a.add(Flag(post_id=post, user_id=first.id, reason="spam"))
            await queue.refresh(a, post)
            b.add(Flag(post_id=post, user_id=second.id, reason="spam"))
            waiting = asyncio.create_task(queue.refresh(b, post))
            # Until the second writer waits for the first one's lock (or fails).
            while not waiting.done():
                blocked = await watcher.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND datname = current_database()"
                    )
                )
                await watcher.rollback()
                if blocked:
                    break
                await asyncio.sleep(0.01)
            await a.commit()
            await waiting  # without its turn it would collide on the entry's post_id
            await b.commit()
    finally:
        await engine.dispose()
    assert await entries(db) == {(post, space["id"], "flagged")}
    oldest = await db.scalar(select(func.min(Flag.created_at)).where(Flag.post_id == post))
    assert await since_of(db, post) == oldest


async def test_a_moderator_of_many_spaces_reads_one_range_per_kind(
    client: AsyncTestClient, cast: Cast, db: AsyncSession
) -> None:
    # Past MAX_SPACE_RANGES spaces the ranges are one per kind, filtered: the same items.
    pre = await make_space(client, cast.admin, "pre", moderation="pre")
    thread = await make_thread(client, cast.focal_point, "pre")
    waiting = [(await make_post(client, cast.observer, thread["id"], f"p{n}"))["id"] for n in range(3)]
    await db.rollback()
    few = frozenset({pre["id"]})
    many = few | frozenset(range(10_000, 10_001 + queue.MAX_SPACE_RANGES))
    for spaces in (few, many):
        items = await queue.queue_items(db, space_ids=spaces, limit=10)
        assert [i.post.id for i in items] == waiting
        after = (datetime.fromisoformat(items[0].since), items[0].post.id)
        later = await queue.queue_items(db, space_ids=spaces, after=after, limit=1)
        assert [i.post.id for i in later] == waiting[1:2]
    assert await queue.queue_items(db, space_ids=many - few, limit=10) == []
