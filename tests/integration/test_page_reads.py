"""A page of a thread's posts, read in one statement (forum.threads.reads.list_posts): every
rule of the two-step read still holds, for every kind of reader.

The thread's rules and its posts come back together, so these tests look at the cases
where the two could disagree: a thread the reader may not see, with or without posts past
`after`; posts the reader may not see in a thread they may; a moderator of one space
reading another; and the read position, written only when a page moves it.
"""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.settings import Settings
from forum.threads.models import ThreadUser
from tests.conftest import Cast, People, make_space, make_thread
from tests.helpers import assert_problem, make_post
from tests.queries import count_app_queries


def ids(resp) -> list[int]:  # type: ignore[no-untyped-def]
    assert resp.status_code == 200, resp.text
    return [p["id"] for p in resp.json()["items"]]


async def test_a_restricted_space_s_thread_is_not_found_for_outsiders_whatever_the_page(
    client: AsyncTestClient, cast: Cast
) -> None:
    await make_space(client, cast.admin, "lcipp-only", visibility="restricted", allowed_roles=["lcipp"])
    thread = await make_thread(client, cast.lcipp, "lcipp-only")
    await make_post(client, cast.lcipp, thread["id"], "among ourselves")
    for after in (0, 1, 999_999):  # with posts past `after`, and with none
        url = f"/api/threads/{thread['id']}/posts?after={after}"
        for who in (None, cast.observer, cast.focal_point):
            resp = await client.get(url, headers=who.headers if who else {})
            assert_problem(resp, 404)
            assert "ourselves" not in resp.text
        for who in (cast.lcipp, cast.moderator, cast.admin):
            assert (await client.get(url, headers=who.headers)).status_code == 200
    assert len(ids(await client.get(f"/api/threads/{thread['id']}/posts", headers=cast.lcipp.headers))) == 2
    assert_problem(await client.get("/api/threads/987654/posts"), 404)
    assert_problem(await client.get(f"/api/threads/{thread['id']}/posts?after=-1"), (400, 422))


async def test_pending_threads_and_posts_are_their_author_s_and_the_moderators_only(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    await make_space(client, cast.admin, "premod", moderation="pre")
    await make_space(client, cast.admin, "elsewhere")
    space_mod = await people.make("focal_point", name="Premod Mod")
    other_mod = await people.make("focal_point", name="Elsewhere Mod")
    for slug, mod in (("premod", space_mod), ("elsewhere", other_mod)):
        resp = await client.put(
            f"/api/spaces/{slug}/moderators", json={"user_ids": [mod.id]}, headers=cast.admin.headers
        )
        assert resp.status_code == 200, resp.text
    # An observer's thread waits for a moderator; so does an observer's post in a published thread.
    pending_thread = await make_thread(client, cast.observer, "premod")
    published = await make_thread(client, cast.focal_point, "premod")
    waiting = await make_post(client, cast.other_observer, published["id"], "not yet approved")
    assert waiting["status"] == "pending"

    for who in (None, cast.other_observer, other_mod):
        headers = who.headers if who else {}
        assert_problem(await client.get(f"/api/threads/{pending_thread['id']}/posts", headers=headers), 404)
    for who in (cast.observer, space_mod, cast.moderator):
        assert ids(await client.get(f"/api/threads/{pending_thread['id']}/posts", headers=who.headers))

    url = f"/api/threads/{published['id']}/posts"
    # A moderator of another space is an outsider here (the moderated-spaces form of the rule).
    for who in (None, cast.observer, other_mod):
        assert waiting["id"] not in ids(await client.get(url, headers=who.headers if who else {}))
    for who in (cast.other_observer, space_mod, cast.moderator, cast.admin):
        assert waiting["id"] in ids(await client.get(url, headers=who.headers))


async def test_a_page_read_again_writes_no_read_position(
    client: AsyncTestClient, app: Litestar, cast: Cast, db: AsyncSession, settings: Settings
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.focal_point, "agora")
    url = f"/api/threads/{thread['id']}/posts"
    await client.get("/api/me", headers=cast.observer.headers)  # the viewer is remembered

    async def read() -> list[str]:
        with count_app_queries(app) as queries:
            assert (await client.get(url, headers=cast.observer.headers)).status_code == 200
        return queries.labels("writer")

    async def position() -> int | None:
        return await db.scalar(
            select(ThreadUser.last_read_number).where(
                ThreadUser.user_id == cast.observer.id, ThreadUser.thread_id == thread["id"]
            )
        )

    if settings.is_sqlite:
        # On SQLite a read never writes (the client reports what it read instead).
        assert await read() == [] and await position() is None
        return
    assert await read() == ["begin", "insert thread_users", "commit"]
    assert await position() == 1
    assert await read() == []  # nothing moved
    await make_post(client, cast.lcipp, thread["id"], "news")
    assert await read() == ["begin", "insert thread_users", "commit"]
    db.expire_all()
    assert await position() == 2
    assert await read() == []


@pytest.mark.parametrize("thread_id", [2**31, 3_418_446_806, 2**63 - 1])
async def test_a_thread_id_beyond_32_bits_is_simply_not_found(
    client: AsyncTestClient, cast: Cast, thread_id: int
) -> None:
    """Ids are 64-bit wherever they reach SQL: the one-statement page read binds them so
    (PostgreSQL's int4 would refuse them with a server error)."""
    for headers in ({}, cast.observer.headers):
        resp = await client.get(f"/api/threads/{thread_id}/posts", headers=headers)
        assert resp.status_code == 404, resp.text
        assert resp.json()["code"] == "not_found"
