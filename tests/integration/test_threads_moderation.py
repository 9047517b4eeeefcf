"""Moderators curating threads: pin, lock, rename, slow mode, move; who may, and what it does."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.audit.models import AuditEntry
from tests.conftest import Cast, People, make_space, make_thread
from tests.helpers import events


async def test_lock_refuses_posts_except_from_moderators(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await make_space(client, cast.admin, "nma")
    space_mod = await people.make("focal_point")
    await client.put(
        "/api/spaces/nma/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )
    thread = await make_thread(client, cast.observer, "nma")
    resp = await client.patch(
        f"/api/threads/{thread['id']}", json={"locked": True, "reason": "settled"}, headers=space_mod.headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["locked"] is True
    for who in (cast.observer, cast.lcipp):
        refused = await client.post(
            f"/api/threads/{thread['id']}/posts", json={"body": "more"}, headers=who.headers
        )
        assert refused.status_code == 403 and "locked" in refused.json()["detail"]
    for who in (space_mod, cast.moderator):
        ok = await client.post(
            f"/api/threads/{thread['id']}/posts", json={"body": "closing note"}, headers=who.headers
        )
        assert ok.status_code == 201
    last = await events(db, f"thread:{thread['id']}")
    assert [e.type for e in last] == ["post.created", "thread.updated", "post.created", "post.created"]
    assert last[1].data["locked"] is True and not last[1].restricted
    entries = (await db.scalars(select(AuditEntry).where(AuditEntry.action == "thread.lock"))).all()
    assert len(entries) == 1 and entries[0].reason == "settled" and entries[0].actor_id == space_mod.id
    # Setting what is already set changes nothing and logs nothing.
    await client.patch(f"/api/threads/{thread['id']}", json={"locked": True}, headers=space_mod.headers)
    assert len((await db.scalars(select(AuditEntry).where(AuditEntry.action == "thread.lock"))).all()) == 1
    unlocked = await client.patch(
        f"/api/threads/{thread['id']}", json={"locked": False}, headers=space_mod.headers
    )
    assert unlocked.json()["locked"] is False
    again = await client.post(
        f"/api/threads/{thread['id']}/posts", json={"body": "more"}, headers=cast.observer.headers
    )
    assert again.status_code == 201


async def test_pin_orders_first(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "nma")
    first = await make_thread(client, cast.observer, "nma", title="Old")
    await make_thread(client, cast.observer, "nma", title="New")
    resp = await client.patch(
        f"/api/threads/{first['id']}", json={"pinned": True}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200
    titles = [t["title"] for t in (await client.get("/api/spaces/nma/threads")).json()["items"]]
    assert titles == ["Old", "New"]


async def test_who_may_curate_threads(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await make_space(client, cast.admin, "mine")
    await make_space(client, cast.admin, "theirs")
    await make_space(client, cast.admin, "secret", visibility="restricted", allowed_roles=["lcipp"])
    space_mod = await people.make("observer")
    await client.put(
        "/api/spaces/mine/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )
    in_theirs = await make_thread(client, cast.observer, "theirs")
    in_secret = await make_thread(client, cast.lcipp, "secret")
    in_mine = await make_thread(client, cast.observer, "mine")

    assert (await client.patch(f"/api/threads/{in_mine['id']}", json={"pinned": True})).status_code == 401
    # The thread's own author and other users: 403.
    for who in (cast.observer, cast.focal_point):
        resp = await client.patch(f"/api/threads/{in_mine['id']}", json={"pinned": True}, headers=who.headers)
        assert resp.status_code == 403
    # The space moderator outside their space: 403 where they see it, 404 where they don't.
    resp = await client.patch(
        f"/api/threads/{in_theirs['id']}", json={"locked": True}, headers=space_mod.headers
    )
    assert resp.status_code == 403
    resp = await client.patch(
        f"/api/threads/{in_secret['id']}", json={"locked": True}, headers=space_mod.headers
    )
    assert resp.status_code == 404
    # Moving a thread needs moderating both spaces.
    resp = await client.patch(
        f"/api/threads/{in_mine['id']}", json={"space": "theirs"}, headers=space_mod.headers
    )
    assert resp.status_code == 403
    resp = await client.patch(
        f"/api/threads/{in_mine['id']}", json={"space": "nowhere"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 422
    assert (await db.scalars(select(AuditEntry).where(AuditEntry.action.like("thread.%")))).all() == []

    moved = await client.patch(
        f"/api/threads/{in_mine['id']}",
        json={"space": "theirs", "reason": "belongs there"},
        headers=cast.moderator.headers,
    )
    assert moved.status_code == 200 and moved.json()["space"] == "theirs"
    listed = [t["id"] for t in (await client.get("/api/spaces/theirs/threads")).json()["items"]]
    assert in_mine["id"] in listed
    # Now it is out of the space moderator's reach.
    resp = await client.patch(
        f"/api/threads/{in_mine['id']}", json={"pinned": True}, headers=space_mod.headers
    )
    assert resp.status_code == 403
    slow = await client.patch(
        f"/api/threads/{in_theirs['id']}", json={"slow_mode_seconds": 60}, headers=cast.admin.headers
    )
    assert slow.status_code == 200 and slow.json()["slow_mode_seconds"] == 60
    actions = sorted(
        e.action
        for e in (await db.scalars(select(AuditEntry).where(AuditEntry.action.like("thread.%")))).all()
    )
    assert actions == ["thread.move", "thread.slow_mode"]
