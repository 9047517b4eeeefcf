"""Moderators acting on posts: approve (with a correction), reject, hide, unhide; who may.

Each test checks what the caller gets, what others then see over HTTP, the rows of the
audit log, and the events the change stored.
"""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.audit.models import AuditEntry
from forum.threads.models import Post
from tests.conftest import Cast, People, make_space, make_thread
from tests.helpers import events


async def log_count(db: AsyncSession, action: str, target_id: int | None = None) -> int:
    query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    return await db.scalar(query) or 0


async def pending_post(client: AsyncTestClient, cast: Cast, slug: str = "pre-space") -> tuple[dict, dict]:
    """A pre-moderated space with a published thread and an observer's pending reply."""
    space = await make_space(client, cast.admin, slug, moderation="pre")
    thread = await make_thread(client, cast.focal_point, slug)
    resp = await client.post(
        f"/api/threads/{thread['id']}/posts", json={"body": "tpyo here"}, headers=cast.observer.headers
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "pending"
    return space, resp.json()


async def visible_numbers(client: AsyncTestClient, thread_id: int, headers: dict | None = None) -> list[int]:
    resp = await client.get(f"/api/threads/{thread_id}/posts", headers=headers or {})
    assert resp.status_code == 200, resp.text
    return [p["number"] for p in resp.json()["items"]]


async def test_approve_with_correction_keeps_the_original_as_a_revision(
    client: AsyncTestClient, cast: Cast, db: AsyncSession
) -> None:
    _, post = await pending_post(client, cast)
    assert await visible_numbers(client, post["thread_id"], cast.other_observer.headers) == [1]

    resp = await client.post(
        f"/api/posts/{post['id']}/approve", json={"body": "typo here"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "published"
    assert resp.json()["body"] == "typo here"
    assert await visible_numbers(client, post["thread_id"], cast.other_observer.headers) == [1, 2]
    # The original was only ever seen as pending: its author and moderators keep it, others
    # do not learn it (tests/integration/test_revisions.py asks every role).
    revisions = await client.get(f"/api/posts/{post['id']}/revisions", headers=cast.observer.headers)
    assert [r["body"] for r in revisions.json()["items"]] == ["tpyo here"]
    assert revisions.json()["items"][0]["editor"]["id"] == cast.moderator.id
    assert (await client.get(f"/api/posts/{post['id']}/revisions")).json()["items"] == []

    assert await log_count(db, "post.approve", post["id"]) == 1
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "post.approve"))
    assert entry is not None and entry.actor_id == cast.moderator.id
    assert entry.before["status"] == "pending" and entry.after["status"] == "published"
    assert entry.after["corrected"] is True

    # The thread topic: the pending post's creation (restricted), then its approval, public.
    thread_events = await events(db, f"thread:{post['thread_id']}")
    created, approved = thread_events[-2], thread_events[-1]
    assert created.type == "post.created" and created.restricted and created.public_type == "post.hidden"
    assert approved.type == "post.updated" and not approved.restricted
    assert approved.data["status"] == "published" and approved.data["body"] == "typo here"
    # Live, the same Post as over HTTP.
    assert approved.data == resp.json()

    # A second approval is a conflict and logs nothing.
    again = await client.post(f"/api/posts/{post['id']}/approve", headers=cast.moderator.headers)
    assert again.status_code == 409
    assert await log_count(db, "post.approve") == 1


async def test_approve_without_body_and_with_empty_object(client: AsyncTestClient, cast: Cast) -> None:
    _, post = await pending_post(client, cast)
    resp = await client.post(f"/api/posts/{post['id']}/approve", headers=cast.admin.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["body"] == "tpyo here"
    revisions = await client.get(f"/api/posts/{post['id']}/revisions")
    assert revisions.json()["items"] == []
    thread = await make_thread(client, cast.lcipp, "pre-space", title="Another")
    second = await client.post(
        f"/api/threads/{thread['id']}/posts", json={"body": "x"}, headers=cast.observer.headers
    )
    resp = await client.post(f"/api/posts/{second.json()['id']}/approve", json={}, headers=cast.admin.headers)
    assert resp.status_code == 200, resp.text


async def test_approving_the_first_post_publishes_a_pending_thread(
    client: AsyncTestClient, cast: Cast, db: AsyncSession
) -> None:
    await make_space(client, cast.admin, "pre-space", moderation="pre")
    thread = await make_thread(client, cast.observer, "pre-space", title="Waiting")
    assert thread["status"] == "pending"
    assert (
        await client.get(f"/api/threads/{thread['id']}", headers=cast.other_observer.headers)
    ).status_code == 404
    first = (await client.get(f"/api/threads/{thread['id']}/posts", headers=cast.observer.headers)).json()
    post_id = first["items"][0]["id"]
    resp = await client.post(f"/api/posts/{post_id}/approve", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    seen = await client.get(f"/api/threads/{thread['id']}", headers=cast.other_observer.headers)
    assert seen.status_code == 200 and seen.json()["status"] == "published"
    listing = await client.get("/api/spaces/pre-space/threads")
    assert [t["id"] for t in listing.json()["items"]] == [thread["id"]]
    types = [e.type for e in await events(db, f"thread:{thread['id']}")]
    assert types == ["post.created", "thread.updated", "post.updated"]


async def test_reject_needs_a_reason_and_only_the_author_sees_it(
    client: AsyncTestClient, cast: Cast, db: AsyncSession
) -> None:
    _, post = await pending_post(client, cast)
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 1001}):
        bad = await client.post(f"/api/posts/{post['id']}/reject", json=body, headers=cast.moderator.headers)
        assert bad.status_code in (400, 422), body
        assert "reason" in bad.json()["detail"]
    assert await log_count(db, "post.reject") == 0
    resp = await client.post(
        f"/api/posts/{post['id']}/reject", json={"reason": "off topic here"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "hidden"
    assert resp.json()["moderation_reason"] == "off topic here"

    mine = await client.get(f"/api/posts/{post['id']}", headers=cast.observer.headers)
    assert mine.status_code == 200
    assert mine.json()["status"] == "hidden" and mine.json()["moderation_reason"] == "off topic here"
    for other in (cast.other_observer.headers, {}):
        assert (await client.get(f"/api/posts/{post['id']}", headers=other)).status_code == 404
        assert await visible_numbers(client, post["thread_id"], other) == [1]

    assert await log_count(db, "post.reject", post["id"]) == 1
    last = (await events(db, f"thread:{post['thread_id']}"))[-1]
    assert last.type == "post.hidden" and last.restricted
    assert last.data["moderation_reason"] == "off topic here"
    assert last.data == resp.json()
    assert last.public_type == "post.hidden" and "body" not in last.public_data
    # Rejecting a post that is not pending is a conflict.
    again = await client.post(
        f"/api/posts/{post['id']}/reject", json={"reason": "again"}, headers=cast.moderator.headers
    )
    assert again.status_code == 409


async def test_hide_and_unhide_in_a_post_moderated_space(
    client: AsyncTestClient, cast: Cast, db: AsyncSession
) -> None:
    await make_space(client, cast.admin, "open-space")
    thread = await make_thread(client, cast.observer, "open-space", body="Buy cheap watches")
    posts = (await client.get(f"/api/threads/{thread['id']}/posts")).json()["items"]
    post_id = posts[0]["id"]

    hidden = await client.post(
        f"/api/posts/{post_id}/hide", json={"reason": "advertising"}, headers=cast.moderator.headers
    )
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["status"] == "hidden"
    assert await visible_numbers(client, thread["id"]) == []
    assert await visible_numbers(client, thread["id"], cast.moderator.headers) == [1]
    assert (await client.get(f"/api/posts/{post_id}", headers=cast.observer.headers)).json()[
        "moderation_reason"
    ] == "advertising"
    twice = await client.post(
        f"/api/posts/{post_id}/hide", json={"reason": "x"}, headers=cast.moderator.headers
    )
    assert twice.status_code == 409

    shown = await client.post(f"/api/posts/{post_id}/unhide", headers=cast.moderator.headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["status"] == "published" and shown.json()["moderation_reason"] is None
    assert await visible_numbers(client, thread["id"]) == [1]
    assert (
        await client.post(f"/api/posts/{post_id}/unhide", headers=cast.moderator.headers)
    ).status_code == 409

    assert await log_count(db, "post.hide", post_id) == 1
    assert await log_count(db, "post.unhide", post_id) == 1
    tail = (await events(db, f"thread:{thread['id']}"))[-2:]
    assert [e.type for e in tail] == ["post.hidden", "post.updated"]
    assert tail[0].restricted and tail[0].public_data["status"] == "hidden"
    assert not tail[1].restricted and tail[1].data["body"] == "Buy cheap watches"
    assert tail[0].data == hidden.json() and tail[1].data == shown.json()


async def test_who_may_act_on_posts(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await make_space(client, cast.admin, "mine", moderation="pre")
    await make_space(client, cast.admin, "theirs", moderation="pre")
    await make_space(
        client, cast.admin, "secret", moderation="pre", visibility="restricted", allowed_roles=["lcipp"]
    )
    space_mod = await people.make("focal_point")
    resp = await client.put(
        "/api/spaces/mine/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )
    assert resp.status_code == 200

    async def waiting(slug: str) -> tuple[int, int]:
        """(the published first post, an observer's pending reply) in a new thread."""
        thread = await make_thread(client, cast.lcipp, slug)
        first = (await client.get(f"/api/threads/{thread['id']}/posts")).json()["items"][0]["id"]
        resp = await client.post(
            f"/api/threads/{thread['id']}/posts", json={"body": "please"}, headers=cast.observer.headers
        )
        assert resp.json()["status"] == "pending"
        return first, resp.json()["id"]

    _, in_mine = await waiting("mine")
    published_theirs, in_theirs = await waiting("theirs")
    in_secret_thread = await make_thread(client, cast.lcipp, "secret")
    secret_post = (
        await client.get(f"/api/threads/{in_secret_thread['id']}/posts", headers=cast.lcipp.headers)
    ).json()["items"][0]["id"]

    for action, body in (("approve", {}), ("reject", {"reason": "no"}), ("hide", {"reason": "no"})):
        # Nobody signed in: 401. The author sees their own pending post but may not moderate: 403.
        assert (await client.post(f"/api/posts/{in_mine}/{action}", json=body)).status_code == 401
        assert (
            await client.post(f"/api/posts/{in_mine}/{action}", json=body, headers=cast.observer.headers)
        ).status_code == 403
        # Another observer, a focal point who moderates nothing: a pending post is not theirs to see.
        assert (
            await client.post(
                f"/api/posts/{in_mine}/{action}", json=body, headers=cast.other_observer.headers
            )
        ).status_code == 404
        assert (
            await client.post(f"/api/posts/{in_mine}/{action}", json=body, headers=cast.focal_point.headers)
        ).status_code == 404
        # The space moderator outside their space: a pending post there is invisible (404);
        # a published one is visible but not theirs to moderate (403).
        assert (
            await client.post(f"/api/posts/{in_theirs}/{action}", json=body, headers=space_mod.headers)
        ).status_code == 404
        assert (
            await client.post(f"/api/posts/{secret_post}/{action}", json=body, headers=space_mod.headers)
        ).status_code == 404
        assert (
            await client.post(f"/api/posts/999999/{action}", json=body, headers=cast.admin.headers)
        ).status_code == 404
    refused = await client.post(
        f"/api/posts/{published_theirs}/hide", json={"reason": "no"}, headers=space_mod.headers
    )
    assert refused.status_code == 403
    assert (
        await db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("post.%")))
        == 0
    )

    # The space moderator in their space, a global moderator and an admin elsewhere.
    ok = await client.post(f"/api/posts/{in_mine}/approve", headers=space_mod.headers)
    assert ok.status_code == 200, ok.text
    ok = await client.post(
        f"/api/posts/{in_theirs}/reject", json={"reason": "dup"}, headers=cast.moderator.headers
    )
    assert ok.status_code == 200, ok.text
    ok = await client.post(
        f"/api/posts/{secret_post}/hide", json={"reason": "dup"}, headers=cast.admin.headers
    )
    assert ok.status_code == 200, ok.text
    stored = {p.id: p.status for p in (await db.scalars(select(Post))).all()}
    assert (
        stored[in_mine] == "published" and stored[in_theirs] == "hidden" and stored[secret_post] == "hidden"
    )
    actors = {
        (e.action, e.actor_id)
        for e in (await db.scalars(select(AuditEntry).where(AuditEntry.action.like("post.%")))).all()
    }
    assert actors == {
        ("post.approve", space_mod.id),
        ("post.reject", cast.moderator.id),
        ("post.hide", cast.admin.id),
    }
