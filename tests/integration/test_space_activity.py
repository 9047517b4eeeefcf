"""The spaces list's activity figures: posts, threads, latest activity, a café running.

Each figure is what the reader may see (a pending post counts for its author and the
space's moderators only), and the whole list costs one statement more than without them,
however many spaces it holds.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from forum.settings import Settings
from tests.conftest import Cast, make_space, make_thread
from tests.helpers import create_cafe, make_post
from tests.queries import count_app_queries


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The guard counts statements: a remembered viewer is kept for the whole test.
    return replace(settings, viewer_cache_seconds=3600.0)


async def spaces_of(client: AsyncTestClient, headers: dict | None = None) -> dict[str, dict]:
    resp = await client.get("/api/spaces?limit=100", headers=headers or {})
    assert resp.status_code == 200, resp.text
    return {s["slug"]: s for s in resp.json()["items"]}


async def test_each_reader_sees_the_figures_of_what_they_may_see(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "review", moderation="pre")
    await make_space(client, cast.admin, "quiet")
    thread = await make_thread(client, cast.focal_point, "review", title="Guidance")
    await make_post(client, cast.lcipp, thread["id"], "Published at once")
    pending = await make_post(client, cast.observer, thread["id"], "Waiting for a moderator")
    assert pending["status"] == "pending"

    guest = (await spaces_of(client))["review"]
    assert (guest["thread_count"], guest["post_count"]) == (1, 2)
    assert guest["last_post_at"] is not None and guest["running_cafe_id"] is None
    # The author of the pending post counts it; a moderator counts everything.
    author = (await spaces_of(client, cast.observer.headers))["review"]
    assert author["post_count"] == 3
    moderator = (await spaces_of(client, cast.moderator.headers))["review"]
    assert moderator["post_count"] == 3
    other = (await spaces_of(client, cast.other_observer.headers))["review"]
    assert other["post_count"] == 2
    # The pending post does not move the latest activity anyone sees.
    assert author["last_post_at"] == guest["last_post_at"]
    quiet = (await spaces_of(client))["quiet"]
    assert (quiet["thread_count"], quiet["post_count"], quiet["last_post_at"]) == (0, 0, None)


async def test_a_running_cafe_is_named_until_it_closes(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "workshop-63", kind="workshop")
    cafe = await create_cafe(client, cast.moderator, [cast.focal_point], slug="workshop-63")
    assert (await spaces_of(client))["workshop-63"]["running_cafe_id"] is None  # open, no round yet
    resp = await client.post(f"/api/cafes/{cafe['id']}/rounds", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    assert (await spaces_of(client))["workshop-63"]["running_cafe_id"] == cafe["id"]
    resp = await client.post(f"/api/cafes/{cafe['id']}/close", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    assert (await spaces_of(client))["workshop-63"]["running_cafe_id"] is None


async def test_the_list_costs_one_statement_more_for_3_or_30_spaces(
    client: AsyncTestClient, app: Litestar, cast: Cast
) -> None:
    resp = await client.get("/api/me", headers=cast.observer.headers)  # the viewer, remembered
    assert resp.status_code == 200
    labels = []
    made = 0
    for n in (3, 30):
        for i in range(made, n):
            slug = f"space-{n}-{i}"
            await make_space(client, cast.admin, slug)
            await make_thread(client, cast.focal_point, slug, title=f"Thread {i}")
        made = n
        with count_app_queries(app) as queries:
            resp = await client.get("/api/spaces?limit=100", headers=cast.observer.headers)
        assert resp.status_code == 200, resp.text
        assert all(s["thread_count"] == 1 for s in resp.json()["items"])
        labels.append(queries.labels())
    assert labels[0] == labels[1], labels
    assert labels[0] == [
        "begin",
        "select spaces",  # the page of spaces the viewer may see
        "select space_moderators",  # their moderators
        "select spaces",  # their activity: threads and posts grouped by space, a café running
        "rollback",
    ], labels[0]
