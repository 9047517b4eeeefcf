"""Moments written by the database (forum.lib.api_time) are the text `iso` writes in Python,
and a page of posts read through the driver (forum.lib.driver_reads) says what the single
post reads (ORM, `post_out`) say of the same posts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from litestar.testing import AsyncTestClient
from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.schemas import iso
from forum.lib.api_time import api_time
from forum.lib.db import DateTimeUTC
from tests.conftest import Cast, make_space, make_thread
from tests.helpers import make_post


def moments() -> list[datetime]:
    """Edge cases, then a fixed random sample of moments with and without microseconds."""
    edges = [
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2026, 11, 30, 9, 15, 2, tzinfo=UTC),
        datetime(2026, 11, 30, 9, 15, 2, 5, tzinfo=UTC),
        datetime(2026, 11, 30, 9, 15, 2, 500_000, tzinfo=UTC),
        datetime(2026, 11, 30, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
        # Not in UTC: stored as the same moment in UTC.
        datetime(2026, 6, 1, 1, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 12, 31, 22, 0, 0, 1, tzinfo=timezone(timedelta(hours=-3))),
    ]
    rng = random.Random(68)
    start = datetime(1990, 1, 1, tzinfo=UTC)
    sample = [
        start
        + timedelta(
            seconds=rng.randrange(60 * 365 * 86_400), microseconds=rng.choice([0, rng.randrange(1_000_000)])
        )
        for _ in range(200)
    ]
    return edges + sample


async def test_the_database_writes_each_moment_as_iso_does(db: AsyncSession) -> None:
    for moment in moments():
        written = await db.scalar(select(api_time(literal(moment, DateTimeUTC(timezone=True)))))
        assert written == iso(moment.astimezone(UTC)), moment
    assert await db.scalar(select(api_time(literal(None, DateTimeUTC(timezone=True))))) is None


async def test_a_page_says_what_each_post_read_alone_says(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.focal_point, "agora")
    for i in range(3):
        await make_post(client, cast.lcipp, thread["id"], f"post {i}")
    page = (await client.get(f"/api/threads/{thread['id']}/posts?after=0")).json()["items"]
    edited = await client.patch(
        f"/api/posts/{page[1]['id']}", json={"body": "edited"}, headers=cast.lcipp.headers
    )
    assert edited.status_code == 200, edited.text
    page = (await client.get(f"/api/threads/{thread['id']}/posts?after=0")).json()["items"]
    assert page[1]["edited_at"] is not None and page[0]["edited_at"] is None
    for item in page:
        alone = (await client.get(f"/api/posts/{item['id']}")).json()
        assert item == alone
