"""The moderation queue and flags: what each moderator sees, gathering, auto-hide, live notices."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.audit.models import AuditEntry
from forum.threads.models import Flag, Post
from tests.conftest import Cast, People, Persona, make_space, make_thread
from tests.helpers import events, make_post


async def first_post_id(client: AsyncTestClient, thread_id: int, who: Persona | None = None) -> int:
    resp = await client.get(f"/api/threads/{thread_id}/posts", headers=who.headers if who else {})
    return resp.json()["items"][0]["id"]


async def flag(
    client: AsyncTestClient, who: Persona, post_id: int, reason: str = "spam", note: str | None = None
):
    body = {"reason": reason} | ({"note": note} if note is not None else {})
    return await client.post(f"/api/posts/{post_id}/flags", json=body, headers=who.headers)


async def queue(client: AsyncTestClient, who: Persona, query: str = "") -> list[dict]:
    resp = await client.get(f"/api/moderation/queue{query}", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def test_queue_holds_pending_and_flagged_posts_of_the_callers_spaces(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    nma = await make_space(client, cast.admin, "nma-pre", moderation="pre")
    await make_space(client, cast.admin, "general-post", moderation="post", kind="general")
    space_mod = await people.make("lcipp")
    await client.put(
        "/api/spaces/nma-pre/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )

    pre_thread = await make_thread(client, cast.focal_point, "nma-pre")
    pending = await make_post(client, cast.observer, pre_thread["id"], "waiting")
    post_thread = await make_thread(client, cast.observer, "general-post")
    flagged_id = await first_post_id(client, post_thread["id"])
    assert (await flag(client, cast.other_observer, flagged_id, "abusive")).status_code == 201
    assert (await flag(client, cast.focal_point, flagged_id, "other", "not about NMAs")).status_code == 201

    everything = await queue(client, cast.moderator)
    assert [(i["kind"], i["post"]["id"]) for i in everything] == [
        ("pending", pending["id"]),
        ("flagged", flagged_id),
    ]
    item = everything[1]
    assert item["space"] == "general-post"
    assert item["thread"] == {"id": post_thread["id"], "title": "A thread"}
    assert item["flag_count"] == 2
    assert item["reasons"] == {"abusive": 1, "other": 1}
    assert [(f["user"]["id"], f["note"]) for f in item["flags"]] == [
        (cast.other_observer.id, None),
        (cast.focal_point.id, "not about NMAs"),
    ]
    assert everything[0]["post"]["body"] == "waiting" and everything[0]["flags"] == []
    assert await queue(client, cast.admin) == everything

    # A space moderator sees only their space; the filters narrow it further.
    assert [i["post"]["id"] for i in await queue(client, space_mod)] == [pending["id"]]
    assert [i["post"]["id"] for i in await queue(client, cast.moderator, "?kind=flagged")] == [flagged_id]
    assert [i["post"]["id"] for i in await queue(client, cast.moderator, "?kind=pending")] == [pending["id"]]
    assert [i["post"]["id"] for i in await queue(client, cast.moderator, "?space=general-post")] == [
        flagged_id
    ]
    assert (
        await client.get("/api/moderation/queue?space=general-post", headers=space_mod.headers)
    ).status_code == 403
    assert (
        await client.get("/api/moderation/queue?space=nope", headers=space_mod.headers)
    ).status_code == 404
    assert (
        await client.get("/api/moderation/queue?kind=weird", headers=cast.moderator.headers)
    ).status_code == 400

    # Anonymous: 401; someone who moderates nothing: 403.
    assert (await client.get("/api/moderation/queue")).status_code == 401
    for who in (cast.observer, cast.focal_point, cast.lcipp):
        assert (await client.get("/api/moderation/queue", headers=who.headers)).status_code == 403

    # Dealing with an item takes it out of the queue.
    await client.post(f"/api/posts/{pending['id']}/approve", headers=space_mod.headers)
    assert await queue(client, space_mod) == []
    await client.post(
        f"/api/posts/{flagged_id}/hide", json={"reason": "abusive"}, headers=cast.moderator.headers
    )
    assert await queue(client, cast.moderator) == []
    resolved = (await db.scalars(select(Flag).where(Flag.post_id == flagged_id))).all()
    assert len(resolved) == 2 and all(f.resolved_by == cast.moderator.id for f in resolved)
    assert nma["slug"] == "nma-pre"


async def test_queue_pages_oldest_first(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "pre", moderation="pre")
    thread = await make_thread(client, cast.lcipp, "pre")
    ids = [(await make_post(client, cast.observer, thread["id"], f"p{n}"))["id"] for n in range(5)]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        resp = await client.get(f"/api/moderation/queue{query}", headers=cast.moderator.headers)
        assert resp.status_code == 200, resp.text
        seen += [i["post"]["id"] for i in resp.json()["items"]]
        pages += 1
        cursor = resp.json()["next"]
        if cursor is None:
            break
    assert seen == ids and pages == 3
    for bad in ("?limit=0", "?limit=101", "?cursor=garbage"):
        assert (
            await client.get(f"/api/moderation/queue{bad}", headers=cast.moderator.headers)
        ).status_code in (400, 422)


async def test_flag_rules(client: AsyncTestClient, cast: Cast, db: AsyncSession) -> None:
    await make_space(client, cast.admin, "open")
    await make_space(client, cast.admin, "secret", visibility="restricted", allowed_roles=["lcipp"])
    thread = await make_thread(client, cast.observer, "open")
    post_id = await first_post_id(client, thread["id"])
    secret = await make_thread(client, cast.lcipp, "secret")
    secret_post = await first_post_id(client, secret["id"], cast.lcipp)

    resp = await flag(
        client, cast.other_observer, post_id, "safeguards", "consent of the community was not sought"
    )
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert out["reason"] == "safeguards" and out["post_id"] == post_id
    assert out["user"]["id"] == cast.other_observer.id and out["note"].startswith("consent")

    assert (await flag(client, cast.other_observer, post_id, "spam")).status_code == 409
    own = await flag(client, cast.observer, post_id)
    assert own.status_code == 422 and "own" in own.json()["detail"]
    assert (await client.post(f"/api/posts/{post_id}/flags", json={"reason": "spam"})).status_code == 401
    no_note = await flag(client, cast.focal_point, post_id, "other")
    assert no_note.status_code == 422 and no_note.json()["field"] == "note"
    blank_note = await flag(client, cast.focal_point, post_id, "other", "   ")
    assert blank_note.status_code == 422
    bad_reason = await flag(client, cast.focal_point, post_id, "boring")
    assert bad_reason.status_code in (400, 422) and "reason" in bad_reason.json()["detail"]
    # A post the caller may not see does not exist for them.
    assert (await flag(client, cast.observer, secret_post)).status_code == 404
    assert (await flag(client, cast.observer, 987654)).status_code == 404
    count = await db.scalar(select(func.count()).select_from(Flag))
    assert count == 1
    # Flags are no moderator action: nothing in the log.
    assert (
        await db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("post.%")))
        == 0
    )


async def test_flags_gather_and_the_threshold_hides_until_a_moderator_looks(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await make_space(client, cast.admin, "open")
    author = await people.make("observer")
    thread = await make_thread(client, author, "open", body="Spam spam spam")
    post_id = await first_post_id(client, thread["id"])
    flaggers = [cast.other_observer, cast.focal_point, cast.lcipp]
    assert (await flag(client, flaggers[0], post_id, "spam")).status_code == 201
    assert (await flag(client, flaggers[1], post_id, "spam")).status_code == 201
    assert (await client.get(f"/api/posts/{post_id}")).status_code == 200
    assert (await flag(client, flaggers[2], post_id, "abusive")).status_code == 201

    # Three different people: hidden for everyone but its author and the moderators.
    assert (await client.get(f"/api/posts/{post_id}")).status_code == 404
    assert (await client.get(f"/api/posts/{post_id}", headers=cast.other_observer.headers)).status_code == 404
    mine = await client.get(f"/api/posts/{post_id}", headers=author.headers)
    assert mine.json()["status"] == "hidden" and "automatically" in mine.json()["moderation_reason"]
    entries = (await db.scalars(select(AuditEntry).where(AuditEntry.action == "post.auto_hide"))).all()
    assert len(entries) == 1 and entries[0].actor_id is None and entries[0].target_id == post_id

    items = await queue(client, cast.moderator)
    assert len(items) == 1
    assert items[0]["kind"] == "flagged" and items[0]["flag_count"] == 3
    assert items[0]["post"]["status"] == "hidden"
    assert items[0]["reasons"] == {"spam": 2, "abusive": 1}

    # The moderator looks and finds nothing wrong: the post is back, the flags closed.
    resp = await client.post(f"/api/posts/{post_id}/unhide", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    assert (await client.get(f"/api/posts/{post_id}")).json()["status"] == "published"
    assert await queue(client, cast.moderator) == []
    post = await db.get(Post, post_id)
    assert post is not None
    await db.refresh(post)
    assert post.status == "published" and post.moderation_reason is None

    # The thread topic said it: hidden (restricted), then back (public).
    thread_events = await events(db, f"thread:{thread['id']}")
    assert [e.type for e in thread_events] == ["post.created", "post.hidden", "post.updated"]
    assert thread_events[1].restricted and thread_events[1].public_data["status"] == "hidden"


async def test_moderators_posts_are_not_hidden_by_flags_alone(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    await make_space(client, cast.admin, "open")
    thread = await make_thread(client, cast.moderator, "open")
    post_id = await first_post_id(client, thread["id"])
    for who in (cast.observer, cast.other_observer, cast.lcipp, cast.focal_point):
        assert (await flag(client, who, post_id)).status_code == 201
    assert (await client.get(f"/api/posts/{post_id}")).json()["status"] == "published"
    items = await queue(client, cast.admin)
    assert items[0]["flag_count"] == 4


async def test_dismissing_flags_keeps_the_post(client: AsyncTestClient, cast: Cast, db: AsyncSession) -> None:
    await make_space(client, cast.admin, "open")
    thread = await make_thread(client, cast.observer, "open")
    post_id = await first_post_id(client, thread["id"])
    await flag(client, cast.other_observer, post_id, "off_topic")
    resp = await client.post(
        f"/api/posts/{post_id}/flags/dismiss",
        json={"reason": "on topic after all"},
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "published"
    assert await queue(client, cast.moderator) == []
    assert (
        await client.post(f"/api/posts/{post_id}/flags/dismiss", headers=cast.moderator.headers)
    ).status_code == 409
    assert (
        await client.post(f"/api/posts/{post_id}/flags/dismiss", headers=cast.other_observer.headers)
    ).status_code == 403
    count = await db.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "post.dismiss_flags")
    )
    assert count == 1


async def test_live_notices_go_to_the_spaces_moderators_only(
    client: AsyncTestClient, cast: Cast, db: AsyncSession
) -> None:
    space = await make_space(client, cast.admin, "pre", moderation="pre")
    await make_space(client, cast.admin, "open")
    thread = await make_thread(client, cast.lcipp, "pre")
    pending = await make_post(client, cast.observer, thread["id"], "waiting")
    open_thread = await make_thread(client, cast.observer, "open")
    open_post = await first_post_id(client, open_thread["id"])
    await flag(client, cast.other_observer, open_post, "spam")
    await client.post(f"/api/posts/{pending['id']}/approve", headers=cast.moderator.headers)

    evs = await events(db, "moderation")
    assert [(e.seq, e.type) for e in evs] == [
        (1, "moderation.item"),
        (2, "moderation.item"),
        (3, "moderation.resolved"),
    ]
    for ev in evs:
        assert ev.restricted and ev.public_type == "moderation.elsewhere" and ev.public_data == {}
        assert ev.owner_id is None
    assert evs[0].space_id == space["id"]
    assert evs[0].data["kind"] == "pending" and evs[0].data["post"]["id"] == pending["id"]
    assert evs[1].data["kind"] == "flagged" and evs[1].data["flag_count"] == 1
    assert evs[1].data["flags"][0]["user"]["id"] == cast.other_observer.id
    assert evs[2].data == {
        "post_id": pending["id"],
        "space": "pre",
        "action": "approve",
        "status": "published",
        "by": cast.moderator.id,
    }
    # The same item over HTTP and live.
    await client.post(
        f"/api/threads/{thread['id']}/posts", json={"body": "another"}, headers=cast.observer.headers
    )
    over_http = (await queue(client, cast.moderator, "?kind=pending"))[0]
    assert (await events(db, "moderation"))[-1].data == over_http
