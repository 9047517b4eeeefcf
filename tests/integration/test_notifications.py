"""Notifications: every kind, who gets them and who never does, the inbox and its paging."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.accounts.models import User
from forum.attention.models import Notification
from forum.streams.models import Event
from forum.threads import posting
from forum.threads.posting import PostDraft, PostWritten
from tests.conftest import Cast, People, Persona, make_space, make_thread
from tests.helpers import WORKSHOP, assert_problem, count, make_post
from tests.integration.conftest import viewer_of


async def handle_of(db: AsyncSession, who: Persona) -> str:
    return (await db.scalar(select(User.handle).where(User.id == who.id))) or ""


async def inbox(client: AsyncTestClient, who: Persona, query: str = "") -> dict:
    resp = await client.get(f"/api/notifications{query}", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def kinds(client: AsyncTestClient, who: Persona) -> list[str]:
    return [n["kind"] for n in (await inbox(client, who))["items"]]


async def watch_space(client: AsyncTestClient, who: Persona, slug: str, level: str = "watching") -> None:
    resp = await client.put(f"/api/spaces/{slug}/watch", json={"level": level}, headers=who.headers)
    assert resp.status_code == 200, resp.text


async def watch_thread(
    client: AsyncTestClient, who: Persona, thread_id: int, level: str = "watching"
) -> None:
    resp = await client.put(f"/api/threads/{thread_id}/watch", json={"level": level}, headers=who.headers)
    assert resp.status_code == 200, resp.text


async def test_a_mention_links_and_notifies(client: AsyncTestClient, db: AsyncSession, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    ana = await handle_of(db, cast.observer)
    thread = await make_thread(client, cast.focal_point, "agora")
    post = await make_post(
        client, cast.focal_point, thread["id"], f"What do you think, @{ana.upper()}? `@{ana}`"
    )
    assert f'<a href="/u/{ana}" class="mention"' in post["html"]
    assert post["html"].count('class="mention"') == 1  # not inside code
    page = await inbox(client, cast.observer)
    assert [n["kind"] for n in page["items"]] == ["mention"]
    item = page["items"][0]
    assert item["actor"]["id"] == cast.focal_point.id
    assert item["thread_id"] == thread["id"] and item["post_number"] == 2 and item["space"] == "agora"
    assert item["read_at"] is None and page["unread"] == 1
    # A mention makes the thread tracked; the author's own post too.
    level = await client.get(f"/api/threads/{thread['id']}/watch", headers=cast.observer.headers)
    assert level.json() == {"level": "tracking"}
    # Nobody else heard of it, not even the author.
    assert await kinds(client, cast.focal_point) == []
    assert await count(db, Notification) == 1


async def test_self_mentions_and_self_replies_create_nothing(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    me = await handle_of(db, cast.observer)
    thread = await make_thread(client, cast.observer, "agora", body=f"I am @{me}")
    first = (await client.get(f"/api/threads/{thread['id']}/posts")).json()["items"][0]
    await make_post(client, cast.observer, thread["id"], f"again @{me}", reply_to=first["id"])
    assert await count(db, Notification) == 0


async def test_a_reply_notifies_the_author_of_the_post_answered(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.observer, "agora")
    first = (await client.get(f"/api/threads/{thread['id']}/posts")).json()["items"][0]
    await make_post(client, cast.lcipp, thread["id"], "an answer", reply_to=first["id"])
    assert await kinds(client, cast.observer) == ["reply"]
    # A reply that also mentions: one notification, the mention.
    reply = await make_post(
        client, cast.lcipp, thread["id"], f"@{await handle_of(db, cast.observer)} again", reply_to=first["id"]
    )
    items = (await inbox(client, cast.observer))["items"]
    assert (items[0]["kind"], items[0]["post_id"]) == ("mention", reply["id"])
    assert len(items) == 2


async def test_watching_a_thread_and_a_space(client: AsyncTestClient, db: AsyncSession, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    await watch_space(client, cast.observer, "agora")
    thread = await make_thread(client, cast.focal_point, "agora")
    assert await kinds(client, cast.observer) == ["watched_thread"]
    await make_post(client, cast.focal_point, thread["id"], "more")
    assert await kinds(client, cast.observer) == ["watched_post", "watched_thread"]
    # Watching the thread alone, without the space.
    await watch_thread(client, cast.lcipp, thread["id"])
    await make_post(client, cast.focal_point, thread["id"], "and more")
    assert await kinds(client, cast.lcipp) == ["watched_post"]
    # Tracking and normal threads notify nothing but mentions and replies.
    await watch_thread(client, cast.lcipp, thread["id"], "tracking")
    await make_post(client, cast.focal_point, thread["id"], "once more")
    assert await kinds(client, cast.lcipp) == ["watched_post"]


async def test_a_muted_thread_or_space_notifies_nothing_not_even_mentions(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.observer, "agora")
    first = (await client.get(f"/api/threads/{thread['id']}/posts")).json()["items"][0]
    await watch_thread(client, cast.observer, thread["id"], "muted")
    who = await handle_of(db, cast.observer)
    await make_post(client, cast.lcipp, thread["id"], f"@{who} hello", reply_to=first["id"])
    assert await kinds(client, cast.observer) == []
    # A muted space: a mention in a new thread there reaches nobody either.
    await make_space(client, cast.admin, "quiet")
    await watch_space(client, cast.other_observer, "quiet", "muted")
    other = await handle_of(db, cast.other_observer)
    await make_thread(client, cast.lcipp, "quiet", body=f"@{other} look")
    assert await kinds(client, cast.other_observer) == []
    assert await count(db, Notification) == 0


async def test_nothing_for_who_may_not_read_the_space(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "lcipp-space", visibility="restricted", allowed_roles=["lcipp"])
    await watch_space(client, cast.lcipp, "lcipp-space")
    thread = await make_thread(
        client, cast.lcipp, "lcipp-space", body=f"@{await handle_of(db, cast.observer)} cannot read this"
    )
    assert await kinds(client, cast.observer) == []
    assert await count(db, Notification) == 0  # the author watches but is the actor
    # A moderator of the space may read it: mentioned, notified.
    await make_post(client, cast.lcipp, thread["id"], f"@{await handle_of(db, cast.moderator)} please look")
    assert await kinds(client, cast.moderator) == ["mention"]


async def test_a_pending_post_notifies_the_queue_then_its_mentions_once_approved(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, people: People
) -> None:
    await make_space(client, cast.admin, "workshop", moderation="pre", kind="workshop")
    thread = await make_thread(client, cast.focal_point, "workshop")
    await watch_thread(client, cast.lcipp, thread["id"])
    post = await make_post(
        client, cast.observer, thread["id"], f"hello @{await handle_of(db, cast.other_observer)}"
    )
    assert post["status"] == "pending"
    assert await kinds(client, cast.other_observer) == []
    assert await kinds(client, cast.lcipp) == []
    # Every moderator of the space hears of a new item in their queue.
    assert await kinds(client, cast.moderator) == ["queue_item"]
    assert await kinds(client, cast.admin) == ["queue_item"]
    assert await kinds(client, cast.focal_point) == []
    resp = await client.post(f"/api/posts/{post['id']}/approve", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    assert await kinds(client, cast.observer) == ["post_approved"]
    assert await kinds(client, cast.other_observer) == ["mention"]
    assert await kinds(client, cast.lcipp) == ["watched_post"]


async def test_a_rejected_post_tells_its_author(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "workshop", moderation="pre", kind="workshop")
    thread = await make_thread(client, cast.focal_point, "workshop")
    post = await make_post(client, cast.observer, thread["id"], "off topic")
    resp = await client.post(
        f"/api/posts/{post['id']}/reject", json={"reason": "off topic"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text
    items = (await inbox(client, cast.observer))["items"]
    assert [n["kind"] for n in items] == ["post_rejected"]
    # The author still sees their hidden post, so the notification stays readable to them.
    assert items[0]["post_id"] == post["id"]


async def test_a_cafe_opening_in_a_watched_space(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, WORKSHOP, kind="workshop")
    await watch_space(client, cast.observer, WORKSHOP)
    resp = await client.post(
        f"/api/spaces/{WORKSHOP}/cafes",
        json={
            "title": "World café",
            "round_seconds": 600,
            "tables": [{"topic": "SUBARU", "host_id": cast.focal_point.id}],
        },
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 201, resp.text
    items = (await inbox(client, cast.observer))["items"]
    assert [(n["kind"], n["cafe_id"], n["cafe_title"]) for n in items] == [
        ("cafe_opened", resp.json()["id"], "World café")
    ]
    assert await kinds(client, cast.moderator) == []


async def test_a_space_turned_restricted_hides_its_notifications(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    await make_space(client, cast.admin, "closed", visibility="restricted", allowed_roles=["lcipp"])
    thread = await make_thread(client, cast.lcipp, "agora")
    await make_post(client, cast.lcipp, thread["id"], f"@{await handle_of(db, cast.observer)} see")
    page = await inbox(client, cast.observer)
    assert page["unread"] == 1
    nid = page["items"][0]["id"]
    # The thread moves to a space the observer may not read: the notification is gone
    # from every read, though its row stays.
    resp = await client.patch(
        f"/api/threads/{thread['id']}", json={"space": "closed"}, headers=cast.admin.headers
    )
    assert resp.status_code == 200, resp.text
    page = await inbox(client, cast.observer)
    assert page["items"] == [] and page["unread"] == 0
    assert_problem(await client.get(f"/api/notifications/{nid}", headers=cast.observer.headers), 404)
    assert await count(db, Notification) == 1


async def test_mark_one_and_all_read_and_the_orders(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    who = await handle_of(db, cast.observer)
    thread = await make_thread(client, cast.lcipp, "agora")
    for i in range(5):
        await make_post(client, cast.lcipp, thread["id"], f"@{who} number {i}")
    items = (await inbox(client, cast.observer))["items"]
    ids = [n["id"] for n in items]
    assert ids == sorted(ids, reverse=True) and len(ids) == 5
    oldest = ids[-1]
    resp = await client.post(f"/api/notifications/{ids[0]}/read", headers=cast.observer.headers)
    assert resp.status_code == 204
    page = await inbox(client, cast.observer, "?order=unread_first&limit=2")
    assert page["unread"] == 4
    seen = [n["id"] for n in page["items"]]
    while page["next"]:
        page = await inbox(client, cast.observer, f"?order=unread_first&limit=2&cursor={page['next']}")
        seen += [n["id"] for n in page["items"]]
    assert seen == [*ids[1:], ids[0]]
    # Newest first, paged.
    page = await inbox(client, cast.observer, "?limit=3")
    rest = await inbox(client, cast.observer, f"?limit=3&cursor={page['next']}")
    assert [n["id"] for n in page["items"] + rest["items"]] == ids and rest["next"] is None
    # Someone else's notification is not found, and not marked.
    assert_problem(await client.post(f"/api/notifications/{oldest}/read", headers=cast.lcipp.headers), 404)
    resp = await client.post("/api/notifications/read-all", headers=cast.observer.headers)
    assert resp.status_code == 204
    assert (await inbox(client, cast.observer))["unread"] == 0
    # Each change of read state is an event on the inbox topic too.
    types = [
        e.type
        for e in await db.scalars(
            select(Event).where(Event.topic == f"inbox:{cast.observer.id}").order_by(Event.seq)
        )
    ]
    assert types == ["notification.created"] * 5 + ["notification.read"] * 2


async def test_bad_input(client: AsyncTestClient, cast: Cast) -> None:
    assert_problem(await client.get("/api/notifications"), 401)
    assert_problem(
        await client.get("/api/notifications?order=oldest", headers=cast.observer.headers), 400, names="order"
    )
    assert_problem(
        await client.get("/api/notifications?limit=0", headers=cast.observer.headers), 400, names="limit"
    )
    assert_problem(
        await client.get("/api/notifications?cursor=bogus", headers=cast.observer.headers),
        400,
        names="cursor",
    )
    assert_problem(await client.post("/api/notifications/01/read", headers=cast.observer.headers), (400, 404))
    assert_problem(await client.post("/api/notifications/99/read", headers=cast.observer.headers), 404)
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.lcipp, "agora")
    for body in ({"level": "loud"}, {"level": 1}, {}, {"level": "watching", "x": 1}):
        resp = await client.put(
            f"/api/threads/{thread['id']}/watch", json=body, headers=cast.observer.headers
        )
        assert_problem(resp, 400)
    for body in ({"number": -1}, {"number": "3"}, {}, {"number": 2**40}):
        resp = await client.post(
            f"/api/threads/{thread['id']}/read", json=body, headers=cast.observer.headers
        )
        assert_problem(resp, 400)
    assert_problem(
        await client.put("/api/spaces/nowhere/watch", json={"level": "muted"}, headers=cast.observer.headers),
        404,
    )


async def test_a_flagged_post_enters_its_moderators_queue_once(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, people: People
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.lcipp, "agora")
    post = await make_post(client, cast.lcipp, thread["id"], "something questionable")
    for who in (cast.observer, cast.other_observer):
        resp = await client.post(
            f"/api/posts/{post['id']}/flags", json={"reason": "spam"}, headers=who.headers
        )
        assert resp.status_code == 201, resp.text
    items = (await inbox(client, cast.moderator))["items"]
    assert [(n["kind"], n["post_id"], n["actor"]["id"]) for n in items] == [
        ("queue_item", post["id"], cast.lcipp.id)
    ]
    assert await kinds(client, cast.admin) == ["queue_item"]
    assert await kinds(client, cast.observer) == []
    assert await kinds(client, cast.focal_point) == []


async def test_a_table_message_links_mentions_too(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, WORKSHOP, kind="workshop")
    resp = await client.post(
        f"/api/spaces/{WORKSHOP}/cafes",
        json={
            "title": "Café",
            "round_seconds": 600,
            "tables": [{"topic": "SUBARU", "host_id": cast.focal_point.id}],
        },
        headers=cast.moderator.headers,
    )
    table_id = resp.json()["tables"][0]["id"]
    who = await handle_of(db, cast.lcipp)
    resp = await client.post(
        f"/api/tables/{table_id}/messages",
        json={"body": f"Welcome @{who} and @nobody"},
        headers=cast.focal_point.headers,
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["html"].count('class="mention"') == 1
    assert f'href="/u/{who}"' in resp.json()["html"]


async def open_roundtable(client: AsyncTestClient, who: Persona, slug: str, question: str) -> dict:
    resp = await client.post(
        f"/api/spaces/{slug}/roundtables",
        json={"question": question, "turn_seconds": 120},
        headers=who.headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_a_round_table_opening_in_a_watched_space(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, WORKSHOP, kind="workshop")
    await watch_space(client, cast.observer, WORKSHOP)
    await watch_space(client, cast.lcipp, WORKSHOP, "muted")
    await watch_space(client, cast.moderator, WORKSHOP)
    rt = await open_roundtable(client, cast.moderator, WORKSHOP, "Which safeguards first?")
    page = await inbox(client, cast.observer)
    assert [(n["kind"], n["roundtable_id"], n["roundtable_question"], n["space"]) for n in page["items"]] == [
        ("roundtable_opened", rt["id"], "Which safeguards first?", WORKSHOP)
    ]
    item = page["items"][0]
    assert item["actor"]["id"] == cast.moderator.id and page["unread"] == 1
    assert item["cafe_id"] is None and item["thread_id"] is None and item["post_id"] is None
    one = await client.get(f"/api/notifications/{item['id']}", headers=cast.observer.headers)
    assert one.status_code == 200 and one.json()["roundtable_id"] == rt["id"]
    # Its inbox topic heard of it, with the id and kind only.
    events = (await db.scalars(select(Event).where(Event.topic == f"inbox:{cast.observer.id}"))).all()
    assert [(e.type, e.data) for e in events] == [
        ("notification.created", {"id": item["id"], "kind": "roundtable_opened"})
    ]
    # Muted, not watching, or the chair who opened it: nothing.
    assert await kinds(client, cast.lcipp) == []
    assert await kinds(client, cast.focal_point) == []
    assert await kinds(client, cast.moderator) == []
    # Other kinds of notification name no round table.
    thread = await make_thread(client, cast.focal_point, WORKSHOP)
    await make_post(client, cast.focal_point, thread["id"], "on the question")
    items = (await inbox(client, cast.observer))["items"]
    assert [(n["kind"], n["roundtable_id"]) for n in items] == [
        ("watched_post", None),
        ("watched_thread", None),
        ("roundtable_opened", rt["id"]),
    ]


async def test_a_round_table_in_a_restricted_space_tells_only_its_readers(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    slug = "lcipp-workshop"
    await make_space(
        client, cast.admin, slug, kind="workshop", visibility="restricted", allowed_roles=["lcipp"]
    )
    await watch_space(client, cast.lcipp, slug)
    rt = await open_roundtable(client, cast.moderator, slug, "Whose knowledge?")
    assert await kinds(client, cast.lcipp) == ["roundtable_opened"]
    # A notification of it that reached someone who may not read the space (as if the space
    # had been restricted after) is checked again on every read and shows nothing.
    stray = Notification(
        user_id=cast.observer.id,
        kind="roundtable_opened",
        actor_id=cast.moderator.id,
        space_id=None,
        roundtable_id=rt["id"],
    )
    db.add(stray)
    await db.commit()
    page = await inbox(client, cast.observer)
    assert page["items"] == [] and page["unread"] == 0
    assert_problem(await client.get(f"/api/notifications/{stray.id}", headers=cast.observer.headers), 404)


async def test_the_watchers_join_follows_the_effective_level(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    """watched_post reaches exactly the users whose level for the thread is `watching`: the
    thread's own level first, else the space's; each once, with consecutive inbox seqs."""
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.focal_point, "agora")
    for who in (cast.observer, cast.other_observer, cast.lcipp):
        await watch_space(client, who, "agora")
    # observer: space only, and a read position (a thread row with no level of its own).
    resp = await client.post(
        f"/api/threads/{thread['id']}/read", json={"number": 1}, headers=cast.observer.headers
    )
    assert resp.status_code == 204, resp.text
    # other_observer: watches the space but chose tracking for this thread.
    await watch_thread(client, cast.other_observer, thread["id"], "tracking")
    # lcipp: watches both; moderator: the thread only.
    await watch_thread(client, cast.lcipp, thread["id"])
    await watch_thread(client, cast.moderator, thread["id"])
    for i in range(2):
        await make_post(client, cast.focal_point, thread["id"], f"news {i}")
    assert await kinds(client, cast.observer) == ["watched_post", "watched_post"]
    assert await kinds(client, cast.other_observer) == []
    assert await kinds(client, cast.lcipp) == ["watched_post", "watched_post"]
    assert await kinds(client, cast.moderator) == ["watched_post", "watched_post"]
    for who, made in ((cast.observer, 2), (cast.moderator, 2)):
        events = (
            await db.scalars(select(Event).where(Event.topic == f"inbox:{who.id}").order_by(Event.seq))
        ).all()
        ids = sorted(n["id"] for n in (await inbox(client, who))["items"])
        assert [(e.seq, e.type, e.data["id"]) for e in events] == [
            (seq, "notification.created", nid) for seq, nid in zip(range(1, made + 1), ids, strict=True)
        ]


async def test_watchers_of_a_restricted_space_are_told_only_while_they_may_read_it(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    """The watchers' notice is written by a statement built once per shape, its space's
    roles bound as a parameter: the rows it writes follow the space the thread is in."""

    async def written(who: Persona) -> list[str]:
        rows = await db.scalars(
            select(Notification.kind).where(Notification.user_id == who.id).order_by(Notification.id)
        )
        return list(rows)

    await make_space(
        client, cast.admin, "circle", visibility="restricted", allowed_roles=["lcipp", "focal_point"]
    )
    await make_space(client, cast.admin, "inner", visibility="restricted", allowed_roles=["lcipp"])
    for who in (cast.focal_point, cast.moderator):
        await watch_space(client, who, "circle")
    thread = await make_thread(client, cast.lcipp, "circle")
    assert await written(cast.focal_point) == ["watched_thread"]
    assert await written(cast.moderator) == ["watched_thread"]  # moderators read every space
    for who in (cast.focal_point, cast.moderator):
        await watch_thread(client, who, thread["id"])
    resp = await client.patch(
        f"/api/threads/{thread['id']}", json={"space": "inner"}, headers=cast.admin.headers
    )
    assert resp.status_code == 200, resp.text
    await make_post(client, cast.lcipp, thread["id"], "only for the inner circle now")
    assert await written(cast.focal_point) == ["watched_thread"]  # may no longer read it
    assert await written(cast.moderator) == ["watched_thread", "watched_post"]
    assert await written(cast.observer) == []


async def test_a_large_batch_of_mixed_posts_tells_each_watcher_once_per_post_they_may_read(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, writer: async_sessionmaker
) -> None:
    """A batch's watchers notices go in statements of a few padded sizes, one per post
    shape (forum.attention.fanout): 37 posts in a public and a restricted space, more than
    two statements' worth, tell each watcher of each exactly once, and nobody else."""
    await make_space(client, cast.admin, "agora")
    await make_space(client, cast.admin, "circle", visibility="restricted", allowed_roles=["lcipp"])
    for who in (cast.observer, cast.lcipp):
        await watch_space(client, who, "agora")
    await watch_space(client, cast.lcipp, "circle")
    open_thread = (await make_thread(client, cast.focal_point, "agora"))["id"]
    closed_thread = (await make_thread(client, cast.lcipp, "circle"))["id"]
    writers = {
        open_thread: await viewer_of(writer, cast.focal_point),
        closed_thread: await viewer_of(writer, cast.moderator),
    }
    threads = [open_thread if i % 3 else closed_thread for i in range(37)]
    drafts = [PostDraft(writers[t], t, f"Point {i}", f"mixed-{i}") for i, t in enumerate(threads)]
    async with writer() as session, session.begin():
        results = await posting.create_posts(session, drafts, own_transaction=True)
    written = [r for r in results if isinstance(r, PostWritten) and r.created]
    assert len(written) == len(drafts), results
    ids = {t: [r.post.id for r in written if r.post.thread_id == t] for t in writers}

    async def told(who: Persona) -> list[int]:
        rows = await db.scalars(
            select(Notification.post_id)
            .where(Notification.user_id == who.id, Notification.kind == "watched_post")
            .order_by(Notification.post_id)
        )
        return list(rows)

    assert len(ids[open_thread]) == 24 and len(ids[closed_thread]) == 13
    assert await told(cast.observer) == ids[open_thread]  # the restricted space's posts: none
    assert await told(cast.lcipp) == sorted(ids[open_thread] + ids[closed_thread])
    assert await told(cast.focal_point) == []  # the author of every post in the open thread
    assert await told(cast.other_observer) == []  # watches nothing
