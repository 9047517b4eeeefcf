"""Shared fixtures: a real database built from the migrations, the app, and personas.

SQLite by default (a fresh file per test, copied from one migrated template);
PostgreSQL when FORUM_TEST_DATABASE_URL is set (migrated once, truncated per test).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from forum.accounts.models import User
from forum.accounts.passwords import _hasher
from forum.accounts.services import issue_token
from forum.app import create_app
from forum.lib.db import create_engine, make_sessionmaker
from forum.lib.migrate import upgrade
from forum.models import metadata
from forum.settings import Settings

PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")
PASSWORD = "correct horse battery staple"
PASSWORD_HASH = _hasher.hash(PASSWORD)
ORIGIN = "http://testserver.local"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A PostgreSQL database for this test session, migrated once."""
    if not PG_URL:
        yield None
        return
    import asyncio

    name = f"forum_test_{uuid.uuid4().hex[:10]}"
    base, _, _ = PG_URL.rpartition("/")
    admin_url = f"{base}/postgres"

    async def _admin(sql: str) -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = f"{base}/{name}"
    upgrade(url)
    yield url
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def database_url(tmp_path: Path, sqlite_template: Path, pg_database: str | None) -> AsyncIterator[str]:
    if pg_database is None:
        path = tmp_path / "forum.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    engine = create_async_engine(pg_database)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()
    yield pg_database


@pytest.fixture
def settings(database_url: str) -> Settings:
    return replace(
        Settings(),
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough",
        allowed_origins=[ORIGIN],
        redis_url=os.environ.get("FORUM_TEST_REDIS_URL") if os.environ.get("FORUM_TEST_USE_REDIS") else None,
        static_dir=str(Path(__file__).resolve().parent.parent / "static"),
    )


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the same database as the app, to check what was stored.

    Each statement commits on its own, so a look at the database never holds a lock or
    a stale snapshot while the app works.
    """
    engine = create_engine(settings, autocommit=True)
    async with make_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


@dataclass
class Persona:
    id: int
    email: str
    name: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class People:
    """Makes users of any role with a live token, fast (one precomputed argon2id hash)."""

    def __init__(self, session: AsyncSession):
        self.session = session
        self.count = 0

    async def make(
        self, role: str = "observer", *, name: str | None = None, party: str | None = None
    ) -> Persona:
        self.count += 1
        name = name or f"{role.title()} {self.count}"
        email = f"{role}{self.count}-{uuid.uuid4().hex[:6]}@example.org"
        if role == "focal_point" and party is None:
            party = "JPN"
        user = User(email=email, password_hash=PASSWORD_HASH, display_name=name, role=role, party=party)
        self.session.add(user)
        await self.session.commit()
        token = await issue_token(self.session, user, 3600)
        await self.session.commit()
        return Persona(id=user.id, email=email, name=name, role=role, token=token)


@pytest.fixture
async def people(db: AsyncSession) -> People:
    return People(db)


@dataclass
class Cast:
    admin: Persona
    moderator: Persona
    focal_point: Persona
    lcipp: Persona
    observer: Persona
    other_observer: Persona


@pytest.fixture
async def cast(people: People) -> Cast:
    """One persona of each role (and a second observer)."""
    return Cast(
        admin=await people.make("admin"),
        moderator=await people.make("moderator"),
        focal_point=await people.make("focal_point"),
        lcipp=await people.make("lcipp"),
        observer=await people.make("observer"),
        other_observer=await people.make("observer"),
    )


async def make_space(
    client: httpx.AsyncClient,
    admin: Persona,
    slug: str,
    *,
    moderation: str = "post",
    visibility: str = "public",
    kind: str = "nma",
    allowed_roles: list[str] | None = None,
) -> dict:
    resp = await client.post(
        "/api/spaces",
        json={
            "slug": slug,
            "title": slug.title(),
            "kind": kind,
            "moderation": moderation,
            "visibility": visibility,
            "allowed_roles": allowed_roles or [],
        },
        headers=admin.headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def make_thread(
    client: httpx.AsyncClient, who: Persona, slug: str, title: str = "A thread", body: str = "First"
) -> dict:
    resp = await client.post(
        f"/api/spaces/{slug}/threads", json={"title": title, "body": body}, headers=who.headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()
