"""Figures count only what the reader may see: a thread's `post_count` and `last_post_at`, a
table's `message_count`.

Pending and hidden posts (and hidden table messages) are their author's and the space's
moderators' only; a count or a time that includes them tells everyone else they exist.
Each reader's figure is checked against what the same reader's list returns.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from forum.settings import Settings
from tests.conftest import Cast, People, Persona, make_space, make_thread
from tests.helpers import create_cafe, events, join, make_post, say, setup
from tests.queries import count_app_queries


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Every request reads its viewer (no viewer remembered from an earlier request), so the
    # statement lists below do not depend on how fast the test runs.
    return replace(settings, viewer_cache_seconds=0.0)


async def visible_posts(client: AsyncTestClient, thread_id: int, who: Persona | None) -> list[dict]:
    resp = await client.get(f"/api/threads/{thread_id}/posts", headers=who.headers if who else {})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def thread_seen_by(client: AsyncTestClient, thread_id: int, who: Persona | None) -> dict:
    resp = await client.get(f"/api/threads/{thread_id}", headers=who.headers if who else {})
    assert resp.status_code == 200, resp.text
    return resp.json()


async def listed_thread(client: AsyncTestClient, slug: str, thread_id: int, who: Persona | None) -> dict:
    resp = await client.get(f"/api/spaces/{slug}/threads", headers=who.headers if who else {})
    assert resp.status_code == 200, resp.text
    (found,) = [t for t in resp.json()["items"] if t["id"] == thread_id]
    return found


async def moderate(client: AsyncTestClient, who: Persona, post_id: int, action: str, **body: str) -> None:
    resp = await client.post(f"/api/posts/{post_id}/{action}", json=body or None, headers=who.headers)
    assert resp.status_code == 200, resp.text


async def test_post_count_is_what_each_reader_may_see(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await make_space(client, cast.admin, "pre-space", moderation="pre")
    space_mod = await people.make("focal_point", name="Space moderator")
    resp = await client.put(
        "/api/spaces/pre-space/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )
    assert resp.status_code == 200, resp.text
    thread = await make_thread(client, cast.focal_point, "pre-space")  # 1: published
    tid = thread["id"]
    waiting = await make_post(client, cast.observer, tid, "waiting")  # 2: pending
    await make_post(client, cast.lcipp, tid, "published")  # 3
    rejected = await make_post(client, cast.other_observer, tid, "refused")  # 4: pending, then hidden
    await moderate(client, cast.moderator, rejected["id"], "reject", reason="off topic")
    hidden = await make_post(client, cast.lcipp, tid, "hidden later")  # 5: published, then hidden
    await moderate(client, cast.moderator, hidden["id"], "hide", reason="rude")
    gone = await make_post(client, cast.focal_point, tid, "deleted later")  # 6: deleted (a stub for all)
    assert (
        await client.delete(f"/api/posts/{gone['id']}", headers=cast.focal_point.headers)
    ).status_code == 204
    assert waiting["status"] == "pending"

    expected: list[tuple[Persona | None, list[int]]] = [
        (None, [1, 3, 6]),
        (cast.focal_point, [1, 3, 6]),
        (cast.observer, [1, 2, 3, 6]),  # and their own pending post
        (cast.other_observer, [1, 3, 4, 6]),  # and their own rejected post
        (cast.lcipp, [1, 3, 5, 6]),  # and their own hidden post
        (space_mod, [1, 2, 3, 4, 5, 6]),
        (cast.moderator, [1, 2, 3, 4, 5, 6]),
        (cast.admin, [1, 2, 3, 4, 5, 6]),
    ]
    for who, numbers in expected:
        name = who.name if who else "anonymous"
        assert [p["number"] for p in await visible_posts(client, tid, who)] == numbers, name
        assert (await thread_seen_by(client, tid, who))["post_count"] == len(numbers), name
        assert (await listed_thread(client, "pre-space", tid, who))["post_count"] == len(numbers), name

    # Live, a thread's figures are those everyone may see.
    pin = await client.patch(f"/api/threads/{tid}", json={"pinned": True}, headers=cast.moderator.headers)
    assert pin.status_code == 200, pin.text
    assert pin.json()["post_count"] == 6  # the moderator's own answer
    updated = (await events(db, f"thread:{tid}"))[-1]
    assert updated.type == "thread.updated" and not updated.restricted
    assert updated.data["post_count"] == 3


async def test_last_activity_is_the_latest_post_everyone_may_see(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.focal_point, "agora")
    tid = thread["id"]
    second = await make_post(client, cast.lcipp, tid, "second")
    third = await make_post(client, cast.observer, tid, "third, hidden later")
    assert (await thread_seen_by(client, tid, None))["last_post_at"] == third["created_at"]

    await moderate(client, cast.moderator, third["id"], "hide", reason="spam")
    for who in (None, cast.other_observer, cast.observer, cast.moderator):
        name = who.name if who else "anonymous"
        assert (await thread_seen_by(client, tid, who))["last_post_at"] == second["created_at"], name
        assert (await listed_thread(client, "agora", tid, who))["last_post_at"] == second["created_at"], name

    await moderate(client, cast.moderator, third["id"], "unhide")
    assert (await thread_seen_by(client, tid, None))["last_post_at"] == third["created_at"]


async def test_a_pending_post_neither_counts_nor_moves_the_thread_for_others(
    client: AsyncTestClient, cast: Cast
) -> None:
    await make_space(client, cast.admin, "pre-space", moderation="pre")
    older = await make_thread(client, cast.focal_point, "pre-space", title="Older")
    newer = await make_thread(client, cast.focal_point, "pre-space", title="Newer")
    before = await thread_seen_by(client, older["id"], None)
    await make_post(client, cast.observer, older["id"], "waiting")

    resp = await client.get("/api/spaces/pre-space/threads", headers=cast.other_observer.headers)
    assert [t["title"] for t in resp.json()["items"]] == ["Newer", "Older"]
    after = await thread_seen_by(client, older["id"], cast.other_observer)
    assert (after["post_count"], after["last_post_at"]) == (before["post_count"], before["last_post_at"])
    assert newer["post_count"] == 1


async def test_a_tables_message_count_leaves_out_hidden_messages_for_others(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    cafe, hosts = await setup(client, cast, people, tables=1)
    table = await join(client, cafe["id"], cast.observer)
    await join(client, cafe["id"], cast.other_observer)
    rude = (await say(client, table, cast.observer, "something rude")).json()
    await say(client, table, cast.other_observer, "a reply")
    await say(client, table, cast.observer, "sorry")
    resp = await client.post(
        f"/api/table-messages/{rude['id']}/hide", json={"reason": "rude"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text

    for who, count in (
        (None, 2),
        (cast.focal_point, 2),  # sees the café, not seated
        (cast.other_observer, 2),
        (hosts[0], 2),
        (cast.observer, 3),  # their own hidden message
        (cast.moderator, 3),
    ):
        name = who.name if who else "anonymous"
        headers = who.headers if who else {}
        (shown,) = (await client.get(f"/api/cafes/{cafe['id']}", headers=headers)).json()["tables"]
        assert shown["message_count"] == count, name
        listed = (await client.get(f"/api/spaces/{cafe['space']}/cafes", headers=headers)).json()["items"]
        assert listed[0]["tables"][0]["message_count"] == count, name
        if who in (cast.other_observer, hosts[0], cast.observer, cast.moderator):
            assert (await client.get(f"/api/tables/{table}", headers=headers)).json()[
                "message_count"
            ] == count
            messages = (await client.get(f"/api/tables/{table}/messages", headers=headers)).json()["items"]
            assert len(messages) == count, name

    # Live, a table's figures are those everyone may see.
    harvest = await client.put(
        f"/api/tables/{table}/harvest", json={"body": "notes"}, headers=hosts[0].headers
    )
    assert harvest.status_code == 200, harvest.text
    last = (await events(db, f"table:{table}"))[-1]
    assert last.type == "table.harvest" and last.data["message_count"] == 2


# --- what the figures cost -------------------------------------------------------------


async def test_a_readers_own_pending_posts_cost_no_query_per_thread(
    client: AsyncTestClient, app: Litestar, cast: Cast
) -> None:
    """The thread list counts each thread's posts as its reader may see them in the one
    statement that reads the page, for 3 threads or 30, each with the reader's pending post."""
    logs = []
    for slug, n in (("few", 3), ("many", 30)):
        await make_space(client, cast.admin, slug, moderation="pre")
        for i in range(n):
            thread = await make_thread(client, cast.focal_point, slug, title=f"Thread {i}")
            await make_post(client, cast.observer, thread["id"], "waiting")
        for who, count in ((cast.observer, 2), (cast.other_observer, 1), (cast.moderator, 2)):
            with count_app_queries(app) as queries:
                resp = await client.get(f"/api/spaces/{slug}/threads", headers=who.headers)
            assert resp.status_code == 200, resp.text
            assert [t["post_count"] for t in resp.json()["items"]] == [count] * n
            logs.append(queries)
    for queries in logs:
        assert queries.labels() == [
            # The viewer (the token's user and the spaces they moderate), when the process
            # does not remember it, in its own short read (forum.spaces.viewers).
            "begin",
            "select users",
            "rollback",
            "begin",
            "select spaces",
            "select threads",  # the page, with each thread's author and visible count
            "rollback",
        ], str(queries)


