"""On SQLite, HTTP reads begin DEFERRED: they answer while a writer holds the write lock."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from forum.lib.db import create_engine
from forum.settings import Settings
from tests.conftest import Cast, make_space, make_thread


async def test_reads_do_not_wait_for_the_writer(
    client: AsyncTestClient, cast: Cast, settings: Settings
) -> None:
    if not settings.is_sqlite:
        pytest.skip("SQLite's write lock only")
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.focal_point, "agora", title="Reads go on")
    writer = create_engine(settings)
    try:
        async with writer.connect() as conn:
            # An open write transaction (BEGIN IMMEDIATE) holds the lock for its whole life.
            await conn.execute(text("UPDATE threads SET title = title"))
            listing = await client.get("/api/spaces/agora/threads", headers=cast.observer.headers)
            posts = await client.get(f"/api/threads/{thread['id']}/posts", headers=cast.observer.headers)
            await conn.rollback()
        written = await client.post(
            f"/api/threads/{thread['id']}/posts", json={"body": "after"}, headers=cast.observer.headers
        )
    finally:
        await writer.dispose()
    assert listing.status_code == 200, listing.text
    assert [t["title"] for t in listing.json()["items"]] == ["Reads go on"]
    assert posts.status_code == 200
    assert [p["number"] for p in posts.json()["items"]] == [1]
    assert written.status_code == 201, written.text
    assert written.json()["number"] == 2
