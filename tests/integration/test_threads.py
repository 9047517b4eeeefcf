"""Threads and posts: opening, listing and paging, numbering, replies, edits, deletes, idempotency."""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.audit.models import AuditEntry
from forum.streams.models import Event
from forum.threads.models import Post, PostRevision, Thread
from tests.conftest import Cast, Persona, make_space, make_thread
from tests.helpers import assert_problem, count, make_post


async def numbers(
    client: AsyncTestClient, thread_id: int, who: Persona | None = None, query: str = ""
) -> list[int]:
    resp = await client.get(f"/api/threads/{thread_id}/posts{query}", headers=who.headers if who else {})
    assert resp.status_code == 200, resp.text
    return [p["number"] for p in resp.json()["items"]]


async def test_open_a_thread_its_body_is_post_one(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    resp = await client.post(
        "/api/spaces/agora/threads",
        json={"title": "  Mother Earth centred actions  ", "body": "Opening **words**"},
        headers=cast.focal_point.headers,
    )
    assert resp.status_code == 201, resp.text
    thread = resp.json()
    assert thread["title"] == "Mother Earth centred actions"
    assert thread["space"] == "agora"
    assert thread["author"]["id"] == cast.focal_point.id
    assert thread["author"]["party"] == "JPN"
    assert "email" not in thread["author"]
    assert thread["post_count"] == 1
    assert thread["pinned"] is False and thread["locked"] is False
    assert thread["created_at"].endswith("Z") and thread["last_post_at"].endswith("Z")
    posts = (await client.get(f"/api/threads/{thread['id']}/posts")).json()["items"]
    assert len(posts) == 1
    first = posts[0]
    assert first["number"] == 1
    assert first["body"] == "Opening **words**"
    assert first["html"].strip() == "<p>Opening <strong>words</strong></p>"
    assert first["status"] == "published"
    assert first["thread_id"] == thread["id"]
    assert set(first) >= {
        "id", "thread_id", "number", "author", "body", "html", "status", "reply_to", "client_id",
        "created_at", "edited_at",
    }  # fmt: skip
    assert await count(db, Thread) == 1
    assert await count(db, Post) == 1
    assert (await client.get(f"/api/threads/{thread['id']}")).json()["title"] == thread["title"]


async def test_anonymous_cannot_open_threads_or_post(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.observer, "agora")
    assert_problem(await client.post("/api/spaces/agora/threads", json={"title": "t", "body": "b"}), 401)
    assert_problem(await client.post(f"/api/threads/{thread['id']}/posts", json={"body": "b"}), 401)
    assert await count(db, Post) == 1
    # ... but may read a public space.
    assert await numbers(client, thread["id"]) == [1]


async def test_threads_list_pinned_first_then_latest_activity(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    a = await make_thread(client, cast.observer, "agora", title="A")
    b = await make_thread(client, cast.observer, "agora", title="B")
    c = await make_thread(client, cast.observer, "agora", title="C")
    # Activity in A makes it the latest; pinning B puts it first whatever its age.
    await make_post(client, cast.other_observer, a["id"], "bump")
    resp = await client.patch(
        f"/api/threads/{b['id']}", json={"pinned": True}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text
    listing = (await client.get("/api/spaces/agora/threads")).json()
    assert [t["title"] for t in listing["items"]] == ["B", "A", "C"]
    assert listing["next"] is None
    assert listing["items"][0]["pinned"] is True
    assert listing["items"][1]["post_count"] == 2
    del c


async def test_threads_cursor_pagination_walks_every_thread_once(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    made = [await make_thread(client, cast.observer, "agora", title=f"T{i}") for i in range(7)]
    await client.patch(f"/api/threads/{made[3]['id']}", json={"pinned": True}, headers=cast.admin.headers)
    await make_post(client, cast.observer, made[1]["id"], "bump")
    full = [t["id"] for t in (await client.get("/api/spaces/agora/threads?limit=100")).json()["items"]]
    for limit in (1, 2, 3):
        seen: list[int] = []
        cursor = None
        while True:
            query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            page = (await client.get(f"/api/spaces/agora/threads{query}")).json()
            assert len(page["items"]) <= limit
            seen += [t["id"] for t in page["items"]]
            cursor = page["next"]
            if cursor is None:
                break
        assert seen == full
    assert full[0] == made[3]["id"]
    assert full[1] == made[1]["id"]
    assert len(full) == 7


async def test_posts_ascending_with_after_and_limit(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.observer, "agora")
    tid = thread["id"]
    for i in range(2, 8):
        created = await make_post(client, cast.observer if i % 2 else cast.lcipp, tid, f"post {i}")
        assert created["number"] == i
    assert await numbers(client, tid) == [1, 2, 3, 4, 5, 6, 7]
    assert await numbers(client, tid, query="?after=3") == [4, 5, 6, 7]
    assert await numbers(client, tid, query="?after=3&limit=2") == [4, 5]
    assert await numbers(client, tid, query="?after=7") == []
    assert await numbers(client, tid, query="?after=100") == []
    page = (await client.get(f"/api/threads/{tid}/posts?limit=3")).json()
    assert page["next"] is not None
    last = (await client.get(f"/api/threads/{tid}/posts?after=5")).json()
    assert last["next"] is None
    assert (await client.get(f"/api/threads/{tid}")).json()["post_count"] == 7


async def test_numbers_are_never_reused(client: AsyncTestClient, db: AsyncSession, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    tid = (await make_thread(client, cast.observer, "agora"))["id"]
    p2 = await make_post(client, cast.observer, tid, "two")
    p3 = await make_post(client, cast.observer, tid, "three")
    assert (await client.delete(f"/api/posts/{p3['id']}", headers=cast.observer.headers)).status_code == 204
    assert (await client.delete(f"/api/posts/{p2['id']}", headers=cast.moderator.headers)).status_code == 204
    p4 = await make_post(client, cast.observer, tid, "four")
    assert p4["number"] == 4
    assert await numbers(client, tid) == [1, 2, 3, 4]
    stored = (await db.scalars(select(Post.number).where(Post.thread_id == tid).order_by(Post.number))).all()
    assert list(stored) == [1, 2, 3, 4]
    # Numbers are per thread.
    other = (await make_thread(client, cast.observer, "agora"))["id"]
    assert (await make_post(client, cast.observer, other, "x"))["number"] == 2


async def test_reply_to_must_be_in_the_same_thread(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    t1 = (await make_thread(client, cast.observer, "agora"))["id"]
    t2 = (await make_thread(client, cast.observer, "agora"))["id"]
    first_of_t1 = (await client.get(f"/api/threads/{t1}/posts")).json()["items"][0]
    first_of_t2 = (await client.get(f"/api/threads/{t2}/posts")).json()["items"][0]
    reply = await make_post(client, cast.lcipp, t1, "I agree", reply_to=first_of_t1["id"])
    assert reply["reply_to"] == first_of_t1["id"]
    before = await count(db, Post)
    for target in (first_of_t2["id"], 999999, -1):
        resp = await client.post(
            f"/api/threads/{t1}/posts", json={"body": "x", "reply_to": target}, headers=cast.lcipp.headers
        )
        assert_problem(resp, (400, 404, 422), names="reply_to")
    assert await count(db, Post) == before
    assert (await client.get(f"/api/threads/{t1}")).json()["post_count"] == 2


async def test_edit_keeps_revisions_oldest_first(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    await client.put(
        "/api/spaces/agora/moderators", json={"user_ids": [cast.lcipp.id]}, headers=cast.admin.headers
    )
    tid = (await make_thread(client, cast.observer, "agora", body="v1"))["id"]
    pid = (await client.get(f"/api/threads/{tid}/posts")).json()["items"][0]["id"]
    resp = await client.patch(f"/api/posts/{pid}", json={"body": "v2"}, headers=cast.observer.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["body"] == "v2"
    assert resp.json()["edited_at"] is not None
    resp = await client.patch(f"/api/posts/{pid}", json={"body": "v3 *x*"}, headers=cast.lcipp.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["html"].strip() == "<p>v3 <em>x</em></p>"
    revisions = (await client.get(f"/api/posts/{pid}/revisions")).json()["items"]
    assert [r["body"] for r in revisions] == ["v1", "v2"]
    assert [r["editor"]["id"] for r in revisions] == [cast.observer.id, cast.lcipp.id]
    assert all(r["edited_at"].endswith("Z") for r in revisions)
    assert revisions[0]["edited_at"] <= revisions[1]["edited_at"]
    assert (await client.get(f"/api/posts/{pid}")).json()["body"] == "v3 *x*"
    # An edit by a moderator who is not the author is logged; the author's own is not.
    assert await count(db, AuditEntry, AuditEntry.action == "post.edit") == 1
    assert await count(db, PostRevision) == 2


async def test_only_the_author_or_a_moderator_edits_or_deletes(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    await make_space(client, cast.admin, "elsewhere")
    await client.put(
        "/api/spaces/elsewhere/moderators", json={"user_ids": [cast.lcipp.id]}, headers=cast.admin.headers
    )
    tid = (await make_thread(client, cast.observer, "agora", body="mine"))["id"]
    pid = (await client.get(f"/api/threads/{tid}/posts")).json()["items"][0]["id"]
    # The moderator of another space is an ordinary user here.
    for who in (cast.other_observer, cast.focal_point, cast.lcipp):
        assert_problem(
            await client.patch(f"/api/posts/{pid}", json={"body": "theirs"}, headers=who.headers), 403
        )
        assert_problem(await client.delete(f"/api/posts/{pid}", headers=who.headers), 403)
    assert_problem(await client.patch(f"/api/posts/{pid}", json={"body": "anon"}), 401)
    assert_problem(await client.delete(f"/api/posts/{pid}"), 401)
    got = (await client.get(f"/api/posts/{pid}")).json()
    assert (got["body"], got["status"], got["edited_at"]) == ("mine", "published", None)
    assert await count(db, PostRevision) == 0
    for who in (cast.moderator, cast.admin):
        resp = await client.patch(f"/api/posts/{pid}", json={"body": f"by {who.role}"}, headers=who.headers)
        assert resp.status_code == 200


async def test_delete_removes_the_text_from_every_read(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    tid = (await make_thread(client, cast.observer, "agora"))["id"]
    p = await make_post(client, cast.observer, tid, "an indiscreet remark")
    pid = p["id"]
    await client.patch(
        f"/api/posts/{pid}", json={"body": "a still indiscreet remark"}, headers=cast.observer.headers
    )
    assert (await client.delete(f"/api/posts/{pid}", headers=cast.observer.headers)).status_code == 204
    for who in (None, cast.observer, cast.moderator):
        h = who.headers if who else {}
        items = (await client.get(f"/api/threads/{tid}/posts", headers=h)).json()["items"]
        gone = next(i for i in items if i["id"] == pid)
        assert gone["status"] == "deleted"
        assert gone["body"] == "" and gone["html"] == ""
        single = (await client.get(f"/api/posts/{pid}", headers=h)).json()
        assert single["status"] == "deleted" and single["body"] == ""
        assert (await client.get(f"/api/posts/{pid}/revisions", headers=h)).json()["items"] == []
    stored = await db.scalar(select(Post.body).where(Post.id == pid))
    assert stored == ""
    assert await count(db, PostRevision, PostRevision.post_id == pid) == 0
    # Nor does the event log replay it to a client that reconnects from the start.
    events = (await db.scalars(select(Event).where(Event.topic == f"thread:{tid}"))).all()
    assert events
    for ev in events:
        assert "indiscreet" not in str(ev.data) and "indiscreet" not in str(ev.public_data)
    # A deleted post cannot be edited back to life; deleting again is harmless.
    assert_problem(
        await client.patch(f"/api/posts/{pid}", json={"body": "back"}, headers=cast.observer.headers), 409
    )
    assert (await client.delete(f"/api/posts/{pid}", headers=cast.observer.headers)).status_code == 204


async def test_a_moderator_delete_is_audited(client: AsyncTestClient, db: AsyncSession, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    tid = (await make_thread(client, cast.observer, "agora"))["id"]
    p = await make_post(client, cast.observer, tid, "spam spam")
    assert (await client.delete(f"/api/posts/{p['id']}", headers=cast.moderator.headers)).status_code == 204
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "post.delete"))
    assert entry is not None
    assert (entry.actor_id, entry.target_id) == (cast.moderator.id, p["id"])


async def test_client_id_makes_posting_idempotent(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    tid = (await make_thread(client, cast.observer, "agora"))["id"]
    body = {"body": "only once", "client_id": "c-42"}
    first = await client.post(f"/api/threads/{tid}/posts", json=body, headers=cast.observer.headers)
    assert first.status_code == 201
    again = await client.post(f"/api/threads/{tid}/posts", json=body, headers=cast.observer.headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    # Even with another body: the first post stands.
    third = await client.post(
        f"/api/threads/{tid}/posts",
        json={"body": "changed", "client_id": "c-42"},
        headers=cast.observer.headers,
    )
    assert third.status_code == 200 and third.json()["id"] == first.json()["id"]
    assert await count(db, Post, Post.client_id == "c-42") == 1
    assert await numbers(client, tid) == [1, 2]
    # Another author's client_id is their own.
    other = await client.post(f"/api/threads/{tid}/posts", json=body, headers=cast.other_observer.headers)
    assert other.status_code == 201
    assert other.json()["number"] == 3
    # One post.created event per stored post.
    created = (
        await db.scalars(select(Event).where(Event.topic == f"thread:{tid}", Event.type == "post.created"))
    ).all()
    assert len(created) == 3


async def test_client_id_makes_opening_a_thread_idempotent(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    body = {"title": "Once", "body": "only once", "client_id": "open-1"}
    first = await client.post("/api/spaces/agora/threads", json=body, headers=cast.observer.headers)
    assert first.status_code == 201, first.text
    again = await client.post("/api/spaces/agora/threads", json=body, headers=cast.observer.headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert await count(db, Thread) == 1
    assert await count(db, Post) == 1
    # A client_id that named a reply cannot open a thread.
    await make_post(client, cast.observer, first.json()["id"], "reply", client_id="reply-1")
    resp = await client.post(
        "/api/spaces/agora/threads",
        json={"title": "t", "body": "b", "client_id": "reply-1"},
        headers=cast.observer.headers,
    )
    assert_problem(resp, 409, names="client_id")
    assert await count(db, Thread) == 1


async def test_client_id_from_another_thread_is_a_conflict(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    t1 = (await make_thread(client, cast.observer, "agora"))["id"]
    t2 = (await make_thread(client, cast.observer, "agora"))["id"]
    await make_post(client, cast.observer, t1, "x", client_id="dup")
    resp = await client.post(
        f"/api/threads/{t2}/posts", json={"body": "x", "client_id": "dup"}, headers=cast.observer.headers
    )
    assert_problem(resp, 409, names="client_id")
    assert await count(db, Post) == 3


# Pre-moderation


async def test_pre_moderation_holds_observers_posts(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, people
) -> None:
    await make_space(client, cast.admin, "careful", moderation="pre")
    space_mod = await people.make("observer", name="Careful Mod")
    await client.put(
        "/api/spaces/careful/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )
    tid = (await make_thread(client, cast.lcipp, "careful"))["id"]
    statuses = {}
    for who in (cast.focal_point, cast.lcipp, cast.moderator, cast.admin, space_mod, cast.observer):
        statuses[who.name] = await make_post(client, who, tid, f"from {who.name}")
    assert statuses[cast.observer.name]["status"] == "pending"
    for who in (cast.focal_point, cast.lcipp, cast.moderator, cast.admin, space_mod):
        assert statuses[who.name]["status"] == "published", who.role
    pending = statuses[cast.observer.name]
    # Others never learn of it; the author and the space's moderators do.
    for who in (None, cast.other_observer, cast.focal_point, cast.lcipp):
        h = who.headers if who else {}
        ids = [p["id"] for p in (await client.get(f"/api/threads/{tid}/posts", headers=h)).json()["items"]]
        assert pending["id"] not in ids
        assert_problem(await client.get(f"/api/posts/{pending['id']}", headers=h), 404)
        assert_problem(await client.get(f"/api/posts/{pending['id']}/revisions", headers=h), 404)
    for who in (cast.observer, space_mod, cast.moderator, cast.admin):
        ids = [
            p["id"]
            for p in (await client.get(f"/api/threads/{tid}/posts", headers=who.headers)).json()["items"]
        ]
        assert pending["id"] in ids
        got = await client.get(f"/api/posts/{pending['id']}", headers=who.headers)
        assert got.status_code == 200 and got.json()["status"] == "pending"
    # A pending post does not count as activity for others.
    thread = (await client.get(f"/api/threads/{tid}")).json()
    assert thread["last_post_at"] >= statuses[space_mod.name]["created_at"]
    # Others may not reply to what they cannot see.
    resp = await client.post(
        f"/api/threads/{tid}/posts",
        json={"body": "re", "reply_to": pending["id"]},
        headers=cast.lcipp.headers,
    )
    assert_problem(resp, (400, 404, 422), names="reply_to")


async def test_hidden_posts_are_seen_only_by_their_author_and_the_space_moderators(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, people
) -> None:
    await make_space(client, cast.admin, "agora")
    space_mod = await people.make("lcipp", name="Agora Mod")
    await client.put(
        "/api/spaces/agora/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )
    tid = (await make_thread(client, cast.focal_point, "agora"))["id"]
    p = await make_post(client, cast.observer, tid, "off-topic rant")
    resp = await client.post(
        f"/api/posts/{p['id']}/hide", json={"reason": "off topic"}, headers=space_mod.headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "hidden"
    for who in (None, cast.other_observer, cast.focal_point, cast.lcipp):
        h = who.headers if who else {}
        items = (await client.get(f"/api/threads/{tid}/posts", headers=h)).json()["items"]
        assert p["id"] not in [i["id"] for i in items]
        assert "rant" not in str(items)
        assert_problem(await client.get(f"/api/posts/{p['id']}", headers=h), 404)
    for who in (cast.observer, space_mod, cast.moderator, cast.admin):
        got = await client.get(f"/api/posts/{p['id']}", headers=who.headers)
        assert got.status_code == 200 and got.json()["status"] == "hidden"
        assert p["id"] in visible_ids(await client.get(f"/api/threads/{tid}/posts", headers=who.headers))
    # A client replaying the thread's events from the start learns of it only as a stub.
    events = (await db.scalars(select(Event).where(Event.topic == f"thread:{tid}"))).all()
    about = [ev for ev in events if ev.type.startswith("post.") and ev.data.get("id") == p["id"]]
    assert len(about) == 2
    for ev in about:
        assert ev.restricted and ev.owner_id == cast.observer.id
        assert "rant" not in str(ev.public_data)
    # Unhidden, it is everyone's again.
    resp = await client.post(f"/api/posts/{p['id']}/unhide", headers=space_mod.headers)
    assert resp.status_code == 200, resp.text
    assert p["id"] in visible_ids(await client.get(f"/api/threads/{tid}/posts"))


def visible_ids(resp) -> list[int]:  # type: ignore[no-untyped-def]
    return [i["id"] for i in resp.json()["items"]]


async def test_post_moderation_publishes_every_post(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "open", moderation="post")
    tid = (await make_thread(client, cast.observer, "open"))["id"]
    assert (await make_post(client, cast.other_observer, tid, "hello"))["status"] == "published"


async def test_an_observers_thread_in_a_pre_space_waits_for_approval(
    client: AsyncTestClient, cast: Cast
) -> None:
    await make_space(client, cast.admin, "careful", moderation="pre")
    thread = await make_thread(client, cast.observer, "careful", title="Unvetted")
    tid = thread["id"]
    for who in (None, cast.other_observer, cast.focal_point, cast.lcipp):
        h = who.headers if who else {}
        titles = [
            t["title"] for t in (await client.get("/api/spaces/careful/threads", headers=h)).json()["items"]
        ]
        assert "Unvetted" not in titles
        assert_problem(await client.get(f"/api/threads/{tid}", headers=h), 404)
        assert_problem(await client.get(f"/api/threads/{tid}/posts", headers=h), 404)
        if who is not None:
            assert_problem(await client.post(f"/api/threads/{tid}/posts", json={"body": "x"}, headers=h), 404)
    for who in (cast.observer, cast.moderator, cast.admin):
        titles = [
            t["title"]
            for t in (await client.get("/api/spaces/careful/threads", headers=who.headers)).json()["items"]
        ]
        assert "Unvetted" in titles
    # A trusted role's thread appears at once.
    await make_thread(client, cast.focal_point, "careful", title="Vetted")
    titles = [t["title"] for t in (await client.get("/api/spaces/careful/threads")).json()["items"]]
    assert titles == ["Vetted"]


# Locks, slow mode, thread changes


async def test_a_locked_thread_refuses_posts_except_from_its_moderators(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    await client.put(
        "/api/spaces/agora/moderators", json={"user_ids": [cast.lcipp.id]}, headers=cast.admin.headers
    )
    tid = (await make_thread(client, cast.observer, "agora"))["id"]
    resp = await client.patch(f"/api/threads/{tid}", json={"locked": True}, headers=cast.lcipp.headers)
    assert resp.status_code == 200 and resp.json()["locked"] is True
    before = await count(db, Post)
    for who in (cast.observer, cast.other_observer, cast.focal_point):
        assert_problem(
            await client.post(f"/api/threads/{tid}/posts", json={"body": "x"}, headers=who.headers), 403
        )
    assert await count(db, Post) == before
    for who in (cast.lcipp, cast.moderator, cast.admin):
        await make_post(client, who, tid, "moderators may still speak")
    assert await count(db, AuditEntry, AuditEntry.action == "thread.lock") == 1


async def test_slow_mode_rate_limits_posting(client: AsyncTestClient, db: AsyncSession, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    tid = (await make_thread(client, cast.observer, "agora"))["id"]
    resp = await client.patch(
        f"/api/threads/{tid}", json={"slow_mode_seconds": 600}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200
    # The author's opening post counts: their next post must wait.
    resp = await client.post(
        f"/api/threads/{tid}/posts", json={"body": "again"}, headers=cast.observer.headers
    )
    assert_problem(resp, 429)
    assert 0 < int(resp.headers["retry-after"]) <= 600
    # Someone who has not posted yet may post once.
    await make_post(client, cast.other_observer, tid, "first")
    resp = await client.post(
        f"/api/threads/{tid}/posts", json={"body": "second"}, headers=cast.other_observer.headers
    )
    assert_problem(resp, 429)
    # Moderators are not slowed.
    await make_post(client, cast.moderator, tid, "m1")
    await make_post(client, cast.moderator, tid, "m2")
    assert await numbers(client, tid) == [1, 2, 3, 4]


async def test_only_moderators_of_the_space_change_a_thread(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    await make_space(client, cast.admin, "other")
    await client.put(
        "/api/spaces/other/moderators", json={"user_ids": [cast.lcipp.id]}, headers=cast.admin.headers
    )
    tid = (await make_thread(client, cast.observer, "agora", title="Original"))["id"]
    # Not even the thread's author.
    for who in (cast.observer, cast.other_observer, cast.focal_point, cast.lcipp):
        resp = await client.patch(f"/api/threads/{tid}", json={"title": "Renamed"}, headers=who.headers)
        assert_problem(resp, 403)
    assert_problem(await client.patch(f"/api/threads/{tid}", json={"title": "Renamed"}), 401)
    assert (await client.get(f"/api/threads/{tid}")).json()["title"] == "Original"
    assert await count(db, AuditEntry, AuditEntry.target_type == "thread") == 0
    resp = await client.patch(
        f"/api/threads/{tid}", json={"title": "Renamed"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200 and resp.json()["title"] == "Renamed"
    assert await count(db, AuditEntry, AuditEntry.action == "thread.rename") == 1
    assert_problem(
        await client.patch(f"/api/threads/{tid}", json={"title": ""}, headers=cast.moderator.headers),
        400,
        names="title",
    )


async def test_moving_a_thread_needs_moderating_both_spaces(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "from-here")
    await make_space(client, cast.admin, "to-there")
    await client.put(
        "/api/spaces/from-here/moderators", json={"user_ids": [cast.lcipp.id]}, headers=cast.admin.headers
    )
    tid = (await make_thread(client, cast.observer, "from-here"))["id"]
    resp = await client.patch(f"/api/threads/{tid}", json={"space": "to-there"}, headers=cast.lcipp.headers)
    assert_problem(resp, 403)
    assert (await client.get(f"/api/threads/{tid}")).json()["space"] == "from-here"
    resp = await client.patch(f"/api/threads/{tid}", json={"space": "nowhere"}, headers=cast.admin.headers)
    assert_problem(resp, (404, 422), names="space")
    await client.put(
        "/api/spaces/to-there/moderators", json={"user_ids": [cast.lcipp.id]}, headers=cast.admin.headers
    )
    resp = await client.patch(f"/api/threads/{tid}", json={"space": "to-there"}, headers=cast.lcipp.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["space"] == "to-there"
    assert [t["id"] for t in (await client.get("/api/spaces/to-there/threads")).json()["items"]] == [tid]
    assert (await client.get("/api/spaces/from-here/threads")).json()["items"] == []
    assert await count(db, AuditEntry, AuditEntry.action == "thread.move") == 1


async def test_a_thread_cannot_be_moved_into_a_space_the_mover_cannot_see(
    client: AsyncTestClient, cast: Cast
) -> None:
    await make_space(client, cast.admin, "public-one")
    await make_space(client, cast.admin, "hidden", visibility="restricted", allowed_roles=["lcipp"])
    await client.put(
        "/api/spaces/public-one/moderators",
        json={"user_ids": [cast.focal_point.id]},
        headers=cast.admin.headers,
    )
    tid = (await make_thread(client, cast.observer, "public-one"))["id"]
    resp = await client.patch(
        f"/api/threads/{tid}", json={"space": "hidden"}, headers=cast.focal_point.headers
    )
    assert_problem(resp, (403, 404, 422))
    assert (await client.get(f"/api/threads/{tid}")).json()["space"] == "public-one"


async def test_concurrent_posts_get_distinct_numbers(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, people
) -> None:
    await make_space(client, cast.admin, "agora")
    tid = (await make_thread(client, cast.observer, "agora"))["id"]
    writers = [await people.make("observer") for _ in range(8)]

    async def write(who: Persona, i: int):  # type: ignore[no-untyped-def]
        return await client.post(f"/api/threads/{tid}/posts", json={"body": f"n{i}"}, headers=who.headers)

    results = await asyncio.gather(*(write(w, i) for i, w in enumerate(writers)))
    assert all(r.status_code == 201 for r in results), [r.text for r in results]
    assert sorted(r.json()["number"] for r in results) == list(range(2, 10))
    assert await numbers(client, tid) == list(range(1, 10))
    # The same client_id sent many times at once is stored once.
    same = await asyncio.gather(
        *(
            client.post(
                f"/api/threads/{tid}/posts",
                json={"body": "once", "client_id": "burst"},
                headers=cast.lcipp.headers,
            )
            for _ in range(6)
        )
    )
    assert sorted(r.status_code for r in same) == [200] * 5 + [201], [r.text for r in same]
    assert len({r.json()["id"] for r in same}) == 1
    assert await count(db, Post, Post.client_id == "burst") == 1
    assert await numbers(client, tid) == list(range(1, 11))
