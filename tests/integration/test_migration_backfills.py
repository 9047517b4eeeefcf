"""The migrations that add a column fill it for the rows already there, as the code would have.

Each test builds its history through the API on a database of its own at the head, takes
the schema back below the migration (which drops the column), upgrades again, and finds
every row as the service itself had written it. On SQLite, and on PostgreSQL when
FORUM_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from forum.app import create_app
from forum.cafes.models import CafeTable
from forum.lib.db import create_engine, make_sessionmaker
from forum.lib.migrate import alembic_config, upgrade
from forum.settings import Settings
from forum.threads.models import PostRevision, Thread
from tests.conftest import People, Persona, make_space, make_thread
from tests.helpers import create_cafe, join, make_post, say

PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
async def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of this test's own, migrated to the head."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'backfill.db'}"
        await asyncio.to_thread(upgrade, url)
        yield url
        return
    if not PG_URL:
        pytest.skip("FORUM_TEST_DATABASE_URL is not set")
    base, _, _ = PG_URL.rpartition("/")
    name = f"forum_backfill_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    await admin(f'CREATE DATABASE "{name}"')
    try:
        url = f"{base}/{name}"
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def fresh(fresh_url: str, settings: Settings) -> AsyncIterator[tuple[AsyncTestClient, AsyncSession]]:
    """The app and a look at the database, both on `fresh_url`."""
    own = replace(settings, database_url=fresh_url, redis_url=None)
    engine = create_engine(own, autocommit=True)
    async with (
        AsyncTestClient(app=create_app(own), base_url="http://testserver.local") as client,
        make_sessionmaker(engine)() as session,
    ):
        yield client, session
    await engine.dispose()


def parse_time(stamp: str) -> datetime:
    """A time as the API writes it (RFC 3339, `Z`)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def round_trip(url: str, below: str) -> None:
    """Downgrade to `below` (dropping what came after), then upgrade to the head again."""
    config = alembic_config(url)
    await asyncio.to_thread(command.downgrade, config, below)
    await asyncio.to_thread(upgrade, url)


async def test_revision_statuses_are_read_back_from_the_audit_log(
    fresh: tuple[AsyncTestClient, AsyncSession], fresh_url: str
) -> None:
    client, db = fresh
    people = People(db)
    admin, mod, author = await people.make("admin"), await people.make("moderator"), await people.make()
    await make_space(client, admin, "pre-space", moderation="pre")
    thread = await make_thread(client, mod, "pre-space")

    async def edit(who: Persona, post_id: int, body: str) -> None:
        resp = await client.patch(f"/api/posts/{post_id}", json={"body": body}, headers=who.headers)
        assert resp.status_code == 200, resp.text

    async def act(post_id: int, action: str, **body: str) -> None:
        resp = await client.post(f"/api/posts/{post_id}/{action}", json=body or None, headers=mod.headers)
        assert resp.status_code == 200, resp.text

    # Approved with a correction; edited once published.
    one = await make_post(client, author, thread["id"], "pending text")
    await act(one["id"], "approve", body="corrected")
    await edit(author, one["id"], "edited once published")
    # Edited while pending, approved, hidden, edited while hidden, unhidden, edited again.
    two = await make_post(client, author, thread["id"], "draft")
    await edit(author, two["id"], "draft 2")
    await act(two["id"], "approve")
    await act(two["id"], "hide", reason="rude")
    await edit(author, two["id"], "reworded")
    await act(two["id"], "unhide")
    await edit(author, two["id"], "final")
    # Still pending, edited twice.
    three = await make_post(client, author, thread["id"], "waiting")
    await edit(author, three["id"], "still waiting")

    query = select(PostRevision.post_id, PostRevision.body, PostRevision.status).order_by(PostRevision.id)
    written = (await db.execute(query)).all()
    assert [(body, status) for _, body, status in written] == [
        ("pending text", "pending"),  # replaced by the approval's correction
        ("corrected", "published"),
        ("draft", "pending"),
        ("draft 2", "hidden"),  # replaced while the post was hidden
        ("reworded", "published"),  # replaced once unhidden
        ("waiting", "pending"),
    ]

    await round_trip(fresh_url, "0001")
    assert (await db.execute(query)).all() == written


async def test_restricted_and_hidden_counts_are_counted_from_the_rows(
    fresh: tuple[AsyncTestClient, AsyncSession], fresh_url: str
) -> None:
    client, db = fresh
    people = People(db)
    admin, mod = await people.make("admin"), await people.make("moderator")
    author, other = await people.make(), await people.make()
    await make_space(client, admin, "pre-space", moderation="pre")
    await make_space(client, admin, "agora")
    waiting = await make_thread(client, mod, "pre-space")
    for body in ("one", "two"):
        await make_post(client, author, waiting["id"], body)
    busy = await make_thread(client, mod, "agora")
    await make_post(client, other, busy["id"], "still public")
    rude = await make_post(client, author, busy["id"], "rude")
    resp = await client.post(f"/api/posts/{rude['id']}/hide", json={"reason": "rude"}, headers=mod.headers)
    assert resp.status_code == 200, resp.text
    await make_space(client, admin, "workshop", kind="workshop")
    host = await people.make("focal_point")
    cafe = await create_cafe(client, mod, [host], slug="workshop")
    table = await join(client, cafe["id"], author)
    for body in ("fine", "not fine"):
        said = (await say(client, table, author, body)).json()
    resp = await client.post(
        f"/api/table-messages/{said['id']}/hide", json={"reason": "no"}, headers=mod.headers
    )
    assert resp.status_code == 200, resp.text

    threads = select(Thread.id, Thread.restricted_count, Thread.last_post_at).order_by(Thread.id)
    tables = select(CafeTable.id, CafeTable.hidden_count).order_by(CafeTable.id)
    written = (await db.execute(threads)).all(), (await db.execute(tables)).all()
    assert [count for _, count, _ in written[0]] == [2, 1]
    assert [count for _, count in written[1]] == [1]

    # Before the counts, hiding the latest post left the thread's activity at its time.
    config = alembic_config(fresh_url)
    await asyncio.to_thread(command.downgrade, config, "0002_revision_status")
    await db.execute(
        update(Thread.__table__)
        .where(Thread.id == busy["id"])
        .values(last_post_at=parse_time(rude["created_at"]))
    )
    await asyncio.to_thread(upgrade, fresh_url)
    assert ((await db.execute(threads)).all(), (await db.execute(tables)).all()) == written


async def test_handles_are_given_to_the_users_already_there(
    fresh: tuple[AsyncTestClient, AsyncSession], fresh_url: str
) -> None:
    """0008_attention: every user gets the handle their name suggests, in the order they
    registered, with their posts and tokens pointing at them all the while."""
    from forum.accounts.models import User

    client, db = fresh
    people = People(db)
    admin = await people.make("admin", name="Secretariat")
    ana = await people.make("observer", name="Ana María")
    await people.make("observer", name="Ana Maria")
    await people.make("observer", name="王芳")
    await make_space(client, admin, "agora")
    thread = await make_thread(client, ana, "agora")
    await make_post(client, admin, thread["id"], "a post that points at its author")

    await round_trip(fresh_url, "0007_search")
    handles = (await db.scalars(select(User.handle).order_by(User.id))).all()
    assert handles == ["secretariat", "ana.maria", "ana.maria2", "user"]
    resp = await client.get("/api/me", headers=ana.headers)
    assert resp.status_code == 200 and resp.json()["handle"] == "ana.maria"