async def test_a_cafes_counts_cost_one_query_however_many_tables_hide_messages(
    client: AsyncTestClient, app: Litestar, cast: Cast, people: People
) -> None:
    logs = []
    for tables in (1, 4):
        slug = f"workshop-{tables}"
        await make_space(client, cast.admin, slug, kind="workshop")
        hosts = [await people.make("focal_point") for _ in range(tables)]
        cafe = await create_cafe(client, cast.moderator, hosts, slug=slug)
        for host in hosts:
            table = await join(client, cafe["id"], host)
            said = (await say(client, table, host, "hidden later")).json()
            resp = await client.post(
                f"/api/table-messages/{said['id']}/hide", json={"reason": "x"}, headers=cast.moderator.headers
            )
            assert resp.status_code == 200, resp.text
        # Each host sees their own hidden message; the first one asks.
        with count_app_queries(app) as queries:
            resp = await client.get(f"/api/cafes/{cafe['id']}", headers=hosts[0].headers)
        assert resp.status_code == 200, resp.text
        assert [t["message_count"] for t in resp.json()["tables"]] == [1] + [0] * (tables - 1)
        logs.append(queries)
    assert logs[0].labels() == logs[1].labels(), f"{logs[0]}\n{logs[1]}"
    assert logs[0].labels().count("select table_messages") == 1, str(logs[0])
